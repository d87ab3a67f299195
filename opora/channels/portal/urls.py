from django.urls import include, path

from opora.channels.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.ticket_list, name="ticket-list"),
    path("new/", views.ticket_create, name="ticket-create"),
    path(
        "OP-<int:number>/",
        include(
            [
                path("", views.ticket_detail, name="ticket-detail"),
                path("reply/", views.ticket_reply, name="ticket-reply"),
                path("close/", views.ticket_close, name="ticket-close"),
                path("rate/", views.ticket_rate, name="ticket-rate"),
            ]
        ),
    ),
    path("files/<int:pk>/<str:name>", views.attachment, name="attachment"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path(
        "link/",
        include(
            [
                path("", views.link_request, name="link-request"),
                path("sent/", views.link_sent, name="link-sent"),
                path("<str:token>/", views.link_use, name="link-use"),
            ]
        ),
    ),
    path("password/", views.password_set, name="password-set"),
    path("language/", views.language_set, name="language-set"),
    path("kb/", include("opora.knowledge.portal_urls")),
]
