"""The rollups stay equal to the raw tickets: incremental refresh, rebuild, retries, races."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Sum

from opora.accounts.models import Team, User
from opora.analytics import metrics, rollups
from opora.analytics.models import (
    CategoryStat,
    DailyStat,
    DurationHistogram,
    StaleTicket,
    TicketFact,
)
from opora.analytics.rollups import rollups_rebuild, rollups_refresh, tickets_stale
from opora.clients.models import ClientAccount, Contact
from opora.quality.models import CsatResponse
from opora.quality.services import csat_record
from opora.tickets import services as tickets
from opora.tickets.models import Category, Message, ResolutionCode, Ticket, TicketType

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
START = dt.datetime(2025, 11, 24, 9, 0, tzinfo=MSK)  # a Monday


def rollup_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup row without ids or zero rows, to compare two states of the tables."""

    stat_fields = [f.name for f in DailyStat._meta.concrete_fields if f.name != "id"]
    return {
        "daily": sorted(
            tuple(round(x, 6) if isinstance(x, float) else x for x in row)
            for row in DailyStat.objects.values_list(*stat_fields)
            if any(row[5:])
        ),
        "histogram": sorted(
            row
            for row in DurationHistogram.objects.values_list(
                "day", "team_id", "type_id", "channel", "measure", "bucket", "count"
            )
            if row[-1]
        ),
        "category": sorted(
            row
            for row in CategoryStat.objects.values_list(
                "day", "category_id", "team_id", "type_id", "channel", "created"
            )
            if row[-1]
        ),
    }


@pytest.fixture
def busy_week(first_line: Team, operator: User, lead: User) -> list[Ticket]:
    """A week of random but reproducible support work through the real services."""
    rng = random.Random(42)  # noqa: S311 -- reproducible test data
    accounts = [ClientAccount.objects.create(name=f"Клиент {i}") for i in range(3)]
    contacts = []
    for i in range(6):
        person = Contact.objects.create(full_name=f"Контакт {i}", email=f"c{i}@example.ru")
        person.accounts.add(accounts[i % 3])
        contacts.append(person)
    categories = [Category.objects.create(name=name) for name in ("Кассы", "Отчёты", "Доступ")]
    types = list(TicketType.objects.all())
    resolution = ResolutionCode.objects.get(name="Ошибка исправлена")
    made: list[Ticket] = []
    moment = START
    for _ in range(40):
        moment += dt.timedelta(minutes=rng.randint(20, 400))
        with time_machine.travel(moment, tick=False):
            ticket = tickets.ticket_create(
                subject="Вопрос",
                body="Текст",
                channel=rng.choice(["email", "portal", "telegram"]),
                type=rng.choice(types),
                requester=rng.choice(contacts),
                category=rng.choice(categories),
                team=first_line,
                assignee=rng.choice([operator, lead, None]),
            )
        made.append(ticket)
        for step in range(rng.randint(0, 4)):
            moment += dt.timedelta(minutes=rng.randint(5, 300))
            ticket = Ticket.objects.get(pk=ticket.pk)
            with time_machine.travel(moment, tick=False):
                action = rng.choice(["reply", "reply", "pending", "resolve", "client"])
                if action == "reply" or (action == "pending" and step == 0):
                    tickets.ticket_reply(
                        ticket=ticket,
                        author=rng.choice([operator, lead]),
                        body="Ответ",
                        status="pending" if action == "pending" else None,
                    )
                elif action == "resolve" and ticket.status in Ticket.ACTIVE_STATUSES:
                    Ticket.objects.filter(pk=ticket.pk).update(resolution=resolution)
                    tickets.ticket_update(
                        ticket=Ticket.objects.get(pk=ticket.pk), actor=lead, status="resolved"
                    )
                    if rng.random() < 0.5:
                        csat_record(
                            ticket=Ticket.objects.get(pk=ticket.pk),
                            contact=ticket.requester,
                            score=rng.randint(1, 5),
                            comment="",
                            channel="portal",
                        )
                elif action == "client" and ticket.status != Ticket.Status.CLOSED:
                    tickets.ticket_client_reply(
                        ticket=ticket, contact=ticket.requester, body="Ещё вопрос"
                    )
    return made


def test_incremental_refresh_equals_a_rebuild_from_scratch(busy_week: list[Ticket]) -> None:
    rollups_refresh()
    incremental = rollup_rows()

    rollups_rebuild()

    assert rollup_rows() == incremental
    assert incremental["daily"]  # the scenario did produce numbers


def test_rollups_equal_the_numbers_counted_from_the_raw_tickets(busy_week: list[Ticket]) -> None:
    rollups_refresh()
    week = metrics.Filters(start=START.date(), end=START.date() + dt.timedelta(days=30))
    summary = metrics.summary(week)
    live = Ticket.objects.filter(is_spam=False, merged_into__isnull=True)
    resolved = live.filter(status__in=["resolved", "closed"], resolved_at__isnull=False)
    responded = live.filter(first_responded_at__isnull=False)

    assert summary["created"] == live.count()
    assert summary["resolved"] == resolved.count()
    assert summary["first_responses"] == responded.count()
    assert summary["replies"] == Message.objects.filter(kind="reply", ticket__in=live).count()
    frt = sum(
        (t.first_responded_at - t.created_at).total_seconds()
        for t in responded
        if t.first_responded_at is not None
    )
    assert metrics.daily_sums(week)[0]["frt_sum"] == pytest.approx(frt)
    fcr = sum(
        1
        for t in resolved
        if t.messages.filter(kind="reply").count() == 1
        and t.reopened_count == 0
        and not t.links_in.filter(kind__in=["repeat", "follow_up"]).exists()
    )
    assert summary["fcr_rate"] == pytest.approx(100 * fcr / resolved.count())
    scores = list(CsatResponse.objects.values_list("score", flat=True))
    assert summary["csat_count"] == len(scores)
    assert summary["csat_average"] == pytest.approx(sum(scores) / len(scores))
    by_category = Counter(live.values_list("category_id", flat=True))
    assert {row["category_id"]: row["created"] for row in metrics.category_counts(week)} == dict(
        by_category
    )


def test_every_filter_agrees_between_the_rollups_and_the_facts(
    busy_week: list[Ticket], operator: User
) -> None:
    rollups_refresh()
    week = metrics.Filters(start=START.date(), end=START.date() + dt.timedelta(days=30))
    assert not Ticket.objects.filter(client__isnull=True).exists()
    all_clients = tuple(ClientAccount.objects.values_list("pk", flat=True))
    # The facts path (a client filter covering everyone) gives the rollups' numbers.
    facts_path = metrics.Filters(start=week.start, end=week.end, client_ids=all_clients)
    assert metrics.daily_sums(facts_path)[0] == pytest.approx(metrics.daily_sums(week)[0])
    for measure in ("frt", "frt_b", "res", "res_b"):
        assert metrics.histogram(facts_path, measure) == metrics.histogram(week, measure)
    by_operator = metrics.Filters(start=week.start, end=week.end, operator_ids=(operator.pk,))
    from_facts = metrics.Filters(
        start=week.start, end=week.end, operator_ids=(operator.pk,), client_ids=all_clients
    )
    assert metrics.daily_sums(by_operator)[0] == pytest.approx(metrics.daily_sums(from_facts)[0])


def test_refreshing_twice_or_after_a_crash_counts_nothing_twice(busy_week: list[Ticket]) -> None:
    rollups_refresh()
    once = rollup_rows()
    # Everything marked again (a retried job, a crash before the marks were cleared).
    tickets_stale(TicketFact.objects.values_list("ticket_id", flat=True))
    rollups_refresh(batch=7)
    assert rollup_rows() == once


def test_a_ticket_changed_during_a_refresh_stays_marked_for_the_next(
    busy_week: list[Ticket], operator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    rollups_refresh()
    ticket = busy_week[0]
    tickets_stale([ticket.pk])
    loaded = rollups.snapshots_load  # type: ignore[attr-defined]

    def load_then_change(ids: Any) -> Any:
        snapshots = loaded(ids)
        # A reply lands after the batch read the ticket, before it commits.
        tickets.ticket_reply(ticket=Ticket.objects.get(pk=ticket.pk), author=operator, body="Ещё")
        return snapshots

    monkeypatch.setattr(rollups, "snapshots_load", load_then_change)
    rollups_refresh(max_batches=1)
    monkeypatch.setattr(rollups, "snapshots_load", loaded)

    assert StaleTicket.objects.filter(ticket_id=ticket.pk).exists()
    rollups_refresh()
    assert not StaleTicket.objects.exists()
    replies = Message.objects.filter(kind="reply", ticket__is_spam=False).count()
    assert DailyStat.objects.aggregate(n=Sum("replies"))["n"] == replies


def test_a_second_refresher_waits_for_the_lease(busy_week: list[Ticket]) -> None:
    from opora.analytics.models import RollupState

    RollupState.objects.update_or_create(
        pk=1, defaults={"lease_until": dt.datetime(2100, 1, 1, tzinfo=dt.UTC)}
    )
    result = rollups_refresh()
    assert result.busy and StaleTicket.objects.exists()


def test_a_deleted_ticket_takes_its_numbers_with_it(busy_week: list[Ticket]) -> None:
    rollups_refresh()
    before = DailyStat.objects.aggregate(n=Sum("created"))["n"]
    doomed = busy_week[-1]
    Ticket.objects.filter(pk=doomed.pk).delete()
    tickets_stale([doomed.pk])
    rollups_refresh()
    assert DailyStat.objects.aggregate(n=Sum("created"))["n"] == before - 1
    assert not TicketFact.objects.filter(ticket_id=doomed.pk).exists()
