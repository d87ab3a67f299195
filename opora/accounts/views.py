from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opora.accounts import forms, services
from opora.accounts.context_processors import availability_context
from opora.accounts.models import ApiToken, Invitation, Team, User
from opora.core.access import Perm, has_perm, require_perm
from opora.core.forms import apply_validation_error
from opora.core.http import AuthedRequest, safe_next


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = forms.LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have signed out."))
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = forms.PasswordSetForm
    success_url = reverse_lazy("accounts:password-reset-complete")


def password_reset(request: HttpRequest) -> HttpResponse:
    form = forms.PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return redirect("accounts:password-reset-done")
    return render(request, "accounts/password_reset.html", {"form": form})


# The signed-in user's own settings ----------------------------------------------


@login_required
def preferences(request: AuthedRequest) -> HttpResponse:
    user = request.user
    initial = {"full_name": user.full_name, "language": user.language, "timezone": user.timezone}
    form = forms.PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.user_preferences_update(
            user=user, actor=user, request=request, **form.cleaned_data
        )
        messages.success(request, _("Your settings are saved."))
        return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})


@require_POST
@require_perm(Perm.WORK_TICKETS)
def availability_set(request: AuthedRequest) -> HttpResponse:
    try:
        services.user_availability_set(
            user=request.user, availability=request.POST.get("availability", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if request.htmx:
        return render(request, "includes/availability.html", availability_context(request))
    return redirect(safe_next(request))


@require_perm(Perm.USE_API)
def token_list(request: AuthedRequest) -> HttpResponse:
    form = forms.ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        expires_at = timezone.now() + dt.timedelta(days=int(days)) if days else None
        _token, new_token = services.api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            expires_at=expires_at,
            request=request,
        )
        form = forms.ApiTokenForm()
    ctx = {
        "form": form,
        "new_token": new_token,
        "tokens": ApiToken.objects.filter(user=request.user, revoked_at=None),
    }
    return render(request, "accounts/token_list.html", ctx)


@require_POST
@require_perm(Perm.USE_API)
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(actor=request.user, token=token, request=request)
    messages.success(request, _("The token is revoked."))
    return redirect("accounts:token-list")


# Staff and invitations --------------------------------------------------------


@require_perm(Perm.VIEW_STAFF)
def user_list(request: AuthedRequest) -> HttpResponse:
    ctx = {
        "users": User.objects.select_related("team").order_by("-is_active", "full_name"),
        "invitations": Invitation.objects.filter(
            accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
        ).select_related("team", "invited_by"),
        "can_manage": has_perm(request.user, Perm.MANAGE_USERS),
    }
    return render(request, "accounts/user_list.html", ctx)


@require_perm(Perm.MANAGE_USERS)
def user_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    initial = {
        "full_name": user.full_name,
        "role": user.role,
        "team": user.team,
        "is_active": user.is_active,
    }
    form = forms.UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(
                actor=request.user,
                user=user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Changes to %(name)s are saved.") % {"name": user})
            return redirect("accounts:user-list")
    return render(request, "accounts/user_edit.html", {"form": form, "subject": user})


@require_perm(Perm.MANAGE_USERS)
def invitation_create(request: AuthedRequest) -> HttpResponse:
    form = forms.InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.user_invite(
                actor=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request,
                _("An invitation is on its way to %(email)s.") % {"email": invitation.email},
            )
            return redirect("accounts:user-list")
    return render(request, "accounts/invitation_form.html", {"form": form})


@require_POST
@require_perm(Perm.MANAGE_USERS)
def invitation_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The invitation is revoked."))
    return redirect("accounts:user-list")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_get_by_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = forms.InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation, password=form.cleaned_data["password1"], request=request
            )
        except ValidationError as error:
            form.add_error("password1", error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Welcome to Opora, %(name)s!") % {"name": user.get_short_name()}
            )
            return redirect("core:home")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


# Teams ---------------------------------------------------------------------------


@require_perm(Perm.VIEW_STAFF)
def team_list(request: AuthedRequest) -> HttpResponse:
    ctx = {
        "teams": Team.objects.select_related("lead").prefetch_related("members"),
        "can_manage": has_perm(request.user, Perm.MANAGE_TEAMS),
    }
    return render(request, "accounts/team_list.html", ctx)


@require_perm(Perm.MANAGE_TEAMS)
def team_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk) if pk else None
    initial = (
        {"name": team.name, "description": team.description, "lead": team.lead} if team else {}
    )
    form = forms.TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if team is None:
                services.team_create(actor=request.user, request=request, **form.cleaned_data)
            else:
                services.team_update(
                    actor=request.user, team=team, request=request, **form.cleaned_data
                )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The team is saved."))
            return redirect("accounts:team-list")
    return render(request, "accounts/team_form.html", {"form": form, "team": team})
