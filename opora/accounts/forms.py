from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team, User
from opora.core.timezones import time_zone_choices


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Wrong email or password."),
    }

    def clean_username(self) -> str:
        # Emails are stored lower-case; people type them as they like.
        return str(self.cleaned_data["username"]).strip().lower()


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class PasswordSetForm(SetPasswordForm):  # type: ignore[type-arg]
    """Django's new-password form; saving goes through the accounts service (audited)."""

    def save(self, commit: bool = True) -> Any:
        from opora.accounts.services import user_password_set

        user_password_set(user=self.user, password=self.cleaned_data["new_password1"])
        return self.user


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices, initial=User.Role.OPERATOR)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    language = forms.ChoiceField(label=_("Language of the email"), choices=User.Language.choices)


class InvitationAcceptForm(forms.Form):
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class UserEditForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class PreferencesForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices)
    timezone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = time_zone_choices()  # type: ignore[attr-defined]


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lead = forms.ModelChoiceField(
        label=_("Team lead"),
        queryset=User.objects.filter(is_active=True),
        required=False,
    )


class ApiTokenForm(forms.Form):
    EXPIRY_CHOICES = [
        ("30", _("30 days")),
        ("90", _("90 days")),
        ("365", _("1 year")),
        ("", _("Never")),
    ]
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. «CRM integration»."),
    )
    expires_in_days = forms.ChoiceField(
        label=_("Expires"), choices=EXPIRY_CHOICES, required=False, initial="90"
    )
