"""Auto-assignment: the pure choice (property-tested) and the queue around it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opora.accounts.models import Team, User
from opora.clients.models import Contact
from opora.tickets import assignment, services
from opora.tickets.assignment import Candidate, choose_assignee
from opora.tickets.models import (
    Category,
    OperatorProfile,
    QueueSettings,
    Tag,
    Ticket,
    TicketType,
)
from tests.factories import UserFactory

Mode = QueueSettings.Mode
WORKING_MODES = [Mode.ROUND_ROBIN, Mode.LEAST_LOADED, Mode.SKILLS]

ids = st.frozensets(st.integers(min_value=1, max_value=6), max_size=3)
candidate = st.builds(
    Candidate,
    user_id=st.integers(min_value=1, max_value=60),
    load=st.integers(min_value=0, max_value=30),
    capacity=st.integers(min_value=0, max_value=30),
    skill_tag_ids=ids,
    skill_category_ids=ids,
)
candidates = st.lists(candidate, max_size=8, unique_by=lambda c: c.user_id)
weights = st.sampled_from([1, 2, 3])
last_ids = st.none() | st.integers(min_value=0, max_value=61)


def able(cands: list[Candidate], weight: int) -> list[Candidate]:
    return [c for c in cands if c.load + weight <= c.capacity]


def by_id(cands: list[Candidate], user_id: int | None) -> Candidate:
    return next(c for c in cands if c.user_id == user_id)


# --- choose_assignee: properties ----------------------------------------------------


@given(
    mode=st.sampled_from(Mode.values),
    cands=candidates,
    weight=weights,
    tags=ids,
    cats=ids,
    last=last_ids,
)
def test_nobody_is_given_a_ticket_that_takes_them_over_capacity(
    mode: str,
    cands: list[Candidate],
    weight: int,
    tags: frozenset[int],
    cats: frozenset[int],
    last: int | None,
) -> None:
    chosen = choose_assignee(
        mode=mode,
        candidates=cands,
        ticket_weight=weight,
        tag_ids=tags,
        category_ids=cats,
        last_assignee_id=last,
    )

    if chosen is not None:
        picked = by_id(cands, chosen)
        assert picked.load + weight <= picked.capacity


@given(cands=candidates, weight=weights, last=last_ids)
def test_with_assignment_off_nobody_is_chosen(
    cands: list[Candidate], weight: int, last: int | None
) -> None:
    assert (
        choose_assignee(
            mode=Mode.OFF, candidates=cands, ticket_weight=weight, last_assignee_id=last
        )
        is None
    )


@given(
    mode=st.sampled_from(WORKING_MODES),
    cands=candidates,
    weight=weights,
    tags=ids,
    cats=ids,
    last=last_ids,
)
def test_someone_is_chosen_whenever_someone_is_able(
    mode: str,
    cands: list[Candidate],
    weight: int,
    tags: frozenset[int],
    cats: frozenset[int],
    last: int | None,
) -> None:
    chosen = choose_assignee(
        mode=mode,
        candidates=cands,
        ticket_weight=weight,
        tag_ids=tags,
        category_ids=cats,
        last_assignee_id=last,
    )

    assert (chosen is None) == (not able(cands, weight))


@given(
    cands=st.lists(
        st.builds(
            Candidate,
            user_id=st.integers(min_value=1, max_value=1000),
            load=st.integers(min_value=0, max_value=10),
            capacity=st.just(25),
            skill_tag_ids=st.just(frozenset()),
            skill_category_ids=st.just(frozenset()),
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda c: c.user_id,
    ),
    last=st.none() | st.integers(min_value=0, max_value=1001),
)
def test_round_robin_goes_through_everyone_before_anyone_gets_a_second_ticket(
    cands: list[Candidate], last: int | None
) -> None:
    picked = []
    for _turn in range(2 * len(cands)):
        last = choose_assignee(
            mode=Mode.ROUND_ROBIN, candidates=cands, ticket_weight=1, last_assignee_id=last
        )
        picked.append(last)

    everyone = {c.user_id for c in cands}
    assert set(picked[: len(cands)]) == everyone
    assert picked[len(cands) :] == picked[: len(cands)]


@given(cands=candidates, weight=weights, last=last_ids)
def test_round_robin_takes_the_next_able_person_after_the_last_one(
    cands: list[Candidate], weight: int, last: int | None
) -> None:
    chosen = choose_assignee(
        mode=Mode.ROUND_ROBIN, candidates=cands, ticket_weight=weight, last_assignee_id=last
    )

    able_ids = sorted(c.user_id for c in able(cands, weight))
    later = [i for i in able_ids if last is None or i > last]
    assert chosen == ((later or able_ids or [None])[0])


@given(cands=candidates, weight=weights, last=last_ids)
def test_least_loaded_picks_a_candidate_with_the_smallest_load(
    cands: list[Candidate], weight: int, last: int | None
) -> None:
    chosen = choose_assignee(
        mode=Mode.LEAST_LOADED, candidates=cands, ticket_weight=weight, last_assignee_id=last
    )

    pool = able(cands, weight)
    if pool:
        lightest = min(c.load for c in pool)
        assert by_id(cands, chosen).load == lightest
        assert chosen == min(c.user_id for c in pool if c.load == lightest)


@given(cands=candidates, weight=weights, tags=ids, cats=ids)
def test_skills_prefer_an_able_candidate_with_a_matching_skill(
    cands: list[Candidate], weight: int, tags: frozenset[int], cats: frozenset[int]
) -> None:
    chosen = choose_assignee(
        mode=Mode.SKILLS, candidates=cands, ticket_weight=weight, tag_ids=tags, category_ids=cats
    )

    pool = able(cands, weight)
    skilled = [c for c in pool if c.skill_tag_ids & tags or c.skill_category_ids & cats]
    if skilled:
        assert by_id(cands, chosen) in skilled
        assert by_id(cands, chosen).load == min(c.load for c in skilled)
    elif pool:
        assert by_id(cands, chosen).load == min(c.load for c in pool)


def test_round_robin_wraps_around_after_the_highest_id() -> None:
    people = [Candidate(i, 0, 25, frozenset(), frozenset()) for i in (3, 7, 9)]

    picks = [
        choose_assignee(
            mode=Mode.ROUND_ROBIN, candidates=people, ticket_weight=2, last_assignee_id=last
        )
        for last in (None, 3, 7, 9)
    ]

    assert picks == [3, 7, 9, 3]


def test_a_skilled_person_gets_the_ticket_even_when_busier() -> None:
    idle = Candidate(1, 0, 25, frozenset(), frozenset())
    expert = Candidate(2, 10, 25, frozenset({5}), frozenset())

    assert choose_assignee(mode=Mode.LEAST_LOADED, candidates=[idle, expert], ticket_weight=2) == 1
    assert (
        choose_assignee(
            mode=Mode.SKILLS, candidates=[idle, expert], ticket_weight=2, tag_ids=frozenset({5})
        )
        == 2
    )


# --- The queue: who is a candidate and with what load -----------------------------


def online(user: User) -> User:
    User.objects.filter(pk=user.pk).update(availability=User.Availability.ONLINE)
    user.refresh_from_db()
    return user


def queue(team: Team, mode: str) -> QueueSettings:
    return QueueSettings.objects.create(team=team, assignment=mode)


def new_ticket(*, type: TicketType, **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "subject": "Вопрос",
        "body": "Текст обращения",
        "channel": Ticket.Channel.PORTAL,
    }
    values.update(fields)
    return services.ticket_create(type=type, **values)


@pytest.fixture
def emergency(db: None) -> TicketType:
    return TicketType.objects.get(code="emergency")


@pytest.fixture
def consultation(db: None) -> TicketType:
    return TicketType.objects.get(code="consultation")


@pytest.fixture
def colleague(first_line: Team) -> User:
    """A second operator of the first line, online."""
    return online(
        UserFactory(
            email="colleague@example.com",
            full_name="Яна Коллегова",
            role=User.Role.OPERATOR,
            team=first_line,
        )
    )


def test_only_online_active_operators_and_leads_of_the_queue_are_candidates(
    first_line: Team, operator: User, lead: User, other_operator: User
) -> None:
    online(operator)
    online(lead)
    online(other_operator)
    UserFactory(team=first_line, role=User.Role.OPERATOR)  # offline
    online(UserFactory(team=first_line, role=User.Role.OPERATOR, is_active=False))
    online(UserFactory(team=first_line, role=User.Role.ANALYST))
    online(UserFactory(team=first_line, role=User.Role.HEAD))

    found = assignment.candidates_for(first_line.pk)

    assert {c.user_id for c in found} == {operator.pk, lead.pk}


def test_load_is_the_sum_of_type_weights_of_active_tickets_only(
    first_line: Team,
    operator: User,
    colleague: User,
    emergency: TicketType,
    consultation: TicketType,
) -> None:
    online(operator)
    new_ticket(type=emergency, assignee=operator)
    new_ticket(type=consultation, assignee=colleague)
    new_ticket(type=consultation, assignee=colleague)
    done = new_ticket(type=emergency, assignee=colleague)
    Ticket.objects.filter(pk=done.pk).update(status=Ticket.Status.RESOLVED)

    loads = {c.user_id: c.load for c in assignment.candidates_for(first_line.pk)}

    assert loads == {operator.pk: 3, colleague.pk: 2}


def test_capacity_comes_from_the_operator_profile_and_defaults_to_25(
    first_line: Team, operator: User, colleague: User
) -> None:
    online(operator)
    OperatorProfile.objects.create(user=operator, capacity=4)

    caps = {c.user_id: c.capacity for c in assignment.candidates_for(first_line.pk)}

    assert caps == {operator.pk: 4, colleague.pk: 25}
    assert assignment.DEFAULT_CAPACITY == 25


# --- ticket_auto_assign and arrival -----------------------------------------------------


def test_a_new_ticket_goes_to_the_least_loaded_by_weight_not_by_count(
    first_line: Team,
    operator: User,
    colleague: User,
    emergency: TicketType,
    consultation: TicketType,
    standard: TicketType,
) -> None:
    online(operator)
    new_ticket(type=emergency, assignee=operator)  # one ticket, load 3
    new_ticket(type=consultation, assignee=colleague)  # two tickets, load 2
    new_ticket(type=consultation, assignee=colleague)
    queue(first_line, Mode.LEAST_LOADED)

    arrived = new_ticket(type=standard, team=first_line)

    assert arrived.assignee == colleague
    assert Ticket.objects.get(pk=arrived.pk).assignee == colleague
    assert arrived.events.get(field="auto_assign").new_value == str(colleague)


def test_someone_at_their_cap_is_passed_over(
    first_line: Team, operator: User, colleague: User, standard: TicketType
) -> None:
    online(operator)
    OperatorProfile.objects.create(user=operator, capacity=1)  # a standard ticket weighs 2
    new_ticket(type=standard, assignee=colleague)
    queue(first_line, Mode.LEAST_LOADED)

    arrived = new_ticket(type=standard, team=first_line)

    assert arrived.assignee == colleague


@pytest.mark.parametrize("mode", [None, Mode.OFF])
def test_a_queue_without_auto_assignment_leaves_new_tickets_unassigned(
    first_line: Team, operator: User, standard: TicketType, mode: str | None
) -> None:
    online(operator)
    if mode is not None:
        queue(first_line, mode)

    arrived = new_ticket(type=standard, team=first_line)

    assert arrived.assignee is None
    assert not arrived.events.filter(field="auto_assign").exists()


def test_when_nobody_can_take_it_the_ticket_waits_unassigned(
    first_line: Team, operator: User, standard: TicketType
) -> None:
    online(operator)
    OperatorProfile.objects.create(user=operator, capacity=1)
    settings = queue(first_line, Mode.ROUND_ROBIN)

    arrived = new_ticket(type=standard, team=first_line)

    settings.refresh_from_db()
    assert arrived.assignee is None
    assert settings.last_assignee is None
    assert not arrived.events.filter(field="auto_assign").exists()


def test_round_robin_hands_tickets_out_in_turn_and_remembers_the_last_one(
    first_line: Team, operator: User, colleague: User, lead: User, standard: TicketType
) -> None:
    online(operator)
    online(lead)
    settings = queue(first_line, Mode.ROUND_ROBIN)
    people = sorted([operator, colleague, lead], key=lambda u: u.pk)

    assigned = [new_ticket(type=standard, team=first_line).assignee for _ in range(4)]

    settings.refresh_from_db()
    assert assigned == [*people, people[0]]
    assert settings.last_assignee == people[0]


def test_by_skills_a_ticket_tagged_with_someones_skill_goes_to_them(
    first_line: Team, operator: User, colleague: User, standard: TicketType
) -> None:
    online(operator)
    new_ticket(type=standard, assignee=colleague)  # the expert is busier
    profile = OperatorProfile.objects.create(user=colleague)
    profile.skill_tags.add(Tag.objects.create(name="1с"))
    queue(first_line, Mode.SKILLS)

    tagged = new_ticket(type=standard, team=first_line, tags=["1С"])
    plain = new_ticket(type=standard, team=first_line, subject="Без метки")

    assert tagged.assignee == colleague
    assert plain.assignee == operator


def test_a_skill_in_a_parent_category_covers_its_subcategories(
    first_line: Team, operator: User, colleague: User, standard: TicketType, category: Category
) -> None:
    online(operator)
    new_ticket(type=standard, assignee=colleague)
    OperatorProfile.objects.create(user=colleague).skill_categories.add(category)
    queue(first_line, Mode.SKILLS)
    one_c = Category.objects.create(name="1С", parent=category)

    arrived = new_ticket(type=standard, team=first_line, category=one_c)

    assert arrived.assignee == colleague


def test_an_offline_operator_gets_nothing_even_when_idle(
    first_line: Team, operator: User, colleague: User, standard: TicketType
) -> None:
    new_ticket(type=standard, assignee=colleague)
    queue(first_line, Mode.LEAST_LOADED)
    assert operator.availability != User.Availability.ONLINE

    arrived = new_ticket(type=standard, team=first_line)

    assert arrived.assignee == colleague


@pytest.mark.parametrize("state", ["assigned", "resolved", "no queue"])
def test_auto_assign_leaves_alone_a_ticket_that_is_assigned_done_or_queueless(
    first_line: Team,
    colleague: User,
    lead: User,
    contact: Contact,
    standard: TicketType,
    state: str,
) -> None:
    online(lead)
    ticket = new_ticket(type=standard, requester=contact)
    if state == "assigned":
        Ticket.objects.filter(pk=ticket.pk).update(team=first_line, assignee=lead)
    elif state == "resolved":
        Ticket.objects.filter(pk=ticket.pk).update(team=first_line, status="resolved")
    ticket.refresh_from_db()
    queue(first_line, Mode.LEAST_LOADED)

    assert assignment.ticket_auto_assign(ticket=ticket) is None

    ticket.refresh_from_db()
    assert ticket.assignee == (lead if state == "assigned" else None)
