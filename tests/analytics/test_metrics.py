"""Each metric on hand-built tickets with known answers (docs/metrics.md), through the rollups.

Times are Moscow; the seeded federal calendar works Mon–Fri 09:00–18:00.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from opora.accounts.models import Team, User
from opora.analytics import metrics
from opora.analytics.facts import BUCKET_EDGES, FRT_BUSINESS, RESOLUTION_BUSINESS, bucket_of
from opora.analytics.models import StaleTicket, TicketFact
from opora.analytics.rollups import rollups_refresh
from opora.clients.models import ClientAccount, Contact
from opora.quality.services import csat_record
from opora.tickets import services as tickets
from opora.tickets.models import Category, ResolutionCode, Ticket, TicketType

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
HOUR = 3600.0


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MSK)  # type: ignore[misc,arg-type]


@pytest.fixture
def account(db: None) -> ClientAccount:
    return ClientAccount.objects.create(name="ООО «Вектор»")


@pytest.fixture
def contact(account: ClientAccount) -> Contact:
    person = Contact.objects.create(full_name="Ирина Белова", email="irina@vector.ru")
    person.accounts.add(account)
    return person


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(name="Кассы")


def open_ticket(
    contact: Contact, when: dt.datetime, code: str = "standard", **extra: Any
) -> Ticket:
    with time_machine.travel(when, tick=False):
        return tickets.ticket_create(
            subject="Касса не печатает чеки",
            body="С утра не печатаются чеки.",
            channel=extra.pop("channel", Ticket.Channel.EMAIL),
            type=TicketType.objects.get(code=code),
            requester=contact,
            **extra,
        )


def reply(ticket: Ticket, author: User, when: dt.datetime, **extra: Any) -> None:
    with time_machine.travel(when, tick=False):
        tickets.ticket_reply(ticket=ticket, author=author, body="Проверили, исправлено.", **extra)


def client_writes(ticket: Ticket, when: dt.datetime) -> None:
    with time_machine.travel(when, tick=False):
        tickets.ticket_client_reply(
            ticket=ticket, contact=ticket.requester, body="Снова не работает"
        )


def resolve(ticket: Ticket, actor: User, when: dt.datetime) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(
        resolution=ResolutionCode.objects.get(name="Ошибка исправлена")
    )
    with time_machine.travel(when, tick=False):
        tickets.ticket_update(
            ticket=Ticket.objects.get(pk=ticket.pk), actor=actor, status="resolved"
        )


def period(start: dt.date, end: dt.date | None = None, **dims: Any) -> metrics.Filters:
    return metrics.Filters(start=start, end=end or start, **dims)


def refreshed() -> None:
    rollups_refresh()
    assert not StaleTicket.objects.exists()


# --- Times ---------------------------------------------------------------------------


def test_first_response_over_a_weekend_counts_two_business_hours_and_65_calendar_hours(
    contact: Contact, operator: User, category: Category
) -> None:
    ticket = open_ticket(contact, at(2025, 11, 28, 17, 0), category=category)  # Friday 17:00
    reply(ticket, operator, at(2025, 12, 1, 10, 0))  # Monday 10:00
    refreshed()

    fact = TicketFact.objects.get(ticket_id=ticket.pk)
    assert fact.frt_seconds == 65 * HOUR
    assert fact.frt_business_seconds == pytest.approx(2 * HOUR)  # Fri 17–18, Mon 9–10
    # Attributed to the day of the response.
    monday = metrics.summary(period(dt.date(2025, 12, 1)))
    assert monday["first_responses"] == 1
    assert monday["frt_mean_business"] == pytest.approx(2 * HOUR)
    # One value: the median is read inside its bucket [2 h, 3 h).
    assert 2 * HOUR <= monday["frt_median_business"] < 3 * HOUR
    assert metrics.summary(period(dt.date(2025, 11, 28)))["first_responses"] == 0
    assert metrics.summary(period(dt.date(2025, 11, 28)))["created"] == 1


def test_resolution_time_leaves_out_the_wait_for_the_client_in_business_hours_only(
    contact: Contact, operator: User, category: Category
) -> None:
    ticket = open_ticket(contact, at(2025, 12, 1, 10, 0), category=category)  # Monday
    reply(ticket, operator, at(2025, 12, 1, 11, 0), status="pending")  # clock paused
    client_writes(ticket, at(2025, 12, 2, 10, 0))  # Tuesday: resumes
    resolve(ticket, operator, at(2025, 12, 2, 12, 0))
    refreshed()

    fact = TicketFact.objects.get(ticket_id=ticket.pk)
    assert fact.resolution_seconds == 26 * HOUR
    assert fact.resolution_business_seconds == pytest.approx(3 * HOUR)  # Mon 10–11, Tue 10–12
    tuesday = metrics.summary(period(dt.date(2025, 12, 2)))
    assert tuesday["resolved"] == 1
    assert tuesday["resolution_mean_business"] == pytest.approx(3 * HOUR)
    assert tuesday["reopen_rate"] == 0


def test_percentiles_come_from_the_buckets_and_stay_inside_the_true_values_bucket() -> None:
    durations = [5 * 60.0, 7 * 60.0, 40 * 60.0, 2.5 * HOUR, 9 * HOUR]
    counts: dict[int, int] = {}
    for seconds in durations:
        counts[bucket_of(seconds)] = counts.get(bucket_of(seconds), 0) + 1

    median = metrics.percentile(counts, 0.5)
    assert median is not None
    true_bucket = bucket_of(40 * 60.0)
    assert BUCKET_EDGES[true_bucket] <= median < BUCKET_EDGES[true_bucket + 1]
    assert metrics.percentile({}, 0.5) is None
    p90 = metrics.percentile(counts, 0.9)
    assert p90 is not None and 8 * HOUR <= p90 < 12 * HOUR


# --- SLA ---------------------------------------------------------------------------------


def test_sla_compliance_counts_a_late_first_response_as_a_breach_even_before_the_job_runs(
    contact: Contact, operator: User, category: Category
) -> None:
    emergency = open_ticket(contact, at(2025, 12, 1, 10, 0), "emergency", category=category)
    reply(emergency, operator, at(2025, 12, 1, 10, 20))  # budget 15 minutes
    on_time = open_ticket(contact, at(2025, 12, 1, 11, 0), "emergency", category=category)
    reply(on_time, operator, at(2025, 12, 1, 11, 5))
    refreshed()

    day = metrics.summary(period(dt.date(2025, 12, 1)))
    assert day["sla_frt_percent"] == 50.0
    assert day["sla_breaches"] == 1
    assert TicketFact.objects.get(ticket_id=emergency.pk).sla_first_response == "breached"
    by_type = metrics.daily_sums(period(dt.date(2025, 12, 1)), ("type_id",))
    assert [(r["type_id"], r["sla_frt_total"], r["sla_frt_met"]) for r in by_type] == [
        (TicketType.objects.get(code="emergency").pk, 2, 1)
    ]


# --- Quality of the answer ------------------------------------------------------------------


def test_fcr_needs_one_reply_no_reopen_and_no_repeat_contact(
    contact: Contact, operator: User, category: Category, account: ClientAccount
) -> None:
    monday = at(2025, 12, 1, 10, 0)
    settled = open_ticket(contact, monday, category=category)
    reply(settled, operator, monday + dt.timedelta(hours=1))
    resolve(settled, operator, monday + dt.timedelta(hours=2))

    two_replies = open_ticket(contact, monday, category=Category.objects.create(name="Отчёты"))
    reply(two_replies, operator, monday + dt.timedelta(hours=1))
    reply(two_replies, operator, monday + dt.timedelta(hours=2))
    resolve(two_replies, operator, monday + dt.timedelta(hours=3))

    refreshed()
    day = period(dt.date(2025, 12, 1))
    assert metrics.summary(day)["fcr_rate"] == 50.0

    # The client comes back about the same thing two days later: a repeat contact.
    again = open_ticket(contact, at(2025, 12, 3, 10, 0), category=category)
    assert Ticket.objects.get(pk=again.pk).is_repeat
    refreshed()
    assert metrics.summary(day)["fcr_rate"] == 0.0
    wednesday = metrics.summary(period(dt.date(2025, 12, 3)))
    assert (wednesday["created"], wednesday["repeat_rate"]) == (1, 100.0)


def test_reopen_moves_the_resolution_to_the_day_it_was_resolved_again(
    contact: Contact, operator: User, category: Category
) -> None:
    ticket = open_ticket(contact, at(2025, 12, 1, 10, 0), category=category)
    reply(ticket, operator, at(2025, 12, 1, 11, 0))
    resolve(ticket, operator, at(2025, 12, 1, 12, 0))
    refreshed()
    assert metrics.summary(period(dt.date(2025, 12, 1)))["resolved"] == 1

    client_writes(ticket, at(2025, 12, 2, 10, 0))
    reply(ticket, operator, at(2025, 12, 2, 11, 0))
    resolve(ticket, operator, at(2025, 12, 2, 12, 0))
    refreshed()

    assert metrics.summary(period(dt.date(2025, 12, 1)))["resolved"] == 0
    tuesday = metrics.summary(period(dt.date(2025, 12, 2)))
    assert (tuesday["resolved"], tuesday["reopen_rate"], tuesday["fcr_rate"]) == (1, 100.0, 0.0)
    # Replies are counted on the day they were written, for their author.
    both = metrics.summary(period(dt.date(2025, 12, 1), dt.date(2025, 12, 2)))
    assert both["replies"] == 2


def test_csat_average_and_satisfied_share(
    contact: Contact, operator: User, category: Category
) -> None:
    for score in (5, 3):
        ticket = open_ticket(contact, at(2025, 12, 1, 10, 0), category=category)
        reply(ticket, operator, at(2025, 12, 1, 11, 0))
        resolve(ticket, operator, at(2025, 12, 1, 12, 0))
        with time_machine.travel(at(2025, 12, 2, 9, 0), tick=False):
            csat_record(
                ticket=Ticket.objects.get(pk=ticket.pk),
                contact=contact,
                score=score,
                comment="",
                channel="portal",
            )
    refreshed()

    tuesday = metrics.summary(period(dt.date(2025, 12, 2)))
    assert (tuesday["csat_count"], tuesday["csat_average"]) == (2, 4.0)
    assert tuesday["csat_satisfied_percent"] == 50.0


def test_spam_and_merged_tickets_count_nowhere(
    contact: Contact, operator: User, lead: User, category: Category
) -> None:
    spam = open_ticket(contact, at(2025, 12, 1, 10, 0), category=category)
    kept = open_ticket(contact, at(2025, 12, 1, 10, 5), category=category)
    refreshed()
    assert metrics.summary(period(dt.date(2025, 12, 1)))["created"] == 2

    tickets.ticket_mark_spam(ticket=spam, actor=lead)
    refreshed()
    assert metrics.summary(period(dt.date(2025, 12, 1)))["created"] == 1
    assert kept.pk in set(TicketFact.objects.values_list("ticket_id", flat=True))


# --- Filters and the two paths ----------------------------------------------------------------


def test_a_client_filter_reads_the_facts_and_agrees_with_the_rollups(
    contact: Contact, operator: User, category: Category, account: ClientAccount
) -> None:
    other = Contact.objects.create(full_name="Олег", email="oleg@other.ru")
    other_account = ClientAccount.objects.create(name="ООО «Другое»")
    other.accounts.add(other_account)
    for person in (contact, other):
        ticket = open_ticket(person, at(2025, 12, 1, 10, 0), category=category)
        reply(ticket, operator, at(2025, 12, 1, 10, 30))
        resolve(ticket, operator, at(2025, 12, 1, 11, 0))
    refreshed()
    day = period(dt.date(2025, 12, 1))

    ours = metrics.summary(period(dt.date(2025, 12, 1), client_ids=(account.pk,)))
    everyone = metrics.summary(
        period(dt.date(2025, 12, 1), client_ids=(account.pk, other_account.pk))
    )
    assert ours["created"] == 1
    assert everyone.values() == metrics.summary(day).values()


def test_previous_period_is_the_same_length_just_before() -> None:
    november = period(dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    assert (november.previous().start, november.previous().end) == (
        dt.date(2025, 10, 2),
        dt.date(2025, 10, 31),
    )


def test_backlog_by_age_and_sla_state_in_one_query(
    contact: Contact, first_line: Team, django_assert_num_queries: Any
) -> None:
    now = timezone_now = at(2025, 12, 3, 12, 0)
    open_ticket(contact, now - dt.timedelta(hours=1), team=first_line)
    open_ticket(contact, now - dt.timedelta(days=2), team=first_line)
    open_ticket(contact, now - dt.timedelta(days=10))
    with django_assert_num_queries(1):
        backlog = metrics.backlog(metrics.last_days(7, today=now.date()), now=timezone_now)
    assert (backlog["total"], backlog["lt_4h"], backlog["lt_3d"], backlog["older"]) == (3, 1, 1, 1)
    assert (
        metrics.backlog(metrics.last_days(7, today=now.date(), team_ids=(first_line.pk,)), now=now)[
            "total"
        ]
        == 2
    )


def test_durations_of_both_kinds_are_kept(contact: Contact, operator: User) -> None:
    ticket = open_ticket(contact, at(2025, 12, 1, 10, 0))
    reply(ticket, operator, at(2025, 12, 1, 10, 45))
    refreshed()
    counts = metrics.histogram(period(dt.date(2025, 12, 1)), FRT_BUSINESS)
    assert counts == {bucket_of(45 * 60): 1}
    assert metrics.histogram(period(dt.date(2025, 12, 1)), RESOLUTION_BUSINESS) == {}
