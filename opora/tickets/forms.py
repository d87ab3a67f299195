from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team, User
from opora.tickets.models import Category, Ticket, TicketType


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    internal = forms.BooleanField(
        label=_("Internal note (the client does not see it)"), required=False
    )
    status = forms.ChoiceField(
        label=_("Then set status"),
        required=False,
        choices=[("", _("— keep —")), *Ticket.Status.choices],
    )


class TicketPropertiesForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    type = forms.ModelChoiceField(label=_("Type"), queryset=TicketType.objects.all())
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False
    )
    team = forms.ModelChoiceField(label=_("Queue"), queryset=Team.objects.all(), required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.filter(is_active=True).exclude(
            role__in=[User.Role.ANALYST, User.Role.VIEWER]
        ),
        required=False,
    )
    is_escalated = forms.BooleanField(label=_("Escalated"), required=False)
