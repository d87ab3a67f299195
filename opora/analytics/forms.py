"""The dashboards' filter bar: a period and the dimensions, read from the query string."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opora.accounts.models import Team, User
from opora.analytics.facts import company_today
from opora.analytics.goals import GOAL_FIELDS
from opora.analytics.metrics import Filters
from opora.analytics.models import KpiGoals
from opora.clients.models import ClientAccount
from opora.tickets.models import Ticket, TicketType

PERIODS = [
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 12 months")),
    ("month", _("This month")),
    ("last_month", _("Last month")),
    ("custom", _("Dates…")),
]
MAX_DAYS = 3 * 366


class FilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.ModelChoiceField(
        label=_("Queue"), queryset=Team.objects.all(), required=False, empty_label=_("All queues")
    )
    type = forms.ModelChoiceField(
        label=_("Type"),
        queryset=TicketType.objects.all(),
        required=False,
        empty_label=_("All types"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("All channels")), *Ticket.Channel.choices],
        required=False,
    )
    operator = forms.ModelChoiceField(
        label=_("Operator"),
        queryset=User.objects.filter(
            is_active=True, role__in=[User.Role.OPERATOR, User.Role.LEAD]
        ).order_by("full_name"),
        required=False,
        empty_label=_("All operators"),
    )
    client = forms.ModelChoiceField(
        label=_("Client"),
        queryset=ClientAccount.objects.order_by("name"),
        required=False,
        empty_label=_("All clients"),
    )

    def __init__(self, *args: Any, default_period: str = "30", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_period = default_period
        self.fields["period"].initial = default_period

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("Choose both dates of the period."))
            if start > end:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(_("A period can be at most three years long."))
        return data

    def filters(self, *, today: dt.date | None = None) -> Filters:
        """The metrics filters; the default period when the form is empty or invalid."""
        today = today or company_today()
        data = self.cleaned_data if self.is_valid() else {}
        period = data.get("period") or self.default_period
        yesterday = today - dt.timedelta(days=1)
        if period == "custom" and data.get("start") and data.get("end"):
            start, end = data["start"], data["end"]
        elif period == "month":
            start, end = today.replace(day=1), today
        elif period == "last_month":
            end = today.replace(day=1) - dt.timedelta(days=1)
            start = end.replace(day=1)
        else:
            days = int(period) if period.isdigit() else int(self.default_period)
            start, end = yesterday - dt.timedelta(days=days - 1), yesterday
        return Filters(
            start=start,
            end=end,
            team_ids=(data["team"].pk,) if data.get("team") else (),
            type_ids=(data["type"].pk,) if data.get("type") else (),
            channels=(data["channel"],) if data.get("channel") else (),
            operator_ids=(data["operator"].pk,) if data.get("operator") else (),
            client_ids=(data["client"].pk,) if data.get("client") else (),
        )


class GoalsForm(forms.ModelForm[KpiGoals]):
    class Meta:
        model = KpiGoals
        fields = GOAL_FIELDS
