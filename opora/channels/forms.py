"""Forms of the channel settings: they check the shape; services decide the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from opora.channels.models import InboundEmail, Mailbox, TelegramBot, Webhook
from opora.channels.services import MAILBOX_FIELDS


class MailboxForm(forms.ModelForm[Mailbox]):
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted. Leave empty to keep the saved password."),
    )
    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the saved password."),
    )

    class Meta:
        model = Mailbox
        fields = MAILBOX_FIELDS
        widgets = {"signature": forms.Textarea(attrs={"rows": 3})}

    SECTIONS = (
        (_("Mailbox"), ("name", "address", "team", "ticket_type", "language", "signature",
                        "send_acknowledgement", "is_active")),
        (_("Incoming mail (IMAP)"), ("imap_host", "imap_port", "imap_security", "imap_username",
                                     "imap_password", "imap_folder", "after_import",
                                     "processed_folder", "max_message_mb")),
        (_("Outgoing mail (SMTP)"), ("smtp_host", "smtp_port", "smtp_security", "smtp_username",
                                     "smtp_password")),
    )  # fmt: skip

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def service_fields(self) -> dict[str, Any]:
        fields = {name: self.cleaned_data[name] for name in MAILBOX_FIELDS}
        # An empty password field means «keep the saved one».
        fields["imap_password"] = self.cleaned_data["imap_password"] or None
        fields["smtp_password"] = self.cleaned_data["smtp_password"] or None
        return fields


class InboundFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))] + list(InboundEmail.Status.choices),
    )


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=("http", "https"))],
        help_text=_("Events are POSTed here as JSON."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=Webhook.Event.choices, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        strip=True,
        min_length=16,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 16 characters. Leave empty to keep the current one (a new webhook gets a random secret)."
        ),
    )

    @classmethod
    def initial_for(cls, webhook: Webhook) -> dict[str, Any]:
        return {
            "name": webhook.name,
            "url": webhook.url,
            "events": webhook.events,
            "is_active": webhook.is_active,
        }


class BotForm(forms.ModelForm[TelegramBot]):
    api_base_url = forms.URLField(
        label=_("Bot API server"),
        initial="https://api.telegram.org",
        assume_scheme="https",
        validators=[URLValidator(schemes=("http", "https"))],
        help_text=_("Telegram's server, or your own Bot API server."),
    )
    token = forms.CharField(
        label=_("Bot token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("From @BotFather. Stored encrypted. Leave empty to keep the saved token."),
    )

    class Meta:
        model = TelegramBot
        fields = ("name", "token", "api_base_url", "team", "ticket_type", "language", "is_active")

    def service_fields(self) -> dict[str, Any]:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "token"}
        fields["token"] = self.cleaned_data["token"] or None
        return fields
