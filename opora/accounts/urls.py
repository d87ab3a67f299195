from django.urls import include, path
from django.views.generic import TemplateView

from opora.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        include(
            [
                path("", views.password_reset, name="password-reset"),
                path(
                    "sent/",
                    TemplateView.as_view(template_name="accounts/password_reset_done.html"),
                    name="password-reset-done",
                ),
                path(
                    "<uidb64>/<token>/",
                    views.PasswordResetConfirmView.as_view(),
                    name="password-reset-confirm",
                ),
                path(
                    "done/",
                    TemplateView.as_view(template_name="accounts/password_reset_complete.html"),
                    name="password-reset-complete",
                ),
            ]
        ),
    ),
    path("invite/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("account/", views.preferences, name="preferences"),
    path("account/availability/", views.availability_set, name="availability"),
    path("account/tokens/", views.token_list, name="token-list"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path(
        "staff/",
        include(
            [
                path("", views.user_list, name="user-list"),
                path("<int:pk>/", views.user_edit, name="user-edit"),
                path("invite/", views.invitation_create, name="invitation-create"),
                path(
                    "invitations/<int:pk>/revoke/",
                    views.invitation_revoke,
                    name="invitation-revoke",
                ),
            ]
        ),
    ),
    path(
        "teams/",
        include(
            [
                path("", views.team_list, name="team-list"),
                path("new/", views.team_edit, name="team-create"),
                path("<int:pk>/", views.team_edit, name="team-edit"),
            ]
        ),
    ),
]
