"""SLA clocks on real tickets: start, pause, resume, meet, retarget, warn, breach, recompute.

All times are Moscow (the default calendar's zone); the seeded federal
calendar works Mon–Fri 09:00–18:00 with the decrees of 2024–2027.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import F

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.sla import config_services, services
from opora.sla.models import Calendar, CalendarYear, Clock, ClockEvent, Policy, Target
from opora.sla.selectors import ClockState, clock_ledger, ticket_clocks
from opora.tickets import services as ticket_services
from opora.tickets.models import Category, ResolutionCode, Ticket, TicketType

MSK = ZoneInfo("Europe/Moscow")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MSK)  # type: ignore[misc]


@pytest.fixture
def account(db: None) -> ClientAccount:
    return ClientAccount.objects.create(name="ООО «Вектор»")


@pytest.fixture
def contact(account: ClientAccount) -> Contact:
    person = Contact.objects.create(full_name="Ирина Белова", email="irina@vector.ru")
    person.accounts.add(account)
    return person


def open_ticket(contact: Contact, code: str, team: Team | None = None, **extra: Any) -> Ticket:
    return ticket_services.ticket_create(
        subject="Касса не печатает чеки",
        body="С утра не печатаются чеки.",
        channel=extra.pop("channel", Ticket.Channel.EMAIL),
        type=TicketType.objects.get(code=code),
        requester=contact,
        team=team,
        **extra,
    )


def clock_of(ticket: Ticket, kind: str) -> Clock:
    return Clock.objects.get(ticket=ticket, kind=kind)


def resolvable(ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(
        category=Category.objects.get_or_create(name="Кассы")[0],
        resolution=ResolutionCode.objects.get(name="Ошибка исправлена"),
    )


# --- Starting -------------------------------------------------------------------


def test_an_emergency_gets_15_minutes_round_the_clock_and_4_business_hours(
    contact: Contact,
) -> None:
    with time_machine.travel(at(2025, 11, 28, 17, 0), tick=False):  # Friday
        ticket = open_ticket(contact, "emergency")
    first, resolution = clock_of(ticket, "first_response"), clock_of(ticket, "resolution")
    assert first.due_at == at(2025, 11, 28, 17, 15)
    # 1 h on Friday (17–18), 3 h on Monday from 09:00.
    assert resolution.due_at == at(2025, 12, 1, 12, 0)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == first.due_at
    assert first.warn_at == at(2025, 11, 28, 17, 12)  # 80% of 15 minutes


def test_a_standard_ticket_is_capped_at_five_calendar_days_over_new_year(
    contact: Contact,
) -> None:
    with time_machine.travel(at(2025, 12, 30, 10, 0), tick=False):
        ticket = open_ticket(contact, "standard")
    # 24 business hours would end on 14.01.2026 (holidays 31.12–11.01); the cap is sooner.
    assert clock_of(ticket, "resolution").due_at == at(2026, 1, 4, 10, 0)
    assert not Clock.objects.filter(ticket=ticket, kind="first_response").exists()


def test_a_ticket_no_policy_matches_has_no_clocks(contact: Contact) -> None:
    Policy.objects.update(is_active=False)
    ticket = open_ticket(contact, "standard")
    assert list(Clock.objects.filter(ticket=ticket)) == []
    ticket.refresh_from_db()
    assert (ticket.sla_due_at, ticket.sla_paused, ticket.sla_breached) == (None, False, False)


def test_policies_match_in_order_on_channel_contract_and_priority(
    contact: Contact, account: ClientAccount
) -> None:
    Policy.objects.update(position=F("position") + 10)
    premium = Policy.objects.create(name="Премиум", position=1, support_plans=["premium"])
    Target.objects.create(policy=premium, kind="resolution", minutes=60, clock="business")
    by_phone = Policy.objects.create(
        name="Телефон, срочно", position=0, channels=["phone"], priorities=["urgent"]
    )
    Target.objects.create(policy=by_phone, kind="first_response", minutes=5, clock="24x7")
    assert clock_of(open_ticket(contact, "standard"), "resolution").policy.name == "Стандартные"
    account.support_plan = ClientAccount.SupportPlan.PREMIUM
    account.save()
    assert clock_of(open_ticket(contact, "standard"), "resolution").policy == premium
    urgent_call = open_ticket(contact, "standard", channel="phone", priority="urgent")
    assert clock_of(urgent_call, "first_response").policy == by_phone


# --- Meeting, pausing, resuming -------------------------------------------------------


def test_a_public_reply_meets_the_first_response_but_a_note_does_not(
    contact: Contact, operator: User
) -> None:
    with time_machine.travel(at(2025, 11, 27, 10, 0), tick=False):
        ticket = open_ticket(contact, "emergency")
    with time_machine.travel(at(2025, 11, 27, 10, 5), tick=False):
        ticket_services.ticket_reply(ticket=ticket, author=operator, body="Смотрим", internal=True)
        assert clock_of(ticket, "first_response").state == Clock.State.RUNNING
        ticket_services.ticket_reply(ticket=ticket, author=operator, body="Уже чиним")
    first = clock_of(ticket, "first_response")
    assert (first.state, first.met_at, first.breached_at) == ("met", at(2025, 11, 27, 10, 5), None)
    assert clock_of(ticket, "resolution").state == Clock.State.RUNNING


def test_waiting_on_the_client_pauses_and_the_reply_resumes_with_the_time_left(
    contact: Contact, operator: User
) -> None:
    with time_machine.travel(at(2025, 11, 25, 10, 0), tick=False):  # Tuesday
        ticket = open_ticket(contact, "emergency")
    assert clock_of(ticket, "resolution").due_at == at(2025, 11, 25, 14, 0)
    with time_machine.travel(at(2025, 11, 25, 11, 0), tick=False):
        ticket_services.ticket_reply(
            ticket=ticket, author=operator, body="Пришлите фото", status="pending"
        )
    paused = clock_of(ticket, "resolution")
    assert (paused.state, paused.consumed, paused.due_at) == ("paused", 3600.0, None)
    ticket.refresh_from_db()
    assert (ticket.sla_paused, ticket.sla_due_at) == (True, None)
    with time_machine.travel(at(2025, 11, 26, 9, 30), tick=False):
        ticket_services.ticket_client_reply(ticket=ticket, contact=contact, body="Вот фото")
    resumed = clock_of(ticket, "resolution")
    # 3 h were left; resumed at 09:30 next day.
    assert (resumed.state, resumed.due_at) == ("running", at(2025, 11, 26, 12, 30))
    assert [e.kind for e in resumed.events.all()] == ["started", "paused", "resumed"]


def test_resolving_meets_the_clock_and_a_reopen_continues_it(
    contact: Contact, operator: User
) -> None:
    with time_machine.travel(at(2025, 11, 25, 10, 0), tick=False):
        ticket = open_ticket(contact, "emergency")
        resolvable(ticket)
    with time_machine.travel(at(2025, 11, 25, 11, 0), tick=False):
        ticket_services.ticket_update(ticket=ticket, actor=operator, status="resolved")
    met = clock_of(ticket, "resolution")
    assert (met.state, met.met_at, met.consumed) == ("met", at(2025, 11, 25, 11, 0), 3600.0)
    with time_machine.travel(at(2025, 11, 25, 15, 0), tick=False):
        ticket_services.ticket_client_reply(
            ticket=ticket, contact=contact, body="Снова не печатает"
        )
    reopened = clock_of(ticket, "resolution")
    # The four hours it sat resolved do not count: 3 h left from 15:00.
    assert (reopened.state, reopened.met_at, reopened.due_at) == (
        "running",
        None,
        at(2025, 11, 25, 18, 0),
    )
    assert "reopened" in [e.kind for e in reopened.events.all()]


def test_a_change_of_type_retargets_keeping_the_time_used_and_says_so(
    contact: Contact, operator: User
) -> None:
    with time_machine.travel(at(2025, 11, 25, 10, 0), tick=False):
        ticket = open_ticket(contact, "consultation")
    assert clock_of(ticket, "resolution").minutes == 48 * 60
    with time_machine.travel(at(2025, 11, 25, 11, 0), tick=False):
        ticket_services.ticket_update(
            ticket=ticket, actor=operator, type=TicketType.objects.get(code="emergency")
        )
    resolution = clock_of(ticket, "resolution")
    assert (resolution.minutes, resolution.consumed) == (240, 3600.0)
    assert resolution.due_at == at(2025, 11, 25, 14, 0)  # 1 h used, 3 h left from 11:00
    notes = [e.note for e in resolution.events.filter(kind=ClockEvent.Kind.RETARGETED)]
    assert len(notes) == 1 and "Экстренные" in notes[0]
    # The first-response target starts when it starts to apply.
    assert clock_of(ticket, "first_response").due_at == at(2025, 11, 25, 11, 15)


def test_spam_and_merge_cancel_the_clocks(contact: Contact, operator: User) -> None:
    spam = open_ticket(contact, "standard")
    ticket_services.ticket_mark_spam(ticket=spam, actor=operator)
    assert clock_of(spam, "resolution").state == Clock.State.CANCELLED
    source, target = open_ticket(contact, "standard"), open_ticket(contact, "standard")
    ticket_services.ticket_merge(source=source, target=target, actor=operator)
    assert clock_of(source, "resolution").state == Clock.State.CANCELLED
    assert clock_of(target, "resolution").state == Clock.State.RUNNING


def test_a_client_message_after_the_reply_starts_the_next_response_clock(
    contact: Contact, operator: User
) -> None:
    standard = Policy.objects.get(name="Стандартные")
    Target.objects.create(policy=standard, kind="next_response", minutes=120, clock="business")
    with time_machine.travel(at(2025, 11, 25, 10, 0), tick=False):
        ticket = open_ticket(contact, "standard")
        ticket_services.ticket_client_reply(ticket=ticket, contact=contact, body="Ещё деталь")
    assert not Clock.objects.filter(ticket=ticket, kind="next_response").exists()
    with time_machine.travel(at(2025, 11, 25, 11, 0), tick=False):
        ticket_services.ticket_reply(ticket=ticket, author=operator, body="Принято")
    with time_machine.travel(at(2025, 11, 25, 17, 0), tick=False):
        ticket_services.ticket_client_reply(ticket=ticket, contact=contact, body="А сроки?")
    assert clock_of(ticket, "next_response").due_at == at(2025, 11, 26, 10, 0)
    with time_machine.travel(at(2025, 11, 26, 9, 30), tick=False):
        ticket_services.ticket_reply(ticket=ticket, author=operator, body="Завтра")
    assert clock_of(ticket, "next_response").state == Clock.State.MET


# --- The worker: warnings and breaches ------------------------------------------------


@pytest.fixture
def assigned_emergency(contact: Contact, operator: User, first_line: Team) -> Ticket:
    with time_machine.travel(at(2025, 11, 25, 10, 0), tick=False):
        return open_ticket(contact, "emergency", team=first_line, assignee=operator)


def test_a_warning_reaches_assignee_and_lead_once(
    assigned_emergency: Ticket, operator: User, lead: User, mailoutbox: list[Any]
) -> None:
    assert services.sla_warnings_send(now=at(2025, 11, 25, 10, 11)) == 0
    assert services.sla_warnings_send(now=at(2025, 11, 25, 10, 12)) == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted([operator.email, lead.email])
    assert services.sla_warnings_send(now=at(2025, 11, 25, 10, 13)) == 0
    assert len(mailoutbox) == 2


def test_a_breach_raises_priority_tells_the_head_and_is_recorded_once(
    assigned_emergency: Ticket, head: User, mailoutbox: list[Any]
) -> None:
    assert assigned_emergency.priority == Ticket.Priority.NORMAL
    assert services.sla_breaches_escalate(now=at(2025, 11, 25, 10, 14)) == 0
    assert services.sla_breaches_escalate(now=at(2025, 11, 25, 10, 16)) == 1
    first = clock_of(assigned_emergency, "first_response")
    assert first.breached_at == at(2025, 11, 25, 10, 15)
    assigned_emergency.refresh_from_db()
    assert (assigned_emergency.priority, assigned_emergency.sla_breached) == ("high", True)
    assert head.email in [m.to[0] for m in mailoutbox]
    assert assigned_emergency.events.filter(field="sla").count() == 1
    sent = len(mailoutbox)
    assert services.sla_breaches_escalate(now=at(2025, 11, 25, 10, 20)) == 0
    assert len(mailoutbox) == sent
    assert ticket_clocks(assigned_emergency, now=at(2025, 11, 25, 10, 20))[0].state == (
        ClockState.BREACHED
    )


def test_a_reply_after_the_deadline_records_the_breach_even_if_the_worker_was_down(
    assigned_emergency: Ticket, operator: User
) -> None:
    with time_machine.travel(at(2025, 11, 25, 10, 40), tick=False):
        ticket_services.ticket_reply(ticket=assigned_emergency, author=operator, body="Извините")
    first = clock_of(assigned_emergency, "first_response")
    assert (first.state, first.breached_at) == ("met", at(2025, 11, 25, 10, 15))
    assert services.sla_breaches_escalate(now=at(2025, 11, 25, 10, 41)) == 0


# --- Recompute ------------------------------------------------------------------------


def test_a_new_company_day_off_moves_open_deadlines(contact: Contact, admin_user: User) -> None:
    with time_machine.travel(at(2025, 11, 25, 10, 0), tick=False):
        ticket = open_ticket(contact, "standard")  # 8 h Tue + 9 h Wed + 7 h Thu
    assert clock_of(ticket, "resolution").due_at == at(2025, 11, 27, 16, 0)
    federal = Calendar.objects.get(is_default=True)
    with time_machine.travel(at(2025, 11, 25, 12, 0), tick=False):
        config_services.calendar_day_set(
            actor=admin_user, calendar=federal, date=dt.date(2025, 11, 26), kind="day_off"
        )
    assert clock_of(ticket, "resolution").due_at == at(2025, 11, 28, 16, 0)
    ticket.refresh_from_db()
    assert ticket.sla_due_at == at(2025, 11, 28, 16, 0)


def test_a_policy_change_retargets_open_tickets(contact: Contact, admin_user: User) -> None:
    with time_machine.travel(at(2025, 11, 25, 10, 0), tick=False):
        ticket = open_ticket(contact, "standard")
    standard = Policy.objects.get(name="Стандартные")
    with time_machine.travel(at(2025, 11, 25, 11, 0), tick=False):
        config_services.policy_save(
            actor=admin_user,
            policy=standard,
            ticket_types=list(standard.ticket_types.all()),
            targets=[
                {"kind": "resolution", "minutes": 8 * 60, "clock": "business", "cap_days": None}
            ],
            name=standard.name,
        )
    # 1 h used under the old target, 7 h left from 11:00.
    assert clock_of(ticket, "resolution").due_at == at(2025, 11, 25, 18, 0)


def test_bulk_recompute_writes_due_times_and_ticket_summaries(contact: Contact) -> None:
    with time_machine.travel(at(2025, 11, 25, 10, 0), tick=False):
        tickets = [open_ticket(contact, "emergency") for _ in range(3)]
    Clock.objects.update(due_at=None, warn_at=None)
    Ticket.objects.update(sla_due_at=None)
    assert services.sla_recompute() == 6
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.sla_due_at == at(2025, 11, 25, 10, 15)
        assert clock_of(ticket, "resolution").due_at == at(2025, 11, 25, 14, 0)


# --- The ledger -----------------------------------------------------------------------


def test_the_ledger_explains_a_deadline_over_the_new_year_holidays(
    contact: Contact, operator: User
) -> None:
    Policy.objects.filter(name="Стандартные").update(is_active=False)
    policy = Policy.objects.create(name="Без лимита", position=99)
    Target.objects.create(policy=policy, kind="resolution", minutes=240, clock="business")
    with time_machine.travel(at(2025, 12, 30, 17, 30), tick=False):
        ticket = open_ticket(contact, "standard")
    clock = clock_of(ticket, "resolution")
    assert clock.due_at == at(2026, 1, 12, 12, 30)
    lines = clock_ledger(clock, now=at(2026, 1, 12, 12, 30))
    kinds = [line.kind for line in lines if line.kind != "event"]
    assert kinds[0] == "working" and kinds[-1] == "working"
    assert "holiday" in kinds and "weekend" in kinds and "outside_hours" in kinds
    counted = sum(line.seconds for line in lines if line.counted)
    assert counted == 240 * 60
    assert any("Новогодние каникулы" in line.note for line in lines if line.kind == "holiday")


# --- The yearly decree check -----------------------------------------------------------


def test_from_september_a_missing_decree_marks_next_year_provisional_and_warns_once(
    admin_user: User, mailoutbox: list[Any]
) -> None:
    assert config_services.calendar_years_check(today=dt.date(2027, 8, 31)) == []
    assert config_services.calendar_years_check(today=dt.date(2026, 9, 1)) == []  # 2027 is loaded
    flagged = config_services.calendar_years_check(today=dt.date(2027, 9, 1))
    assert [(row.year, row.is_provisional) for row in flagged] == [(2028, True)]
    assert [m.to for m in mailoutbox] == [[admin_user.email]]
    config_services.calendar_years_check(today=dt.date(2027, 9, 2))
    assert len(mailoutbox) == 1
    assert CalendarYear.objects.get(year=2028).warned_at is not None


@pytest.mark.django_db(transaction=True)
def test_recompute_in_two_threads_writes_every_ticket_once(contact: Contact) -> None:
    # Committed rows, so the worker threads' own connections see them on PostgreSQL
    # (SQLite runs the same call in one thread). Browser tests before this one may have
    # flushed the migration-seeded rows, so make sure of them.
    standard, _ = TicketType.objects.get_or_create(
        code="standard", defaults={"name": "Стандартное"}
    )
    calendar, _ = Calendar.objects.get_or_create(
        name="Производственный календарь РФ", defaults={"country": "RU", "is_default": True}
    )
    policy, _ = Policy.objects.get_or_create(name="Стандартные", defaults={"calendar": calendar})
    policy.ticket_types.add(standard)
    Target.objects.get_or_create(
        policy=policy,
        kind="resolution",
        defaults={"minutes": 1440, "clock": "business", "cap_days": 5},
    )
    with time_machine.travel(at(2025, 11, 25, 10, 0), tick=False):
        tickets = [open_ticket(contact, "standard") for _ in range(5)]
    Clock.objects.update(due_at=None, warn_at=None)
    Ticket.objects.update(sla_due_at=None, sla_warn_at=None)
    assert services.sla_recompute(workers=2) == 5
    assert services.sla_recompute(workers=2) == 0  # nothing moved, nothing written
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.sla_due_at == at(2025, 11, 27, 16, 0)
