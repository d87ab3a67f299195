"""Portal forms: the shape of what a client types; the rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from opora.channels.portal import services
from opora.tickets import attachments
from opora.tickets.forms import MultipleFileField
from opora.tickets.models import Category, TicketType


def _files_help() -> str:
    return gettext(
        "Up to %(count)s files, %(size)s each. Programs and scripts are not accepted."
    ) % {
        "count": attachments.max_per_message(),
        "size": filesizeformat(settings.OPORA_ATTACHMENT_MAX_BYTES),
    }


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PasswordSignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordSetForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, has_password: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_password:
            del self.fields["current_password"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password"), data.get("new_password_again")
        if first and second and first != second:
            self.add_error("new_password_again", _("The two passwords differ."))
        return data


class TypeChoiceField(forms.ModelChoiceField[TicketType]):
    def label_from_instance(self, obj: TicketType) -> str:
        return str(obj)  # the type's name in the active language


class TicketCreateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("What happened, what you expected, and since when."),
    )
    type = TypeChoiceField(label=_("Type"), queryset=TicketType.objects.none(), empty_label=None)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("— not sure —"),
    )
    attachments = MultipleFileField(label=_("Files"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = services.portal_ticket_types()
        type_field = self.fields["type"]
        assert isinstance(type_field, forms.ModelChoiceField)  # noqa: S101 -- declared above
        type_field.queryset = types
        if not self.is_bound and "type" not in self.initial:
            self.initial["type"] = types.filter(code="standard").first()
        category_field = self.fields["category"]
        assert isinstance(category_field, forms.ModelChoiceField)  # noqa: S101 -- declared above
        category_field.queryset = services.portal_categories()
        self.fields["attachments"].help_text = _files_help()


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label=_("Files"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _files_help()


class CsatForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Score"), choices=[(n, str(n)) for n in range(1, 6)], coerce=int
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
