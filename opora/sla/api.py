"""SLA over the API: a ticket's clocks with the ledger that explains each deadline."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from opora.core.access import Perm, ensure_perm
from opora.core.http import AuthedRequest
from opora.sla.selectors import ClockView, LedgerLine, ticket_clocks
from opora.tickets.models import Ticket

router = Router(tags=["sla"])


class LedgerLineOut(Schema):
    kind: str = ""
    start: dt.datetime
    end: dt.datetime | None
    seconds: float
    counted: bool
    note: str

    @staticmethod
    def resolve_kind(obj: LedgerLine) -> str:
        return obj.kind


class ClockOut(Schema):
    target: str
    state: str
    policy: str | None
    budget_minutes: int
    clock: str
    calendar: str | None
    cap_days: int | None
    started_at: dt.datetime
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    used_seconds: float
    left_seconds: float
    explanation: str
    ledger: list[LedgerLineOut]

    @staticmethod
    def resolve_target(obj: ClockView) -> str:
        return obj.clock.kind

    @staticmethod
    def resolve_policy(obj: ClockView) -> str | None:
        return obj.clock.policy.name if obj.clock.policy else None

    @staticmethod
    def resolve_calendar(obj: ClockView) -> str | None:
        return obj.clock.calendar.name if obj.clock.calendar else None

    @staticmethod
    def resolve_explanation(obj: ClockView) -> str:
        return obj.verdict

    @staticmethod
    def resolve_used_seconds(obj: ClockView) -> float:
        return obj.used

    @staticmethod
    def resolve_left_seconds(obj: ClockView) -> float:
        return obj.left

    @staticmethod
    def resolve_budget_minutes(obj: ClockView) -> int:
        return obj.clock.minutes

    @staticmethod
    def resolve_clock(obj: ClockView) -> str:
        return obj.clock.clock

    @staticmethod
    def resolve_cap_days(obj: ClockView) -> int | None:
        return obj.clock.cap_days

    @staticmethod
    def resolve_started_at(obj: ClockView) -> dt.datetime:
        return obj.clock.started_at

    @staticmethod
    def resolve_due_at(obj: ClockView) -> dt.datetime | None:
        return obj.clock.due_at

    @staticmethod
    def resolve_met_at(obj: ClockView) -> dt.datetime | None:
        return obj.clock.met_at

    @staticmethod
    def resolve_breached_at(obj: ClockView) -> dt.datetime | None:
        return obj.clock.breached_at


@router.get(
    "/tickets/{number}/sla",
    response=list[ClockOut],
    summary="A ticket's SLA clocks, each with the ledger that explains its deadline",
)
def ticket_sla(request: AuthedRequest, number: int) -> list[ClockView]:
    ensure_perm(request.user, Perm.VIEW_TICKETS)
    ticket = get_object_or_404(Ticket, number=number)
    return ticket_clocks(ticket)
