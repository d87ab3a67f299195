"""The SLA settings screens: policies, production calendars, a calendar's year and imports.

Told from the head of support and the administrator (allowed) and from a
team lead and an operator (403). Bad input shows the error and changes
nothing; success is checked as the value before and after. Migration 0002
seeds the federal calendar (decrees 2024–2027, the default) and three
policies (Экстренные, Стандартные, Консультации), so those rows are here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from opora.accounts.models import Team, User
from opora.sla import config_services, services
from opora.sla.forms import duration_text, target_text, week_text
from opora.sla.models import Calendar, CalendarException, CalendarYear, Policy, Target
from opora.tickets.models import TicketType

pytestmark = pytest.mark.django_db

FEDERAL = "Производственный календарь РФ"
POLICIES = "/sla/policies/"
CALENDARS = "/sla/calendars/"
HTMX = {"HTTP_HX_REQUEST": "true"}

CountQueries = Callable[[int], Any]

XMLCALENDAR_2030 = """<?xml version="1.0" encoding="UTF-8"?>
<calendar year="2030" lang="ru" country="ru">
  <holidays><holiday id="1" title="Новогодние каникулы"/></holidays>
  <days>
    <day d="01.01" t="1" h="1"/>
    <day d="01.02" t="1" h="1"/>
    <day d="02.22" t="2"/>
    <day d="11.02" t="3"/>
  </days>
</calendar>
""".encode()


@pytest.fixture(autouse=True)
def _fresh_working_time() -> None:
    # Compiled calendars are cached per process by (id, version); a rolled-back
    # test can leave a calendar of the same id and version behind.
    services._compiled.clear()


@pytest.fixture
def federal(db: None) -> Calendar:
    return Calendar.objects.get(name=FEDERAL)


@pytest.fixture
def company(head: User, federal: Calendar) -> Calendar:
    return config_services.calendar_save(
        actor=head,
        name="ООО «Опора»",
        parent=federal,
        time_zone="Europe/Moscow",
        week=[[["09:00", "18:00"]]] * 5 + [[], []],
    )


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def policy_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "VIP",
        "is_active": "on",
        "warn_percent": "80",
        "priorities": ["high", "urgent"],
        "support_plans": ["premium"],
        "breach_raise_priority": "on",
        "targets-first_response-enabled": "on",
        "targets-first_response-hours": "",
        "targets-first_response-minutes": "15",
        "targets-first_response-clock": "24x7",
        "targets-next_response-clock": "business",
        "targets-resolution-enabled": "on",
        "targets-resolution-hours": "4",
        "targets-resolution-minutes": "",
        "targets-resolution-clock": "business",
        "targets-resolution-cap_days": "2",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def calendar_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Филиал в Новосибирске",
        "country": "RU",
        "time_zone": "Asia/Novosibirsk",
        **{f"week_{day}": "09:00-13:00, 14:00-18:00" for day in range(5)},
        "week_5": "10:00-14:00",
        "week_6": "",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def exceptions_of(calendar: Calendar) -> dict[dt.date, tuple[str, str]]:
    return {row.date: (row.kind, row.note) for row in calendar.exceptions.all()}


# --- Who may open the screens ------------------------------------------------------


SCREENS = [
    POLICIES,
    "/sla/policies/new/",
    "/sla/policies/{policy}/",
    CALENDARS,
    "/sla/calendars/new/",
    "/sla/calendars/{calendar}/",
    "/sla/calendars/{calendar}/2026/",
]


def screen_url(template: str, federal: Calendar) -> str:
    policy = Policy.objects.get(name="Стандартные")
    return template.format(policy=policy.pk, calendar=federal.pk)


@pytest.mark.parametrize("who", ["head_client", "admin_client"])
@pytest.mark.parametrize("template", SCREENS)
def test_the_head_and_the_administrator_open_every_sla_screen(
    request: pytest.FixtureRequest, who: str, template: str, federal: Calendar
) -> None:
    client: Client = request.getfixturevalue(who)

    response = client.get(screen_url(template, federal))

    assert response.status_code == 200


@pytest.mark.parametrize("who", ["lead_client", "operator_client"])
@pytest.mark.parametrize("template", SCREENS)
def test_a_lead_and_an_operator_are_refused_every_sla_screen(
    request: pytest.FixtureRequest, who: str, template: str, federal: Calendar
) -> None:
    client: Client = request.getfixturevalue(who)

    response = client.get(screen_url(template, federal))

    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/sla/policies/{policy}/delete/",
        "/sla/policies/{policy}/move/",
        "/sla/calendars/{calendar}/delete/",
        "/sla/calendars/{calendar}/2026/day/",
        "/sla/calendars/{calendar}/import/",
    ],
)
def test_a_lead_cannot_change_policies_or_calendars(
    lead_client: Client, path: str, federal: Calendar
) -> None:
    before = (Policy.objects.count(), exceptions_of(federal))

    response = lead_client.post(
        screen_url(path, federal), {"direction": "up", "date": "2026-05-12", "kind": "day_off"}
    )

    assert response.status_code == 403
    assert (Policy.objects.count(), exceptions_of(federal)) == before


def test_a_signed_out_visitor_is_sent_to_the_login_page(client: Client) -> None:
    response = client.get(POLICIES)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- Words ------------------------------------------------------------------------------


def test_durations_and_targets_read_as_people_say_them() -> None:
    standard = Target(kind="resolution", minutes=24 * 60, clock="business", cap_days=5)
    first = Target(kind="first_response", minutes=15, clock="24x7")

    with translation.override("en"):
        assert [duration_text(m) for m in (240, 15, 90)] == ["4 h", "15 min", "1 h 30 min"]
        assert target_text(first) == "First response: 15 min, 24×7"
        assert target_text(standard) == (
            "Resolution: 24 h of business hours, at most 5 calendar days"
        )
        assert week_text([[["09:00", "18:00"]]] * 5 + [[["10:00", "14:00"]], []]) == (
            "Mon–Fri 09:00–18:00; Sat 10:00–14:00"
        )


# --- Policies ---------------------------------------------------------------------------


def test_the_policy_list_shows_each_policy_with_its_conditions_and_targets(
    head_client: Client,
) -> None:
    response = head_client.get(POLICIES)

    rows = {row["policy"].name: row for row in response.context["rows"]}
    assert list(rows) == ["Экстренные", "Стандартные", "Консультации"]
    standard = TicketType.objects.get(code="standard")
    assert [values for _label, values in rows["Стандартные"]["conditions"]] == [str(standard)]
    assert len(rows["Экстренные"]["targets"]) == 2
    body = response.content.decode()
    for row in rows.values():
        for text in row["targets"]:
            assert text in body
    assert f"/sla/policies/{rows['Стандартные']['policy'].pk}/" in body


def test_the_policy_list_costs_the_same_queries_for_3_or_10_policies(
    head_client: Client, head: User, django_assert_max_num_queries: CountQueries
) -> None:
    assert Policy.objects.count() == 3
    three = queries_for(head_client, POLICIES)
    standard = TicketType.objects.get(code="standard")
    for index in range(7):
        config_services.policy_save(
            actor=head,
            name=f"Политика {index}",
            ticket_types=[standard],
            priorities=["high"],
            targets=[{"kind": "resolution", "minutes": 60, "clock": "business", "cap_days": 3}],
        )

    with django_assert_max_num_queries(three):
        head_client.get(POLICIES)


def test_a_head_creates_a_policy(head_client: Client, head: User) -> None:
    emergency = TicketType.objects.get(code="emergency")

    response = head_client.post(
        "/sla/policies/new/",
        policy_data(ticket_types=[str(emergency.pk)], breach_assign_to=head.pk),
    )

    assert response.status_code == 302
    assert response["Location"] == POLICIES
    policy = Policy.objects.get(name="VIP")
    assert list(policy.ticket_types.all()) == [emergency]
    assert (policy.priorities, policy.support_plans, policy.channels) == (
        ["high", "urgent"],
        ["premium"],
        [],
    )
    assert (policy.breach_assign_to, policy.breach_raise_priority, policy.breach_notify_head) == (
        head,
        True,
        False,
    )
    targets = {t.kind: (t.minutes, t.clock, t.cap_days) for t in policy.targets.all()}
    assert targets == {"first_response": (15, "24x7", None), "resolution": (240, "business", 2)}
    assert policy.position > Policy.objects.get(name="Консультации").position


def test_a_head_changes_the_standard_resolution_budget(head_client: Client) -> None:
    policy = Policy.objects.get(name="Стандартные")
    assert policy.targets.get().minutes == 24 * 60
    page = head_client.get(f"/sla/policies/{policy.pk}/")
    rows = {row.kind: row for row in page.context["editor"].rows}
    assert rows["resolution"].initial == {
        "enabled": True,
        "hours": 24,
        "minutes": 0,
        "clock": "business",
        "cap_days": 5,
    }

    response = head_client.post(
        f"/sla/policies/{policy.pk}/",
        policy_data(
            name="Стандартные",
            priorities=None,
            support_plans=None,
            ticket_types=[str(t.pk) for t in policy.ticket_types.all()],
            **{
                "targets-first_response-enabled": None,
                "targets-resolution-hours": "16",
                "targets-resolution-minutes": "30",
                "targets-resolution-cap_days": "5",
            },
        ),
    )

    assert response.status_code == 302
    target = policy.targets.get()
    assert (target.kind, target.minutes, target.cap_days) == ("resolution", 16 * 60 + 30, 5)


def test_a_zero_budget_is_shown_by_its_row_and_nothing_changes(head_client: Client) -> None:
    policy = Policy.objects.get(name="Стандартные")
    before = list(policy.targets.values_list("kind", "minutes"))

    response = head_client.post(
        f"/sla/policies/{policy.pk}/",
        policy_data(
            name="Стандартные",
            **{"targets-resolution-hours": "0", "targets-resolution-minutes": "0"},
        ),
    )

    assert response.status_code == 200
    rows = {row.kind: row for row in response.context["editor"].rows}
    assert rows["resolution"].non_field_errors()
    assert not rows["first_response"].errors
    assert 'id="target-resolution-errors"' in response.content.decode()
    assert list(policy.targets.values_list("kind", "minutes")) == before
    assert not Policy.objects.filter(name="VIP").exists()


def test_a_policy_without_targets_is_refused_and_nothing_is_created(head_client: Client) -> None:
    count = Policy.objects.count()

    response = head_client.post(
        "/sla/policies/new/",
        policy_data(**{"targets-first_response-enabled": None, "targets-resolution-enabled": None}),
    )

    assert response.status_code == 200
    assert response.context["editor"].targets_errors
    assert 'id="targets-errors"' in response.content.decode()
    assert Policy.objects.count() == count


def test_a_duplicate_policy_name_is_shown_on_the_name(head_client: Client) -> None:
    count = Policy.objects.count()

    response = head_client.post("/sla/policies/new/", policy_data(name="Стандартные"))

    assert response.status_code == 200
    assert response.context["editor"].form.errors["name"]
    assert Policy.objects.count() == count


def test_a_warning_share_out_of_range_is_refused_by_the_service(head_client: Client) -> None:
    policy = Policy.objects.get(name="Консультации")

    response = head_client.post(
        f"/sla/policies/{policy.pk}/", policy_data(name="Консультации", warn_percent="100")
    )

    assert response.status_code == 200
    assert response.context["editor"].form.errors["warn_percent"]
    policy.refresh_from_db()
    assert policy.warn_percent == 80


def test_a_head_moves_a_policy_up_with_htmx(head_client: Client) -> None:
    last = Policy.objects.get(name="Консультации")

    response = head_client.post(f"/sla/policies/{last.pk}/move/", {"direction": "up"}, **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="table-wrap" id="policies">')
    assert "<html" not in body
    names = list(Policy.objects.order_by("position", "pk").values_list("name", flat=True))
    assert names == ["Экстренные", "Консультации", "Стандартные"]


def test_moving_a_policy_needs_a_direction(head_client: Client) -> None:
    policy = Policy.objects.get(name="Консультации")
    before = list(Policy.objects.values_list("name", "position"))

    response = head_client.post(f"/sla/policies/{policy.pk}/move/", {"direction": "sideways"})

    assert response.status_code == 400
    assert list(Policy.objects.values_list("name", "position")) == before


def test_a_head_deletes_a_policy_with_htmx(head_client: Client) -> None:
    policy = Policy.objects.get(name="Консультации")

    response = head_client.post(f"/sla/policies/{policy.pk}/delete/", **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == POLICIES
    assert not Policy.objects.filter(pk=policy.pk).exists()


def test_deleting_needs_a_post(head_client: Client) -> None:
    policy = Policy.objects.get(name="Консультации")

    response = head_client.get(f"/sla/policies/{policy.pk}/delete/")

    assert response.status_code == 405
    assert Policy.objects.filter(pk=policy.pk).exists()


# --- Calendars --------------------------------------------------------------------------


def test_the_calendar_list_shows_hours_badges_and_queues(
    head_client: Client, company: Calendar, first_line: Team, federal: Calendar
) -> None:
    company.teams.add(first_line)

    response = head_client.get(CALENDARS)

    body = response.content.decode()
    rows = {row["calendar"].name: row for row in response.context["rows"]}
    assert set(rows) == {FEDERAL, "ООО «Опора»"}
    assert f'href="/sla/calendars/{federal.pk}/2026/"' in body
    assert f'href="/sla/calendars/{company.pk}/"' in body
    assert "Первая линия" in body
    assert rows[FEDERAL]["hours"].endswith("09:00–18:00")


def test_the_calendar_list_costs_the_same_queries_for_3_or_10_calendars(
    head_client: Client,
    head: User,
    federal: Calendar,
    first_line: Team,
    django_assert_max_num_queries: CountQueries,
) -> None:
    def add(index: int) -> None:
        calendar = config_services.calendar_save(
            actor=head, name=f"Филиал {index}", parent=federal, teams=[first_line]
        )
        assert calendar.pk

    for index in range(2):
        add(index)
    three = queries_for(head_client, CALENDARS)
    for index in range(2, 9):
        add(index)
    assert Calendar.objects.count() == 10

    with django_assert_max_num_queries(three):
        head_client.get(CALENDARS)


def test_a_head_creates_a_calendar_for_a_queue(
    head_client: Client, federal: Calendar, second_line: Team
) -> None:
    response = head_client.post(
        "/sla/calendars/new/",
        calendar_data(parent=federal.pk, teams=[second_line.pk]),
    )

    assert response.status_code == 302
    calendar = Calendar.objects.get(name="Филиал в Новосибирске")
    assert (calendar.parent, calendar.country, calendar.time_zone) == (
        federal,
        "RU",
        "Asia/Novosibirsk",
    )
    assert calendar.week == [[["09:00", "13:00"], ["14:00", "18:00"]]] * 5 + [
        [["10:00", "14:00"]],
        [],
    ]
    assert list(calendar.teams.all()) == [second_line]
    assert Calendar.objects.get(is_default=True) == federal


def test_the_calendar_form_shows_the_stored_week(head_client: Client, federal: Calendar) -> None:
    response = head_client.get(f"/sla/calendars/{federal.pk}/")

    form = response.context["form"]
    assert [form[f"week_{day}"].value() for day in range(7)] == ["09:00-18:00"] * 5 + ["", ""]
    assert federal not in form.fields["parent"].queryset


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"week_2": "9-18"}, "week_2"),
        ({"week_0": "18:00-09:00"}, "week_0"),
        ({"week_4": "09:00-13:00, 12:00-18:00"}, "week_4"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"country": "XX"}, "country"),
        ({"country": "RUS"}, "country"),
        ({"name": FEDERAL}, "name"),
    ],
)
def test_a_bad_calendar_is_refused_beside_its_field_and_nothing_is_created(
    head_client: Client, fields: dict[str, str], field: str
) -> None:
    count = Calendar.objects.count()

    response = head_client.post("/sla/calendars/new/", calendar_data(**fields))

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert Calendar.objects.count() == count


def test_a_calendar_without_working_hours_is_refused(head_client: Client) -> None:
    count = Calendar.objects.count()

    response = head_client.post(
        "/sla/calendars/new/",
        calendar_data(**{f"week_{day}": "" for day in range(7)}),
    )

    assert response.status_code == 200
    assert response.context["form"].week_errors
    assert 'id="week-errors"' in response.content.decode()
    assert Calendar.objects.count() == count


def test_a_round_the_clock_calendar_needs_no_hours(head_client: Client) -> None:
    response = head_client.post(
        "/sla/calendars/new/",
        calendar_data(
            name="Дежурная смена", is_round_the_clock="on", **{f"week_{d}": "" for d in range(7)}
        ),
    )

    assert response.status_code == 302
    assert Calendar.objects.get(name="Дежурная смена").is_round_the_clock is True


def test_a_head_makes_another_calendar_the_default(
    head_client: Client, company: Calendar, federal: Calendar
) -> None:
    assert Calendar.objects.get(is_default=True) == federal

    response = head_client.post(
        f"/sla/calendars/{company.pk}/",
        calendar_data(name=company.name, parent=federal.pk, is_default="on"),
    )

    assert response.status_code == 302
    assert Calendar.objects.get(is_default=True) == company


def test_a_calendar_in_use_is_not_deleted_and_the_reason_is_shown(
    head_client: Client, federal: Calendar, company: Calendar
) -> None:
    response = head_client.post(f"/sla/calendars/{federal.pk}/delete/", **HTMX)

    assert response["HX-Redirect"] == f"/sla/calendars/{federal.pk}/"
    page = head_client.get(f"/sla/calendars/{federal.pk}/")
    assert [m.level_tag for m in page.context["messages"]] == ["error"]
    assert Calendar.objects.filter(pk=federal.pk).exists()
    assert federal.exceptions.exists()


def test_a_head_deletes_an_unused_calendar(head_client: Client, company: Calendar) -> None:
    response = head_client.post(f"/sla/calendars/{company.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == CALENDARS
    assert not Calendar.objects.filter(pk=company.pk).exists()


# --- A calendar's year --------------------------------------------------------------------


def test_the_year_shows_may_2026_with_its_holidays(head_client: Client, federal: Calendar) -> None:
    response = head_client.get(f"/sla/calendars/{federal.pk}/2026/")

    assert response.status_code == 200
    months = response.context["months"]
    assert len(months) == 12
    may = {cell["date"]: cell for week in months[4]["weeks"] for cell in week if cell}
    assert len(may) == 31
    assert may[dt.date(2026, 5, 1)]["kind"] == "holiday"
    assert may[dt.date(2026, 5, 9)]["kind"] == "holiday"
    assert may[dt.date(2026, 5, 12)]["kind"] == "working"
    assert may[dt.date(2026, 5, 1)]["own"] is True
    assert months[4]["weeks"][0][:4] == [None, None, None, None]  # 1 May 2026 is a Friday
    data = response.context["data"]
    assert data["provisional"] is False
    assert data["working_days"] > 240
    body = response.content.decode()
    assert 'data-date="2026-05-01" data-kind="holiday"' in body
    assert 'id="provisional"' not in body
    assert f'href="/sla/calendars/{federal.pk}/2025/"' in body
    assert f'href="/sla/calendars/{federal.pk}/2027/"' in body


def test_a_year_without_a_decree_is_marked_provisional(
    head_client: Client, federal: Calendar
) -> None:
    response = head_client.get(f"/sla/calendars/{federal.pk}/2030/")

    assert response.context["data"]["provisional"] is True
    assert 'id="provisional"' in response.content.decode()


def test_a_year_out_of_range_is_not_found(head_client: Client, federal: Calendar) -> None:
    assert head_client.get(f"/sla/calendars/{federal.pk}/1200/").status_code == 404


def test_the_year_view_costs_a_handful_of_queries(
    head_client: Client, company: Calendar, django_assert_max_num_queries: CountQueries
) -> None:
    with django_assert_max_num_queries(20):
        head_client.get(f"/sla/calendars/{company.pk}/2026/")


def test_clicking_a_day_opens_its_editor(head_client: Client, company: Calendar) -> None:
    response = head_client.get(f"/sla/calendars/{company.pk}/2026/day/?date=2026-05-09", **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="card" id="day-editor"')
    assert 'id="day-form"' in body
    assert 'name="date" value="2026-05-09"' in body
    assert 'value="" id="id_kind_0" checked' in body  # the holiday comes from the federal calendar


@pytest.mark.parametrize("date", ["2026-02-30", "tomorrow", "2027-01-05", ""])
def test_a_bad_date_opens_no_editor(head_client: Client, company: Calendar, date: str) -> None:
    response = head_client.get(f"/sla/calendars/{company.pk}/2026/day/?date={date}", **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="day-errors"' in body
    assert 'id="day-form"' not in body


def test_a_day_link_without_htmx_opens_the_year_with_the_editor(
    head_client: Client, company: Calendar
) -> None:
    response = head_client.get(
        f"/sla/calendars/{company.pk}/2026/day/?date=2026-05-12", follow=True
    )

    assert response.redirect_chain[-1][0] == f"/sla/calendars/{company.pk}/2026/?date=2026-05-12"
    assert response.context["day"]["date"] == dt.date(2026, 5, 12)


def test_a_head_marks_a_company_day_off_and_the_year_is_redrawn(
    head_client: Client, company: Calendar
) -> None:
    assert exceptions_of(company) == {}

    response = head_client.post(
        f"/sla/calendars/{company.pk}/2026/day/",
        {"date": "2026-05-12", "kind": "day_off", "note": "День компании"},
        **HTMX,
    )

    assert response.status_code == 200
    assert exceptions_of(company) == {dt.date(2026, 5, 12): ("day_off", "День компании")}
    row = company.exceptions.get()
    assert row.source == CalendarException.Source.MANUAL
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="year-grid" id="year-grid"')
    assert 'data-date="2026-05-12" data-kind="day_off"' in body
    assert f'hx-get="/sla/calendars/{company.pk}/2026/day/?date=2026-05-13"' in body
    assert '<dl class="year-totals" id="year-totals" hx-swap-oob="true">' in body
    assert '<div class="card" id="day-editor" hx-swap-oob="true">' in body
    assert 'id="day-saved"' in body


def test_a_head_shortens_a_day_and_then_clears_it(head_client: Client, company: Calendar) -> None:
    url = f"/sla/calendars/{company.pk}/2026/day/"
    head_client.post(
        url, {"date": "2026-06-10", "kind": "shortened", "shorter_by_minutes": "120"}, **HTMX
    )
    assert company.exceptions.get().shorter_by_minutes == 120

    response = head_client.post(url, {"date": "2026-06-10", "kind": ""}, **HTMX)

    assert response.status_code == 200
    assert exceptions_of(company) == {}
    assert 'data-date="2026-06-10" data-kind="working"' in response.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"date": "2026-05-12", "kind": "vacation"}, 'id="id_kind_errors"'),
        ({"date": "2026-13-01", "kind": "day_off"}, 'id="day-errors"'),
        ({"date": "2025-05-12", "kind": "day_off"}, 'id="day-errors"'),
        (
            {"date": "2026-05-12", "kind": "shortened", "shorter_by_minutes": "600"},
            'id="id_shorter_by_minutes_errors"',  # the service's rule: 1 to 480 minutes
        ),
    ],
)
def test_a_bad_day_is_refused_in_the_editor_and_nothing_changes(
    head_client: Client, company: Calendar, data: dict[str, str], error: str
) -> None:
    response = head_client.post(f"/sla/calendars/{company.pk}/2026/day/", data, **HTMX)

    assert response.status_code == 200
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#day-editor", "outerHTML")
    body = response.content.decode()
    assert body.lstrip().startswith('<div class="card" id="day-editor"')
    assert error in body
    assert exceptions_of(company) == {}


def test_a_day_saved_without_htmx_redirects_to_the_year(
    head_client: Client, company: Calendar
) -> None:
    response = head_client.post(
        f"/sla/calendars/{company.pk}/2026/day/", {"date": "2026-12-31", "kind": "day_off"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/sla/calendars/{company.pk}/2026/"
    assert exceptions_of(company) == {dt.date(2026, 12, 31): ("day_off", "")}


# --- Importing a decree ---------------------------------------------------------------------


def upload(data: bytes, name: str = "calendar.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/xml")


def test_a_head_imports_an_xmlcalendar_year(head_client: Client, company: Calendar) -> None:
    assert not company.exceptions.filter(date__year=2030).exists()

    response = head_client.post(
        f"/sla/calendars/{company.pk}/import/",
        {
            "fmt": "xmlcalendar",
            "year": "2026",
            "shown_year": "2026",
            "file": upload(XMLCALENDAR_2030),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/sla/calendars/{company.pk}/2030/"
    assert exceptions_of(company) == {
        dt.date(2030, 1, 1): ("holiday", "Новогодние каникулы"),
        dt.date(2030, 1, 2): ("holiday", "Новогодние каникулы"),
        dt.date(2030, 2, 22): ("shortened", ""),
        dt.date(2030, 11, 2): ("working", ""),
    }
    assert CalendarYear.objects.get(calendar=company, year=2030).is_provisional is False
    page = head_client.get(response["Location"])
    assert [m.level_tag for m in page.context["messages"]] == ["success"]
    assert "4" in str(list(page.context["messages"])[0])


def test_a_head_imports_isdayoff_data_for_a_year(head_client: Client, company: Calendar) -> None:
    digits = ["0"] * 365
    for day in range(365):
        if (dt.date(2029, 1, 1) + dt.timedelta(days=day)).weekday() >= 5:
            digits[day] = "1"
    digits[0] = "1"  # 1 January 2029, a Monday

    response = head_client.post(
        f"/sla/calendars/{company.pk}/import/",
        {"fmt": "isdayoff", "year": "2029", "file": upload("".join(digits).encode(), "2029.txt")},
    )

    assert response.status_code == 302
    assert exceptions_of(company) == {dt.date(2029, 1, 1): ("day_off", "")}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"fmt": "xmlcalendar", "file": b"<calendar year='2030'><days><day d='13.45' t='1'/>"}, "file"),
        ({"fmt": "xmlcalendar", "file": b"not xml at all"}, "file"),
        ({"fmt": "xmlcalendar", "file": b"<calendar year='2030'><days><day d='01.01' t='9'/></days></calendar>"}, "file"),
        ({"fmt": "xmlcalendar", "file": b"x" * (1024 * 1024 + 1)}, "file"),
        ({"fmt": "isdayoff", "file": b"0101"}, "year"),
        ({"fmt": "isdayoff", "year": "2029", "file": b"0101"}, "file"),
        ({"fmt": "csv", "file": b"0101"}, "fmt"),
    ],
)  # fmt: skip
def test_a_broken_file_is_refused_on_the_year_page_and_nothing_changes(
    head_client: Client, federal: Calendar, fields: dict[str, Any], field: str
) -> None:
    before = exceptions_of(federal)
    data = {"shown_year": "2026", **fields, "file": upload(fields["file"])}

    response = head_client.post(f"/sla/calendars/{federal.pk}/import/", data)

    assert response.status_code == 200
    assert response.context["import_form"].errors[field]
    assert response.context["year"] == 2026
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert exceptions_of(federal) == before
