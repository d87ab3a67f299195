"""SLA settings screens: policies, production calendars and a calendar's year.

Each view checks MANAGE_SLA, validates the form's shape, makes one call to
`config_services` and redirects (or answers htmx with a fragment of the same
template); the services decide what is allowed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS_ABBR
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from opora.core.access import Perm, require_perm
from opora.core.forms import apply_validation_error
from opora.core.http import AuthedRequest, redirect_after
from opora.sla import config_services
from opora.sla.engine import DayKind
from opora.sla.forms import (
    CalendarForm,
    DayForm,
    ImportForm,
    PolicyEditor,
    policy_conditions,
    target_text,
    week_text,
)
from opora.sla.importers import MAX_YEAR, MIN_YEAR
from opora.sla.models import Calendar, Policy, Target
from opora.sla.services import holiday_language, working_time

TABS: list[tuple[str | Promise, str]] = [
    (gettext_lazy("Policies"), "sla:policy-list"),
    (gettext_lazy("Calendars"), "sla:calendar-list"),
]

# What a date is on a calendar, as the year view colours and names it.
DAY_KINDS: dict[str, str | Promise] = {
    DayKind.WORKING: gettext_lazy("Working day"),
    DayKind.SHORTENED: gettext_lazy("Shortened day"),
    DayKind.WORKING_WEEKEND: gettext_lazy("Worked weekend day"),
    DayKind.WEEKEND: gettext_lazy("Weekend"),
    DayKind.HOLIDAY: gettext_lazy("Public holiday"),
    DayKind.DAY_OFF: gettext_lazy("Day off"),
}
YEAR_TEMPLATE = "sla/calendar_year.html"
TARGET_ORDER = {kind: index for index, kind in enumerate(Target.Kind.values)}


def _tabs(current: str) -> list[dict[str, Any]]:
    return [
        {"label": label, "url": reverse(name), "current": name == current} for label, name in TABS
    ]


# --- Policies ----------------------------------------------------------------------


def _policy_list_context() -> dict[str, Any]:
    policies = Policy.objects.select_related("calendar").prefetch_related("ticket_types", "targets")
    rows = [
        {
            "policy": policy,
            "conditions": policy_conditions(policy),
            "targets": [
                target_text(target)
                for target in sorted(policy.targets.all(), key=lambda t: TARGET_ORDER[t.kind])
            ],
        }
        for policy in policies.order_by("position", "pk")
    ]
    return {"rows": rows, "tabs": _tabs("sla:policy-list")}


@require_perm(Perm.MANAGE_SLA)
def policy_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "sla/policy_list.html", _policy_list_context())


@require_perm(Perm.MANAGE_SLA)
def policy_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    policy = get_object_or_404(Policy, pk=pk) if pk else None
    editor = PolicyEditor(request.POST or None, policy=policy)
    if request.method == "POST" and editor.is_valid():
        try:
            config_services.policy_save(
                actor=request.user,
                policy=policy,
                ticket_types=editor.ticket_types(),
                targets=editor.targets(),
                **editor.fields(),
            )
        except ValidationError as error:
            editor.apply_error(error)
        else:
            messages.success(request, _("The SLA policy is saved."))
            return redirect("sla:policy-list")
    return render(request, "sla/policy_form.html", {"editor": editor, "policy": policy})


@require_POST
@require_perm(Perm.MANAGE_SLA)
def policy_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(Policy, pk=pk)
    config_services.policy_delete(actor=request.user, policy=policy)
    messages.success(request, _("The SLA policy «%(name)s» is deleted.") % {"name": policy.name})
    return redirect_after(request, reverse("sla:policy-list"))


@require_POST
@require_perm(Perm.MANAGE_SLA)
def policy_move(request: AuthedRequest, pk: int) -> HttpResponse:
    policy = get_object_or_404(Policy, pk=pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest(_("Move the policy up or down."))
    offset = -1 if direction == "up" else 1
    config_services.policy_move(actor=request.user, policy=policy, offset=offset)
    if request.htmx:
        return render(request, "sla/policy_list.html#policies", _policy_list_context())
    return redirect("sla:policy-list")


# --- Calendars ---------------------------------------------------------------------


@require_perm(Perm.MANAGE_SLA)
def calendar_list(request: AuthedRequest) -> HttpResponse:
    calendars = Calendar.objects.select_related("parent").prefetch_related("teams")
    ctx = {
        "rows": [
            {"calendar": calendar, "hours": week_text(calendar.week)} for calendar in calendars
        ],
        "year": timezone.localdate().year,
        "tabs": _tabs("sla:calendar-list"),
    }
    return render(request, "sla/calendar_list.html", ctx)


@require_perm(Perm.MANAGE_SLA)
def calendar_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    calendar = get_object_or_404(Calendar, pk=pk) if pk else None
    initial = CalendarForm.initial_for(calendar) if calendar else {"time_zone": "Europe/Moscow"}
    form = CalendarForm(request.POST or None, initial=initial, calendar=calendar)
    if request.method == "POST" and form.is_valid():
        try:
            config_services.calendar_save(
                actor=request.user,
                calendar=calendar,
                teams=form.cleaned_data["teams"],
                **form.calendar_fields(),
            )
        except ValidationError as error:
            form.apply_error(error)
        else:
            messages.success(request, _("The calendar is saved."))
            return redirect("sla:calendar-list")
    ctx = {"form": form, "calendar": calendar, "year": timezone.localdate().year}
    return render(request, "sla/calendar_form.html", ctx)


@require_POST
@require_perm(Perm.MANAGE_SLA)
def calendar_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    calendar = get_object_or_404(Calendar, pk=pk)
    try:
        config_services.calendar_delete(actor=request.user, calendar=calendar)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect_after(request, reverse("sla:calendar-edit", args=[pk]))
    messages.success(request, _("The calendar «%(name)s» is deleted.") % {"name": calendar.name})
    return redirect_after(request, reverse("sla:calendar-list"))


# --- A calendar's year -------------------------------------------------------------


def _year_calendar(pk: int, year: int) -> Calendar:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404
    return get_object_or_404(Calendar.objects.select_related("parent"), pk=pk)


def _month_weeks(days: list[dict[str, Any]], first_weekday: int) -> list[list[Any]]:
    """A month's days as Monday-first weeks of seven cells, None outside the month."""
    cells: list[Any] = [None] * first_weekday
    cells += [{**day, "label": DAY_KINDS[day["kind"]]} for day in days]
    cells += [None] * (-len(cells) % 7)
    return [cells[start : start + 7] for start in range(0, len(cells), 7)]


def _year_context(
    calendar: Calendar,
    year: int,
    *,
    day: dict[str, Any] | None = None,
    import_form: ImportForm | None = None,
) -> dict[str, Any]:
    """The year page: the twelve months, the totals, the day editor and the import form."""
    data = config_services.calendar_year(calendar, year)
    today = timezone.localdate()
    months = [
        {
            "number": month["number"],
            "name": MONTHS[month["number"]],
            "weeks": _month_weeks(month["days"], month["first_weekday"]),
        }
        for month in data["months"]
    ]
    return {
        "calendar": calendar,
        "year": year,
        "data": data,
        "months": months,
        "weekdays": list(WEEKDAYS_ABBR.values()),
        "kinds": DAY_KINDS,
        "today": today,
        "previous_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
        "import_form": import_form
        or ImportForm(initial={"fmt": "xmlcalendar", "year": year, "shown_year": year}),
        "day": day,
        "tabs": _tabs("sla:calendar-list"),
    }


def _day_editor(calendar: Calendar, form: DayForm) -> dict[str, Any]:
    """The day editor: the form, and what the date is now (when the date is good)."""
    date: dt.date | None = form.cleaned_data.get("date") if form.is_bound else form.initial["date"]
    if date is None or form.errors.get("date"):
        return {"form": form, "date": None}
    kind, note = working_time(calendar.pk).day(date, holiday_language())
    own = calendar.exceptions.filter(date=date).first()
    return {"form": form, "date": date, "kind": DAY_KINDS[kind], "note": note, "own": own}


def _day_form(calendar: Calendar, year: int, raw_date: str) -> DayForm:
    """The editor for a date typed in the query string: pre-filled, or showing the error."""
    probe = DayForm({"date": raw_date}, year=year)
    if not probe.is_valid():
        return probe
    date = probe.cleaned_data["date"]
    own = calendar.exceptions.filter(date=date).first()
    initial: dict[str, Any] = {"date": date, "kind": "", "shorter_by_minutes": 60}
    if own is not None:
        initial.update(kind=own.kind, shorter_by_minutes=own.shorter_by_minutes, note=own.note)
    return DayForm(initial=initial, year=year)


@require_perm(Perm.MANAGE_SLA)
def calendar_year(request: AuthedRequest, pk: int, year: int) -> HttpResponse:
    calendar = _year_calendar(pk, year)
    day = None
    if "date" in request.GET:
        day = _day_editor(calendar, _day_form(calendar, year, request.GET["date"]))
    return render(request, YEAR_TEMPLATE, _year_context(calendar, year, day=day))


@require_perm(Perm.MANAGE_SLA)
def calendar_day(request: AuthedRequest, pk: int, year: int) -> HttpResponse:
    """GET: the editor of one date (htmx). POST: set or clear the date, then the year again."""
    calendar = _year_calendar(pk, year)
    if request.method != "POST":
        raw_date = request.GET.get("date", "")
        if not request.htmx:
            url = reverse("sla:calendar-year", args=[pk, year])
            return redirect(f"{url}?{urlencode({'date': raw_date})}")
        day = _day_editor(calendar, _day_form(calendar, year, raw_date))
        ctx = {"day": day, "calendar": calendar, "year": year}
        return render(request, f"{YEAR_TEMPLATE}#day-editor", ctx)
    form = DayForm(request.POST, year=year)
    if form.is_valid():
        try:
            config_services.calendar_day_set(
                actor=request.user, calendar=calendar, **form.day_fields()
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return _day_saved(request, calendar, year, form.cleaned_data["date"])
    day = _day_editor(calendar, form)
    if request.htmx:
        # The form posts to the grid; its errors go back into the editor instead.
        ctx = {"day": day, "calendar": calendar, "year": year}
        response = render(request, f"{YEAR_TEMPLATE}#day-editor", ctx)
        return reswap(retarget(response, "#day-editor"), "outerHTML")
    return render(request, YEAR_TEMPLATE, _year_context(calendar, year, day=day))


def _day_saved(
    request: AuthedRequest, calendar: Calendar, year: int, date: dt.date
) -> HttpResponse:
    """The grid and totals again, and the editor saying it is saved (htmx); else a redirect."""
    if not request.htmx:
        messages.success(request, _("The day is saved."))
        return redirect("sla:calendar-year", calendar.pk, year)
    fresh = _day_editor(calendar, _day_form(calendar, year, date.isoformat()))
    ctx = _year_context(calendar, year, day={**fresh, "saved": True})
    return render(request, f"{YEAR_TEMPLATE}#day-saved", ctx)


@require_POST
@require_perm(Perm.MANAGE_SLA)
def calendar_import(request: AuthedRequest, pk: int) -> HttpResponse:
    calendar = get_object_or_404(Calendar, pk=pk)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            year, count = config_services.calendar_import(
                actor=request.user,
                calendar=calendar,
                fmt=form.cleaned_data["fmt"],
                data=form.cleaned_data["file"],
                year=form.cleaned_data["year"],
            )
        except ValidationError as error:
            form.apply_error(error)
        else:
            loaded = ngettext(
                "Loaded %(count)d day for %(year)d.", "Loaded %(count)d days for %(year)d.", count
            )
            messages.success(request, loaded % {"count": count, "year": year})
            return redirect("sla:calendar-year", calendar.pk, year)
    year = form.cleaned_data.get("shown_year") or timezone.localdate().year
    return render(request, YEAR_TEMPLATE, _year_context(calendar, year, import_form=form))
