"""Forms for the SLA screens: they check the shape of input only.

What a policy or a calendar may be (at least one target, a known country, no
calendar extending itself, one target of a kind) is decided by
`config_services`; its ValidationErrors are put beside the fields here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount
from opora.core.access import GRANTS, Perm
from opora.core.forms import apply_validation_error
from opora.core.timezones import time_zone_choices
from opora.sla.config_services import week_parse
from opora.sla.importers import MAX_IMPORT_BYTES, MAX_YEAR, MIN_YEAR
from opora.sla.models import Calendar, CalendarException, Policy, Target
from opora.sla.services import duration
from opora.tickets.models import Ticket, TicketType

# A text input (styled like the others); the form field still checks it is a number.
NUMBER = forms.TextInput(attrs={"inputmode": "numeric"})

# The policy form's fields that go to `policy_save` as they are.
POLICY_FORM_FIELDS = (
    "name",
    "is_active",
    "priorities",
    "channels",
    "support_plans",
    "calendar",
    "warn_percent",
    "breach_assign_to",
    "breach_raise_priority",
    "breach_notify_head",
)
CALENDAR_FORM_FIELDS = (
    "name",
    "parent",
    "country",
    "time_zone",
    "is_round_the_clock",
    "is_default",
)


# --- Words for the lists ----------------------------------------------------------


def duration_text(minutes: int) -> str:
    """240 → «4 h», 15 → «15 min», 90 → «1 h 30 min»: a budget reads in hours, never days."""
    return duration(minutes * 60, days=False)


def target_text(target: Target) -> str:
    """«First response: 15 min, 24×7», «Resolution: 24 h of business hours, at most 5 calendar days»."""
    values = {"target": target.get_kind_display(), "budget": duration_text(target.minutes)}
    if target.clock == Target.Clock.BUSINESS:
        text = _("%(target)s: %(budget)s of business hours") % values
    else:
        text = _("%(target)s: %(budget)s, 24×7") % values
    if target.cap_days:
        text += ", " + ngettext(
            "at most %(days)d calendar day", "at most %(days)d calendar days", target.cap_days
        ) % {"days": target.cap_days}
    return text


def policy_conditions(policy: Policy) -> list[tuple[str, str]]:
    """What a policy matches on, as (condition, values) pairs; empty = every ticket.

    Reads `ticket_types` through `.all()`, so prefetch it for a list.
    """
    rows: list[tuple[str, str]] = []
    types = [str(ticket_type) for ticket_type in policy.ticket_types.all()]
    if types:
        rows.append((_("Type"), ", ".join(types)))
    for label, values, choices in (
        (_("Priority"), policy.priorities, Ticket.Priority.choices),
        (_("Channel"), policy.channels, Ticket.Channel.choices),
        (_("Client contract"), policy.support_plans, ClientAccount.SupportPlan.choices),
    ):
        if values:
            names = dict(choices)
            rows.append((label, ", ".join(str(names.get(value, value)) for value in values)))
    return rows


def week_lines(week: Sequence[Sequence[Sequence[str]]]) -> list[str]:
    """The stored week as the seven lines the calendar form shows («09:00-13:00, 14:00-18:00»)."""
    lines = [", ".join(f"{start}-{end}" for start, end in day) for day in week]
    return (lines + [""] * 7)[:7]


def week_text(week: Sequence[Sequence[Sequence[str]]]) -> str:
    """«Mon–Fri 09:00–18:00; Sat 10:00–14:00»: days with the same hours run together."""
    lines = week_lines(week)
    groups: list[tuple[int, int, str]] = []
    for index, line in enumerate(lines):
        if groups and groups[-1][2] == line and groups[-1][1] == index - 1:
            groups[-1] = (groups[-1][0], index, line)
        else:
            groups.append((index, index, line))
    parts = []
    for first, last, line in groups:
        if not line:
            continue
        days = str(WEEKDAYS_ABBR[first])
        if last != first:
            days += "–" + str(WEEKDAYS_ABBR[last])
        parts.append(f"{days} {line.replace('-', '–')}")
    return "; ".join(parts)


# --- Policies ---------------------------------------------------------------------


def breach_assignees() -> QuerySet[User]:
    """Active staff who may work tickets: the people a breached ticket can go to."""
    return User.objects.filter(is_active=True, role__in=GRANTS[Perm.WORK_TICKETS]).order_by(
        "full_name"
    )


class PolicyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)
    ticket_types = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Ticket types"),
        queryset=TicketType.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priorities = forms.MultipleChoiceField(
        label=gettext_lazy("Priorities"),
        choices=Ticket.Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels"),
        choices=Ticket.Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    support_plans = forms.MultipleChoiceField(
        label=gettext_lazy("Client contracts"),
        choices=ClientAccount.SupportPlan.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    calendar = forms.ModelChoiceField(
        label=gettext_lazy("Business calendar"),
        queryset=Calendar.objects.all(),
        required=False,
        empty_label=gettext_lazy("— the queue's calendar, else the default one —"),
    )
    warn_percent = forms.IntegerField(
        label=gettext_lazy("Warn at, percent of the budget"),
        min_value=0,
        max_value=100,
        widget=NUMBER,
        help_text=gettext_lazy("The assignee is warned when this share of the time is used up."),
    )
    breach_assign_to = forms.ModelChoiceField(
        label=gettext_lazy("On breach, reassign to"),
        queryset=breach_assignees(),
        required=False,
        empty_label=gettext_lazy("— keep the assignee —"),
    )
    breach_raise_priority = forms.BooleanField(
        label=gettext_lazy("On breach, raise the priority"), required=False
    )
    breach_notify_head = forms.BooleanField(
        label=gettext_lazy("On breach, notify the head of support"), required=False
    )

    def condition_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("ticket_types", "priorities", "channels", "support_plans")]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "calendar", "warn_percent", "is_active")]

    def breach_fields(self) -> list[forms.BoundField]:
        names = ("breach_assign_to", "breach_raise_priority", "breach_notify_head")
        return [self[name] for name in names]


class TargetForm(forms.Form):
    """One target row of the policy form: first response, next response or resolution."""

    enabled = forms.BooleanField(required=False)
    hours = forms.IntegerField(
        label=gettext_lazy("Hours"), required=False, min_value=0, max_value=99999, widget=NUMBER
    )
    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes"), required=False, min_value=0, max_value=59, widget=NUMBER
    )
    clock = forms.ChoiceField(label=gettext_lazy("Clock"), choices=Target.Clock.choices)
    cap_days = forms.IntegerField(
        label=gettext_lazy("At most, calendar days"),
        required=False,
        min_value=1,
        max_value=365,
        widget=NUMBER,
    )

    def __init__(
        self, data: Any = None, *, kind: str, label: str, initial: dict[str, Any] | None = None
    ) -> None:
        super().__init__(data, prefix=f"targets-{kind}", initial=initial)
        self.kind, self.label = kind, label
        self.fields["enabled"].label = label
        for name, field in self.fields.items():
            if name != "enabled":
                # The row sits under column headings; screen readers get the full name.
                field.widget.attrs["aria-label"] = f"{label}: {field.label}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("enabled") and not self.errors:
            budget = (cleaned.get("hours") or 0) * 60 + (cleaned.get("minutes") or 0)
            if budget <= 0:
                raise ValidationError(_("Give the budget in hours, minutes or both."))
            cleaned["budget"] = budget
        return cleaned

    def target(self) -> dict[str, Any] | None:
        """The row as `policy_save` takes it; None when the target is off. Call after is_valid."""
        if not self.cleaned_data.get("enabled"):
            return None
        return {
            "kind": self.kind,
            "minutes": self.cleaned_data["budget"],
            "clock": self.cleaned_data["clock"],
            "cap_days": self.cleaned_data.get("cap_days"),
        }


class PolicyEditor:
    """The policy form with its three target rows, validated and shown together."""

    def __init__(self, data: Any = None, *, policy: Policy | None = None) -> None:
        targets: dict[str, Target] = {}
        if policy is not None:
            initial: dict[str, Any] = {name: getattr(policy, name) for name in POLICY_FORM_FIELDS}
            initial["ticket_types"] = list(policy.ticket_types.all())
            targets = {target.kind: target for target in policy.targets.all()}
        else:
            initial = {
                "is_active": True,
                "warn_percent": 80,
                "breach_raise_priority": True,
                "breach_notify_head": True,
            }
        self.form = PolicyForm(data, initial=initial)
        self.rows = []
        for kind, label in Target.Kind.choices:
            target = targets.get(kind)
            row_initial: dict[str, Any] = {"clock": Target.Clock.BUSINESS}
            if target is not None:
                hours, minutes = divmod(target.minutes, 60)
                row_initial = {
                    "enabled": True,
                    "hours": hours,
                    "minutes": minutes,
                    "clock": target.clock,
                    "cap_days": target.cap_days,
                }
            self.rows.append(TargetForm(data, kind=kind, label=str(label), initial=row_initial))
        # Messages about the targets as a whole («at least one target»).
        self.targets_errors: list[str] = []

    def is_valid(self) -> bool:
        valid = [self.form.is_valid(), *(row.is_valid() for row in self.rows)]
        return all(valid)

    def fields(self) -> dict[str, Any]:
        """The policy's own fields as `policy_save` takes them. Call after is_valid."""
        return {name: self.form.cleaned_data[name] for name in POLICY_FORM_FIELDS}

    def ticket_types(self) -> list[TicketType]:
        return list(self.form.cleaned_data["ticket_types"])

    def targets(self) -> list[dict[str, Any]]:
        return [target for row in self.rows if (target := row.target()) is not None]

    def apply_error(self, error: ValidationError) -> None:
        """Put the service's messages beside the fields, and target messages above the rows."""
        if hasattr(error, "error_dict") and "targets" in error.error_dict:
            rest = dict(error.error_dict)
            self.targets_errors = [m for item in rest.pop("targets") for m in item.messages]
            if not rest:
                return
            error = ValidationError(rest)
        apply_validation_error(self.form, error)


# --- Calendars --------------------------------------------------------------------


class CalendarForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    parent = forms.ModelChoiceField(
        label=gettext_lazy("Extends"),
        queryset=Calendar.objects.all(),
        required=False,
        empty_label=gettext_lazy("— nothing —"),
        help_text=gettext_lazy(
            "Dated exceptions (holidays, moved and shortened days) of that calendar apply "
            "here too; this calendar's own win on the same date."
        ),
    )
    country = forms.CharField(
        label=gettext_lazy("Country"),
        max_length=2,
        required=False,
        help_text=gettext_lazy(
            "Public holidays and moved working days of this country (ISO code, e.g. RU). "
            "Empty: the country of the calendar it extends."
        ),
    )
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"))
    is_round_the_clock = forms.BooleanField(
        label=gettext_lazy("Open 24×7"),
        required=False,
        help_text=gettext_lazy(
            "Every hour of every day is working time; hours and holidays are ignored."
        ),
    )
    is_default = forms.BooleanField(
        label=gettext_lazy("Default calendar for SLA"),
        required=False,
        help_text=gettext_lazy("Used for queues without a calendar of their own."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Queues on this calendar"),
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, calendar: Calendar | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()  # type: ignore[attr-defined]
        if calendar is not None:
            parents = self.fields["parent"]
            parents.queryset = Calendar.objects.exclude(pk=calendar.pk)  # type: ignore[attr-defined]
        for day, name in enumerate(WEEKDAYS.values()):
            self.fields[f"week_{day}"] = forms.CharField(label=name, required=False, max_length=200)
        # Messages about the week as a whole («at least one working interval»).
        self.week_errors: list[str] = []

    @staticmethod
    def initial_for(calendar: Calendar) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(calendar, name) for name in CALENDAR_FORM_FIELDS}
        initial["teams"] = list(calendar.teams.all())
        initial.update({f"week_{day}": line for day, line in enumerate(week_lines(calendar.week))})
        return initial

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "parent", "country", "time_zone")]

    def week_fields(self) -> list[forms.BoundField]:
        return [self[f"week_{day}"] for day in range(7)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        lines = [cleaned.get(f"week_{day}", "") for day in range(7)]
        try:
            cleaned["week"] = week_parse(lines)
        except ValidationError:
            # week_parse names the weekday but not the field: find the rows one by one.
            for day, line in enumerate(lines):
                alone = [""] * 7
                alone[day] = line
                try:
                    week_parse(alone)
                except ValidationError as error:
                    self.add_error(f"week_{day}", error.messages)
        return cleaned

    def calendar_fields(self) -> dict[str, Any]:
        """The calendar's fields as `calendar_save` takes them. Call after is_valid."""
        fields = {name: self.cleaned_data[name] for name in CALENDAR_FORM_FIELDS}
        fields["week"] = self.cleaned_data["week"]
        return fields

    def apply_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict") and "week" in error.error_dict:
            rest = dict(error.error_dict)
            self.week_errors = [m for item in rest.pop("week") for m in item.messages]
            if not rest:
                return
            error = ValidationError(rest)
        apply_validation_error(self, error)


class DayForm(forms.Form):
    """One date of a calendar's year: what it is for this calendar, or "" to follow the rest."""

    date = forms.DateField(widget=forms.HiddenInput, input_formats=["%Y-%m-%d"])
    kind = forms.ChoiceField(
        label=gettext_lazy("This day is"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("", gettext_lazy("As the calendar it extends and the week say")),
            *CalendarException.Kind.choices,
        ],
    )
    shorter_by_minutes = forms.IntegerField(
        label=gettext_lazy("Shorter by, minutes"),
        required=False,
        min_value=0,
        max_value=1440,
        widget=NUMBER,
        help_text=gettext_lazy("For a shortened day."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_date(self) -> dt.date:
        date: dt.date = self.cleaned_data["date"]
        if date.year != self.year:
            raise ValidationError(_("Choose a date in %(year)d.") % {"year": self.year})
        return date

    def day_fields(self) -> dict[str, Any]:
        """The day as `calendar_day_set` takes it. Call after is_valid."""
        shorter = self.cleaned_data.get("shorter_by_minutes")
        return {
            "date": self.cleaned_data["date"],
            "kind": self.cleaned_data["kind"],
            "shorter_by_minutes": 60 if shorter is None else shorter,
            "note": self.cleaned_data["note"],
        }


class ImportForm(forms.Form):
    fmt = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[
            ("xmlcalendar", gettext_lazy("xmlcalendar (XML)")),
            ("isdayoff", gettext_lazy("isdayoff (a digit per day)")),
        ],
    )
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        required=False,
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        widget=NUMBER,
        help_text=gettext_lazy("For isdayoff data; an xmlcalendar file names its own year."),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("At most 1 MB. The year's dated exceptions are replaced."),
    )
    # The year on screen, to show the page again with the errors.
    shown_year = forms.IntegerField(
        required=False, min_value=MIN_YEAR, max_value=MAX_YEAR, widget=forms.HiddenInput
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(_("The file is larger than 1 MB; a calendar is a few kilobytes."))
        data: bytes = upload.read()
        return data

    def apply_error(self, error: ValidationError) -> None:
        """The service calls the file's content `data`; here it is the `file` field."""
        if hasattr(error, "error_dict"):
            error = ValidationError(
                {
                    ("file" if key == "data" else key): value
                    for key, value in error.error_dict.items()
                }
            )
        apply_validation_error(self, error)
