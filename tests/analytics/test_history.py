"""The generated ticket history: deterministic, ordered in time, SLA clocks that add up,
believable shares, and the rollups count it all."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from statistics import mean
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum

from opora.analytics.facts import company_day, company_zone
from opora.analytics.history import clock_measure, history_generate
from opora.analytics.models import DailyStat
from opora.analytics.rollups import rollups_rebuild, rollups_refresh
from opora.quality.models import CsatResponse
from opora.sla.models import Clock, Target
from opora.sla.services import ROUND_THE_CLOCK, working_time
from opora.tickets.models import Message, Ticket, TicketLink

pytestmark = pytest.mark.django_db
END = dt.date(2025, 11, 30)  # a Sunday; the shipped decrees cover 2024–2027
DAYS = 90


def cutoff() -> dt.datetime:
    return dt.datetime.combine(END + dt.timedelta(days=1), dt.time(), tzinfo=company_zone())


@pytest.fixture
def history(db: None) -> int:
    return history_generate(tickets=1500, days=DAYS, seed=11, end=END)


def fingerprint() -> list[tuple[Any, ...]]:
    """The history without its ids and numbers (they depend on what was there before)."""
    tickets = list(
        Ticket.objects.order_by("created_at", "number").values_list(
            "pk",
            "subject",
            "created_at",
            "status",
            "channel",
            "type__code",
            "priority",
            "category__name",
            "requester__email",
            "assignee__email",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "reopened_count",
            "is_repeat",
            "is_escalated",
            "sla_breached",
        )
    )
    messages = Counter(Message.objects.values_list("ticket_id", "kind", "created_at", "body"))
    scores = dict(CsatResponse.objects.values_list("ticket_id", "score"))
    return [
        (
            *row[1:],
            sorted((k, at, body) for (t, k, at, body), _n in messages.items() if t == row[0]),
            scores.get(row[0]),
        )
        for row in tickets
    ]


def test_it_writes_the_asked_number_of_tickets_over_the_asked_days(history: int) -> None:
    assert history == Ticket.objects.count() == 1500
    days = {company_day(at) for at in Ticket.objects.values_list("created_at", flat=True)}
    assert min(days) == END - dt.timedelta(days=DAYS - 1)
    assert max(days) == END
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 1500))


def test_the_same_seed_gives_the_same_history_and_another_seed_another(db: None) -> None:
    history_generate(tickets=400, days=30, seed=5, end=END)
    first = fingerprint()

    Ticket.objects.all().delete()
    history_generate(tickets=400, days=30, seed=5, end=END)
    again = fingerprint()
    Ticket.objects.all().delete()
    history_generate(tickets=400, days=30, seed=6, end=END)

    assert again == first
    assert fingerprint() != first


def test_every_ticket_lives_in_order_and_in_the_past(history: int) -> None:
    first_reply: dict[int, dt.datetime] = {}
    opened: dict[int, tuple[str, dt.datetime]] = {}
    for ticket_id, kind, at in Message.objects.order_by("created_at", "pk").values_list(
        "ticket_id", "kind", "created_at"
    ):
        opened.setdefault(ticket_id, (kind, at))
        if kind == Message.Kind.REPLY:
            first_reply.setdefault(ticket_id, at)
        assert at < cutoff()
    for t in Ticket.objects.all():
        steps = [t.created_at, t.first_responded_at, t.resolved_at, t.closed_at]
        present = [at for at in steps if at is not None]
        assert present == sorted(present), t.number
        assert t.created_at <= t.updated_at < cutoff()
        assert opened[t.pk] == (Message.Kind.CLIENT, t.created_at)
        assert first_reply.get(t.pk) == t.first_responded_at
        if t.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED) and not t.is_spam:
            assert t.resolved_at is not None and t.resolution_id is not None
        if t.status == Ticket.Status.CLOSED:
            assert t.closed_at is not None
        if t.status == Ticket.Status.NEW:
            assert t.first_responded_at is None


def test_clocks_agree_with_the_ticket_and_the_calendar(history: int) -> None:
    tickets = {t.pk: t for t in Ticket.objects.all()}
    checked = Counter[str]()
    breached: set[int] = set()
    for clock in Clock.objects.all():
        ticket = tickets[clock.ticket_id]
        if clock.breached_at is not None:
            breached.add(ticket.pk)
        hours = working_time(clock.calendar_id) if clock.calendar_id else ROUND_THE_CLOCK
        assert clock.policy_id is not None
        assert (clock.calendar_id is not None) == (clock.clock == Target.Clock.BUSINESS)
        assert clock.started_at == ticket.created_at
        if clock.state == Clock.State.MET:
            over_cap = (
                clock.cap_days is not None and clock.consumed_calendar > clock.cap_days * 86400
            )
            late = clock.consumed > clock.budget or over_cap
            assert (clock.breached_at is not None) == late
            assert clock.met_at is not None
            business = hours.business_seconds(ticket.created_at, clock.met_at)
            if clock.kind == Target.Kind.FIRST_RESPONSE:
                assert clock.met_at == ticket.first_responded_at
                assert clock.consumed == pytest.approx(business)
            else:
                assert clock.met_at == ticket.resolved_at
                assert clock.consumed <= business + 1e-6  # waiting on the client does not count
            checked[f"{clock.kind} {'late' if late else 'in time'}"] += 1
        elif clock.state == Clock.State.RUNNING:
            assert clock.due_at is not None and clock.run_started_at is not None
            assert clock.breached_at in (None, clock.due_at)
            assert clock.breached_at is None or clock.breached_at <= cutoff()
        else:
            assert clock.state == Clock.State.PAUSED
            assert ticket.status == Ticket.Status.PENDING
    assert {pk for pk, t in tickets.items() if t.sla_breached} == breached
    assert checked["resolution in time"] > 1000
    assert checked["first_response in time"] > 0
    assert checked["resolution late"] > 0


def test_the_history_looks_like_a_support_department(history: int) -> None:
    real = Ticket.objects.filter(is_spam=False)
    n = real.count()

    def share(**where: Any) -> float:
        return real.filter(**where).count() / n * 100

    assert 2 <= share(type__code="emergency") <= 9
    assert 52 <= share(type__code="standard") <= 68
    assert 38 <= share(channel="email") <= 52
    assert 5 <= share(is_repeat=True) <= 11
    assert 3 <= share(reopened_count__gt=0) <= 8
    assert 3 <= share(is_escalated=True) <= 9
    assert (
        TicketLink.objects.filter(kind=TicketLink.Kind.REPEAT).count()
        == real.filter(is_repeat=True).count()
    )
    # Weekdays in office hours carry the load; nights and weekends are quiet.
    local = [at.astimezone(company_zone()) for at in real.values_list("created_at", flat=True)]
    weekday = sum(1 for at in local if at.weekday() < 5) / 5
    weekend = sum(1 for at in local if at.weekday() >= 5) / 2
    assert weekday > 2.5 * weekend
    office = sum(1 for at in local if 9 <= at.hour < 18)
    assert office / n > 0.6
    # CSAT: about a third of resolved tickets, mostly fives and fours.
    resolved = real.filter(status__in=["resolved", "closed"]).count()
    scores = list(CsatResponse.objects.values_list("score", flat=True))
    assert 0.22 <= len(scores) / resolved <= 0.38
    assert 4.2 <= mean(scores) <= 4.8
    assert Counter(scores).most_common(1)[0][0] == 5
    # The last days are still being worked on; older tickets are closed.
    recent = real.filter(created_at__gte=cutoff() - dt.timedelta(days=2))
    assert set(recent.values_list("status", flat=True)) - {"closed"}
    old = Counter(
        real.filter(created_at__lt=cutoff() - dt.timedelta(days=15)).values_list(
            "status", flat=True
        )
    )
    assert old["closed"] / old.total() > 0.98


def test_the_rollups_count_every_ticket_but_spam(db: None) -> None:
    history_generate(tickets=400, days=30, seed=11, end=END)
    spam = Ticket.objects.filter(is_spam=True).count()
    assert spam > 0

    rollups_refresh()
    refreshed = DailyStat.objects.aggregate(n=Sum("created"))["n"]
    rollups_rebuild()
    rebuilt = DailyStat.objects.aggregate(n=Sum("created"))["n"]

    assert refreshed == rebuilt == Ticket.objects.count() - spam


def test_seed_demo_adds_its_history_once() -> None:
    call_command("seed_demo", history=300, stdout=io.StringIO())
    after_first = Ticket.objects.count()

    call_command("seed_demo", history=300, stdout=io.StringIO())

    assert Ticket.objects.count() == after_first
    assert after_first >= 300 + 12
    assert (
        DailyStat.objects.aggregate(n=Sum("created"))["n"]
        == Ticket.objects.filter(is_spam=False).count()
    )


def test_the_command_writes_history_before_today_and_rebuilds_the_rollups(db: None) -> None:
    out = io.StringIO()

    call_command("analytics_history", tickets=300, days=20, seed=3, stdout=out)

    assert "history: 300 tickets" in out.getvalue()
    assert "rollups rebuilt" in out.getvalue()
    today = dt.datetime.now(company_zone()).date()
    days = {company_day(at) for at in Ticket.objects.values_list("created_at", flat=True)}
    assert max(days) == today - dt.timedelta(days=1)
    assert min(days) == today - dt.timedelta(days=20)
    assert (
        DailyStat.objects.aggregate(n=Sum("created"))["n"]
        == Ticket.objects.filter(is_spam=False).count()
    )


def test_clock_measure_finds_the_moment_the_budget_ran_out() -> None:
    measure = clock_measure(
        ROUND_THE_CLOCK, [(0, 100), (200, 400)], budget=250, cap=None, warn_percent=80
    )

    assert (measure.consumed, measure.consumed_calendar) == (300, 300)
    assert measure.warned_at == 300  # 200 used at 300: 100 + 100 into the second run
    assert measure.breached_at == 350


def test_clock_measure_breaches_on_the_calendar_cap_too() -> None:
    measure = clock_measure(ROUND_THE_CLOCK, [(0, 500)], budget=1000, cap=400, warn_percent=50)

    assert measure.breached_at == 400
    assert measure.warned_at == 200
