"""Auto-assignment: which operator of a queue gets a new ticket.

Candidates are the queue's active operators and leads who are online and
under their cap. Load is the sum of the type weights of their active tickets
(an emergency counts 3, a consultation 1), so «least loaded» means least
work, not fewest tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from opora.accounts.models import User
from opora.tickets.models import OperatorProfile, QueueSettings, Ticket

DEFAULT_CAPACITY = OperatorProfile._meta.get_field("capacity").get_default()


@dataclass(frozen=True)
class Candidate:
    user_id: int
    load: int
    capacity: int
    skill_tag_ids: frozenset[int]
    skill_category_ids: frozenset[int]


def choose_assignee(
    *,
    mode: str,
    candidates: Sequence[Candidate],
    ticket_weight: int,
    tag_ids: frozenset[int] = frozenset(),
    category_ids: frozenset[int] = frozenset(),
    last_assignee_id: int | None = None,
) -> int | None:
    """The user id to assign, or None when nobody can take the ticket. Pure.

    - round-robin: the next candidate by id after the last one assigned;
    - least-loaded: the smallest load, ties to the lowest id;
    - skills: least-loaded among those whose skills match the ticket's tags or
      category (or its parents); if nobody matches, least-loaded among all.
    """
    able = [c for c in candidates if c.load + ticket_weight <= c.capacity]
    if not able or mode == QueueSettings.Mode.OFF:
        return None
    if mode == QueueSettings.Mode.ROUND_ROBIN:
        ordered = sorted(able, key=lambda c: c.user_id)
        after = [c for c in ordered if last_assignee_id is None or c.user_id > last_assignee_id]
        return (after or ordered)[0].user_id
    if mode == QueueSettings.Mode.SKILLS:
        skilled = [
            c for c in able if c.skill_tag_ids & tag_ids or c.skill_category_ids & category_ids
        ]
        able = skilled or able
    return min(able, key=lambda c: (c.load, c.user_id)).user_id


def candidates_for(team_id: int) -> list[Candidate]:
    """The queue's members who may take a ticket now, with their current load."""
    users = list(
        User.objects.filter(
            team_id=team_id,
            is_active=True,
            availability=User.Availability.ONLINE,
            role__in=[User.Role.OPERATOR, User.Role.LEAD],
        ).values_list("pk", flat=True)
    )
    loads = dict(
        Ticket.objects.filter(assignee_id__in=users, status__in=Ticket.ACTIVE_STATUSES)
        .values("assignee_id")
        .annotate(load=Sum("type__load_weight"))
        .values_list("assignee_id", "load")
    )
    profiles = {
        p.user_id: p
        for p in OperatorProfile.objects.filter(user_id__in=users).prefetch_related(
            "skill_tags", "skill_categories"
        )
    }
    result = []
    for user_id in users:
        profile = profiles.get(user_id)
        result.append(
            Candidate(
                user_id=user_id,
                load=loads.get(user_id) or 0,
                capacity=profile.capacity if profile else DEFAULT_CAPACITY,
                skill_tag_ids=frozenset(t.pk for t in profile.skill_tags.all())
                if profile
                else frozenset(),
                skill_category_ids=frozenset(c.pk for c in profile.skill_categories.all())
                if profile
                else frozenset(),
            )
        )
    return result


@transaction.atomic
def ticket_auto_assign(*, ticket: Ticket) -> User | None:
    """Assign `ticket` within its queue by the queue's mode; None if nobody can take it.

    The queue's settings row is locked, so two tickets arriving at once do
    not both go to the same «next» person in a round-robin.
    """
    from opora.tickets.services import event_record

    if ticket.team_id is None or ticket.assignee_id is not None:
        return None
    if ticket.status not in Ticket.ACTIVE_STATUSES:
        return None
    queue = QueueSettings.objects.select_for_update().filter(team_id=ticket.team_id).first()
    if queue is None or queue.assignment == QueueSettings.Mode.OFF:
        return None
    category_ids = ticket.category.lineage_ids() if ticket.category is not None else set()
    chosen = choose_assignee(
        mode=queue.assignment,
        candidates=candidates_for(ticket.team_id),
        ticket_weight=ticket.type.load_weight,
        tag_ids=frozenset(ticket.tags.values_list("pk", flat=True)),
        category_ids=frozenset(category_ids),
        last_assignee_id=queue.last_assignee_id,
    )
    if chosen is None:
        return None
    user = User.objects.get(pk=chosen)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=user)
    ticket.assignee = user
    queue.last_assignee = user
    queue.save(update_fields=["last_assignee"])
    event_record(ticket, None, "auto_assign", "", str(user))
    return user
