from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount
from opora.tickets.models import Category, CustomField, ResolutionCode, Ticket, TicketType


def staff_who_work_tickets() -> Any:
    return User.objects.filter(is_active=True).exclude(
        role__in=[User.Role.ANALYST, User.Role.VIEWER]
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; limits are checked by the attachments service."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    internal = forms.BooleanField(
        label=_("Internal note (the client does not see it)"), required=False
    )
    status = forms.ChoiceField(
        label=_("Then set status"),
        required=False,
        choices=[("", _("— keep —")), *Ticket.Status.choices],
    )
    # The newest message the author had seen when they started writing: if a
    # newer one arrived meanwhile, the reply is held back and they are told.
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False)
    macro = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TicketPropertiesForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    type = forms.ModelChoiceField(label=_("Type"), queryset=TicketType.objects.all())
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        required=False,
    )
    team = forms.ModelChoiceField(label=_("Queue"), queryset=Team.objects.all(), required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=staff_who_work_tickets(), required=False
    )
    resolution = forms.ModelChoiceField(
        label=_("Resolution"),
        queryset=ResolutionCode.objects.filter(is_active=True),
        required=False,
    )
    is_escalated = forms.BooleanField(label=_("Escalated"), required=False)


class CustomFieldsForm(forms.Form):
    """The ticket's custom fields, built from the fields its category shows."""

    def __init__(self, *args: Any, fields: list[CustomField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for custom in fields:
            label = f"{custom.label} *" if custom.required_to_resolve else custom.label
            formfield: forms.Field
            if custom.kind == CustomField.Kind.CHOICE:
                formfield = forms.ChoiceField(
                    label=label,
                    required=False,
                    choices=[("", "—"), *((o, o) for o in custom.option_list)],
                )
            elif custom.kind == CustomField.Kind.DATE:
                formfield = forms.CharField(
                    label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
            elif custom.kind == CustomField.Kind.NUMBER:
                formfield = forms.CharField(
                    label=label,
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            else:
                formfield = forms.CharField(label=label, required=False, max_length=1000)
            self.fields[custom.code] = formfield


class PeopleForm(forms.Form):
    followers = forms.ModelMultipleChoiceField(
        label=_("Followers"), queryset=staff_who_work_tickets(), required=False
    )
    cc = forms.CharField(
        label=_("CC (client emails)"),
        required=False,
        help_text=_("Comma-separated; contacts of the ticket's client."),
    )


class EscalateForm(forms.Form):
    target = forms.ChoiceField(label=_("Escalate to"), choices=Ticket.EscalationTarget.choices)
    team = forms.ModelChoiceField(
        label=_("Queue (when escalating to another queue)"),
        queryset=Team.objects.all(),
        required=False,
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class TicketNumberForm(forms.Form):
    number = forms.CharField(label=_("Ticket number"), max_length=20)

    def clean_number(self) -> Ticket:
        text = self.cleaned_data["number"].strip().upper().removeprefix("OP-")
        ticket = Ticket.objects.filter(number=int(text)).first() if text.isdigit() else None
        if ticket is None:
            raise forms.ValidationError(_("No ticket with this number."))
        return ticket


class SpamForm(forms.Form):
    block_sender = forms.BooleanField(label=_("Also block the sender"), required=False)


class BulkForm(forms.Form):
    """One change for all the ticked tickets in the queue."""

    tickets = forms.ModelMultipleChoiceField(queryset=Ticket.objects.all(), to_field_name="number")
    assignee = forms.CharField(required=False)  # "", "none" or a user id
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)
    status = forms.ChoiceField(choices=[("", ""), *Ticket.Status.choices], required=False)
    tag = forms.CharField(required=False, max_length=50)
    merge_into = forms.CharField(required=False, max_length=20)

    def clean_assignee(self) -> User | str | None:
        value = self.cleaned_data["assignee"]
        if value == "none":
            return "none"
        if not value:
            return None
        user: User | None = (
            staff_who_work_tickets().filter(pk=value).first() if value.isdigit() else None
        )
        if user is None:
            raise forms.ValidationError(_("Choose an assignee from the list."))
        return user

    def clean_merge_into(self) -> Ticket | None:
        if not self.cleaned_data["merge_into"]:
            return None
        field = TicketNumberForm({"number": self.cleaned_data["merge_into"]})
        if not field.is_valid():
            raise forms.ValidationError([str(e) for e in field.errors["number"]])
        target: Ticket = field.cleaned_data["number"]
        return target

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        if data["assignee"] == "none":
            changes["assignee"] = None
        elif data["assignee"] is not None:
            changes["assignee"] = data["assignee"]
        if data["team"] is not None:
            changes["team"] = data["team"]
        if data["status"]:
            changes["status"] = data["status"]
        return changes


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("View name"), max_length=80)
    is_shared = forms.BooleanField(label=_("Share with everyone"), required=False)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)


class TicketCreateForm(forms.Form):
    """A ticket staff open on a client's behalf (a phone call, a chat elsewhere)."""

    email = forms.EmailField(label=_("Client's email"))
    full_name = forms.CharField(
        label=_("Client's name"), required=False, help_text=_("For a new contact.")
    )
    client = forms.ModelChoiceField(
        label=_("Client account"),
        queryset=ClientAccount.objects.filter(is_active=True),
        required=False,
    )
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Ticket.Channel.choices, initial=Ticket.Channel.PHONE
    )
    type = forms.ModelChoiceField(label=_("Type"), queryset=TicketType.objects.all())
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, initial=Ticket.Priority.NORMAL
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        required=False,
    )
    team = forms.ModelChoiceField(label=_("Queue"), queryset=Team.objects.all(), required=False)
