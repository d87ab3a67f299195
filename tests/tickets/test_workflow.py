"""Ticket services: arrival, workflow, replies, repeat contacts, custom fields,
links, merge, split, escalation, spam, bulk changes and auto-close."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from opora.accounts.models import Team, User
from opora.clients.models import ClientAccount, Contact
from opora.core.models import AuditEntry
from opora.tickets import services
from opora.tickets.models import (
    BlockedSender,
    Category,
    CustomField,
    Message,
    QueueSettings,
    ResolutionCode,
    Rule,
    RuleRun,
    SavedView,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketSettings,
    TicketType,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
Status = Ticket.Status

ILLEGAL_TRANSITIONS = [
    (old, new)
    for old in Status.values
    for new in Status.values
    if old != new and new not in Ticket.TRANSITIONS[old]
]


def new_ticket(*, type: TicketType, **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "subject": "Вопрос по отчётам",
        "body": "Не сходится отчёт за март.",
        "channel": Ticket.Channel.EMAIL,
    }
    values.update(fields)
    return services.ticket_create(type=type, **values)


def set_status(ticket: Ticket, status: str) -> None:
    """Put a ticket into a status directly, bypassing the workflow (test setup only)."""
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()


@pytest.fixture
def colleague(client_account: ClientAccount) -> Contact:
    """Another person from the same client company."""
    person = Contact.objects.create(full_name="Ольга Смирнова", email="olga@romashka.ru")
    person.accounts.add(client_account)
    return person


@pytest.fixture
def stranger(db: None) -> Contact:
    """A contact of another company."""
    account = ClientAccount.objects.create(name="АО «Василёк»")
    person = Contact.objects.create(full_name="Игорь Петров", email="igor@vasilek.ru")
    person.accounts.add(account)
    return person


@pytest.fixture
def second_lead(second_line: Team) -> User:
    user = UserFactory(
        email="lead2@example.com",
        full_name="Мария Вторая",
        role=User.Role.LEAD,
        team=second_line,
    )
    second_line.lead = user
    second_line.save()
    return user


# --- Arrival and spam ----------------------------------------------------------


def test_a_ticket_from_a_blocked_address_arrives_closed_as_spam_and_nothing_else_runs(
    contact: Contact, standard: TicketType, first_line: Team, operator: User, admin_user: User
) -> None:
    User.objects.filter(pk=operator.pk).update(availability=User.Availability.ONLINE)
    QueueSettings.objects.create(team=first_line, assignment=QueueSettings.Mode.LEAST_LOADED)
    Rule.objects.create(name="Метка", actions=[{"action": "add_tag", "value": "новое"}])
    services.sender_block(pattern="Pavel@Romashka.ru", actor=admin_user)

    spam = new_ticket(type=standard, requester=contact, team=first_line)

    assert (spam.is_spam, spam.status) == (True, Status.CLOSED)
    assert spam.closed_at is not None
    assert spam.assignee is None
    assert not spam.tags.exists()
    assert not RuleRun.objects.filter(ticket=spam).exists()
    assert spam.events.filter(field="is_spam").exists()


def test_blocking_a_domain_makes_every_address_there_spam_but_no_other_domain(
    contact: Contact, colleague: Contact, stranger: Contact, standard: TicketType, head: User
) -> None:
    before = new_ticket(type=standard, requester=colleague)
    assert before.is_spam is False

    services.sender_block(pattern="@romashka.ru", actor=head)

    assert new_ticket(type=standard, requester=colleague).is_spam is True
    assert new_ticket(type=standard, requester=contact).is_spam is True
    assert new_ticket(type=standard, requester=stranger).is_spam is False


@pytest.mark.parametrize("pattern", ["romashka.ru", "pavel@localhost", "pavel @romashka.ru", ""])
def test_sender_block_refuses_what_is_neither_an_address_nor_a_domain(
    pattern: str, head: User
) -> None:
    with pytest.raises(ValidationError) as error:
        services.sender_block(pattern=pattern, actor=head)

    assert "pattern" in error.value.message_dict
    assert BlockedSender.objects.count() == 0


def test_blocking_the_same_sender_twice_keeps_one_row_and_one_audit_entry(head: User) -> None:
    first = services.sender_block(pattern=" Spam@Example.COM ", actor=head, reason="реклама")
    again = services.sender_block(pattern="spam@example.com", actor=head)

    assert first.pk == again.pk
    assert first.pattern == "spam@example.com"
    assert AuditEntry.objects.filter(action="sender.block").count() == 1


def test_marking_spam_with_block_sender_turns_the_senders_next_ticket_into_spam(
    ticket: Ticket, contact: Contact, standard: TicketType, operator: User
) -> None:
    assert ticket.status == Status.NEW

    services.ticket_mark_spam(ticket=ticket, actor=operator, block_sender=True)

    ticket.refresh_from_db()
    assert (ticket.is_spam, ticket.status) == (True, Status.CLOSED)
    assert BlockedSender.objects.filter(pattern="pavel@romashka.ru").exists()
    assert new_ticket(type=standard, requester=contact).is_spam is True


def test_a_ticket_from_a_contact_marked_as_blocked_arrives_as_spam(
    contact: Contact, standard: TicketType
) -> None:
    assert new_ticket(type=standard, requester=contact).is_spam is False
    Contact.objects.filter(pk=contact.pk).update(is_blocked=True)
    contact.refresh_from_db()

    assert new_ticket(type=standard, requester=contact).is_spam is True


def test_marking_spam_without_blocking_leaves_the_sender_free(
    ticket: Ticket, contact: Contact, standard: TicketType, operator: User
) -> None:
    services.ticket_mark_spam(ticket=ticket, actor=operator)

    assert BlockedSender.objects.count() == 0
    assert new_ticket(type=standard, requester=contact).is_spam is False


def test_unmarking_spam_brings_the_ticket_back_to_work_as_open(
    ticket: Ticket, operator: User
) -> None:
    services.ticket_mark_spam(ticket=ticket, actor=operator)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None

    services.ticket_unmark_spam(ticket=ticket, actor=operator)

    ticket.refresh_from_db()
    assert (ticket.is_spam, ticket.status, ticket.closed_at) == (False, Status.OPEN, None)
    assert ticket.events.filter(field="is_spam").count() == 2


# --- Workflow and closing criteria --------------------------------------------


@pytest.mark.parametrize(("old", "new"), ILLEGAL_TRANSITIONS)
def test_an_illegal_status_change_is_refused_and_changes_nothing(
    ticket: Ticket, operator: User, old: str, new: str
) -> None:
    set_status(ticket, old)
    events = ticket.events.count()

    with pytest.raises(ValidationError) as error:
        services.ticket_update(
            ticket=ticket, actor=operator, status=new, priority=Ticket.Priority.URGENT
        )

    assert "status" in error.value.message_dict
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (old, Ticket.Priority.NORMAL)
    assert ticket.events.count() == events


def test_resolving_needs_a_category_only_while_the_setting_asks_for_it(
    contact: Contact, standard: TicketType, resolution: ResolutionCode, operator: User
) -> None:
    uncategorised = new_ticket(type=standard, requester=contact)
    Ticket.objects.filter(pk=uncategorised.pk).update(resolution=resolution)

    with pytest.raises(ValidationError):
        services.ticket_update(ticket=uncategorised, actor=operator, status=Status.RESOLVED)
    uncategorised.refresh_from_db()
    assert uncategorised.status == Status.NEW

    TicketSettings.objects.filter(pk=TicketSettings.load().pk).update(
        require_category_to_resolve=False
    )
    services.ticket_update(ticket=uncategorised, actor=operator, status=Status.RESOLVED)

    uncategorised.refresh_from_db()
    assert uncategorised.status == Status.RESOLVED


def test_resolving_needs_a_resolution_code_only_while_the_setting_asks_for_it(
    ticket: Ticket, operator: User
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(resolution=None)

    with pytest.raises(ValidationError):
        services.ticket_update(ticket=ticket, actor=operator, status=Status.RESOLVED)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == (Status.NEW, None)

    TicketSettings.objects.filter(pk=TicketSettings.load().pk).update(
        require_resolution_to_resolve=False
    )
    services.ticket_update(ticket=ticket, actor=operator, status=Status.RESOLVED)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_at is not None


def test_a_category_and_resolution_given_with_the_status_satisfy_the_closing_criteria(
    contact: Contact,
    standard: TicketType,
    category: Category,
    resolution: ResolutionCode,
    operator: User,
) -> None:
    bare = new_ticket(type=standard, requester=contact)

    services.ticket_update(
        ticket=bare,
        actor=operator,
        status=Status.RESOLVED,
        category=category,
        resolution=resolution,
    )

    bare.refresh_from_db()
    assert (bare.status, bare.category, bare.resolution) == (Status.RESOLVED, category, resolution)


def test_a_custom_field_required_to_resolve_blocks_resolving_until_it_is_filled(
    ticket: Ticket, category: Category, operator: User
) -> None:
    version = CustomField.objects.create(
        code="version", label="Версия 1С", kind=CustomField.Kind.TEXT, required_to_resolve=True
    )
    version.categories.add(category)

    with pytest.raises(ValidationError) as error:
        services.ticket_update(ticket=ticket, actor=operator, status=Status.RESOLVED)
    assert "Версия 1С" in " ".join(error.value.messages)
    assert not ticket.events.filter(field="status").exists()

    services.ticket_set_custom_fields(ticket=ticket, actor=operator, values={"version": "8.3"})
    services.ticket_update(ticket=ticket, actor=operator, status=Status.RESOLVED)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_a_required_field_of_another_category_does_not_block_resolving(
    ticket: Ticket, operator: User
) -> None:
    other = Category.objects.create(name="Оплата")
    invoice = CustomField.objects.create(
        code="invoice", label="Счёт", kind=CustomField.Kind.NUMBER, required_to_resolve=True
    )
    invoice.categories.add(other)

    services.ticket_update(ticket=ticket, actor=operator, status=Status.RESOLVED)

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_moving_to_another_queue_without_an_assignee_assigns_someone_there(
    ticket: Ticket, other_operator: User, second_line: Team, lead: User
) -> None:
    User.objects.filter(pk=other_operator.pk).update(availability=User.Availability.ONLINE)
    QueueSettings.objects.create(team=second_line, assignment=QueueSettings.Mode.LEAST_LOADED)
    assert ticket.assignee is None

    services.ticket_update(ticket=ticket, actor=lead, team=second_line)

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (second_line, other_operator)
    assert ticket.events.filter(field="auto_assign").exists()


# --- Replies -------------------------------------------------------------------


def test_a_second_reply_keeps_the_first_response_time(ticket: Ticket, operator: User) -> None:
    services.ticket_reply(ticket=ticket, author=operator, body="Смотрим.")
    ticket.refresh_from_db()
    first = ticket.first_responded_at
    assert first is not None

    services.ticket_reply(ticket=ticket, author=operator, body="Нашли причину.")

    ticket.refresh_from_db()
    assert ticket.first_responded_at == first
    assert ticket.messages.filter(kind=Message.Kind.REPLY).count() == 2


def test_a_reply_that_cannot_resolve_the_ticket_is_not_posted_at_all(
    ticket: Ticket, operator: User
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(resolution=None)

    with pytest.raises(ValidationError):
        services.ticket_reply(
            ticket=ticket, author=operator, body="Готово.", status=Status.RESOLVED
        )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_responded_at) == (Status.NEW, None)
    assert ticket.messages.count() == 1


def test_an_empty_reply_is_refused(ticket: Ticket, operator: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.ticket_reply(ticket=ticket, author=operator, body="  \n")

    assert "body" in error.value.message_dict
    assert ticket.messages.count() == 1


# --- The client writes again --------------------------------------------------


def test_a_client_reply_reopens_a_ticket_waiting_on_the_client(
    ticket: Ticket, contact: Contact
) -> None:
    set_status(ticket, Status.PENDING)

    services.ticket_client_reply(ticket=ticket, contact=contact, body="Вот логи.")

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.filter(kind=Message.Kind.CLIENT).count() == 2
    assert not ticket.events.filter(field="reopened").exists()


def test_a_client_reply_reopens_a_resolved_ticket_and_says_so_in_the_history(
    ticket: Ticket, contact: Contact, operator: User
) -> None:
    services.ticket_update(ticket=ticket, actor=operator, status=Status.RESOLVED)
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None

    services.ticket_client_reply(ticket=ticket, contact=contact, body="Снова не работает.")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == (Status.OPEN, None)
    assert ticket.events.filter(field="reopened").count() == 1


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN])
def test_a_client_reply_to_a_ticket_in_work_leaves_its_status(
    ticket: Ticket, contact: Contact, status: str
) -> None:
    set_status(ticket, status)

    message = services.ticket_client_reply(ticket=ticket, contact=contact, body="Дополню.")

    ticket.refresh_from_db()
    assert ticket.status == status
    assert message.ticket_id == ticket.pk


def test_a_client_reply_to_a_closed_ticket_opens_a_follow_up_linked_to_it(
    contact: Contact, standard: TicketType, first_line: Team, operator: User
) -> None:
    old = new_ticket(type=standard, requester=contact, team=first_line)
    TicketSettings.objects.filter(pk=TicketSettings.load().pk).update(
        require_category_to_resolve=False, require_resolution_to_resolve=False
    )
    services.ticket_update(ticket=old, actor=operator, status=Status.RESOLVED)
    services.ticket_update(ticket=old, actor=operator, status=Status.CLOSED)

    message = services.ticket_client_reply(ticket=old, contact=contact, body="Опять то же.")

    old.refresh_from_db()
    follow_up = message.ticket
    assert old.status == Status.CLOSED
    assert old.messages.count() == 1
    assert follow_up.pk != old.pk
    assert (follow_up.status, follow_up.subject, follow_up.team) == (
        Status.NEW,
        old.subject,
        first_line,
    )
    assert TicketLink.objects.filter(
        source=follow_up, target=old, kind=TicketLink.Kind.FOLLOW_UP
    ).exists()


def test_a_client_reply_to_a_recently_closed_ticket_with_a_category_opens_a_follow_up(
    ticket: Ticket, contact: Contact, operator: User
) -> None:
    services.ticket_update(ticket=ticket, actor=operator, status=Status.RESOLVED)
    services.ticket_update(ticket=ticket, actor=operator, status=Status.CLOSED)

    message = services.ticket_client_reply(ticket=ticket, contact=contact, body="Опять.")

    assert message.ticket_id != ticket.pk
    assert TicketLink.objects.filter(source=message.ticket, target=ticket).exists()


def test_a_client_reply_to_a_closed_ticket_survives_a_rule_that_adds_a_note(
    contact: Contact, standard: TicketType, operator: User
) -> None:
    old = new_ticket(type=standard, requester=contact)
    set_status(old, Status.CLOSED)
    Rule.objects.create(name="Памятка", actions=[{"action": "add_note", "value": "Проверить"}])

    message = services.ticket_client_reply(ticket=old, contact=contact, body="Опять.")

    assert message.kind == Message.Kind.CLIENT
    assert message.ticket_id != old.pk


def test_a_client_reply_to_a_merged_ticket_lands_on_the_ticket_it_was_merged_into(
    ticket: Ticket, contact: Contact, standard: TicketType, operator: User
) -> None:
    duplicate = new_ticket(type=standard, requester=contact)
    services.ticket_merge(source=duplicate, target=ticket, actor=operator)
    tickets = Ticket.objects.count()

    message = services.ticket_client_reply(ticket=duplicate, contact=contact, body="И ещё.")

    assert message.ticket_id == ticket.pk
    assert Ticket.objects.count() == tickets


# --- Repeat contacts ----------------------------------------------------------


def test_a_second_ticket_from_the_same_contact_in_the_same_category_is_a_repeat(
    ticket: Ticket, contact: Contact, standard: TicketType, category: Category
) -> None:
    assert ticket.is_repeat is False

    again = new_ticket(type=standard, requester=contact, category=category)

    assert again.is_repeat is True
    assert TicketLink.objects.filter(
        source=again, target=ticket, kind=TicketLink.Kind.REPEAT
    ).exists()
    assert again.events.get(field="is_repeat").new_value == ticket.reference


def test_a_colleague_from_the_same_client_makes_a_repeat_contact_too(
    ticket: Ticket, colleague: Contact, standard: TicketType, category: Category
) -> None:
    again = new_ticket(type=standard, requester=colleague, category=category)

    assert again.is_repeat is True


@pytest.mark.parametrize("who", ["same contact, other category", "other client, same category"])
def test_a_ticket_differing_in_category_or_party_is_not_a_repeat(
    ticket: Ticket, contact: Contact, stranger: Contact, standard: TicketType, who: str
) -> None:
    if who == "same contact, other category":
        fields: dict[str, Any] = {
            "requester": contact,
            "category": Category.objects.create(name="Оплата"),
        }
    else:
        fields = {"requester": stranger, "category": ticket.category}

    other = new_ticket(type=standard, **fields)

    assert other.is_repeat is False
    assert not TicketLink.objects.filter(source=other).exists()


@pytest.mark.parametrize(
    ("ago", "window_days", "repeat"),
    [
        (dt.timedelta(days=6, hours=23), 7, True),
        (dt.timedelta(days=7, hours=1), 7, False),
        (dt.timedelta(days=7, hours=1), 10, True),
        (dt.timedelta(days=30), 10, False),
    ],
)
def test_only_an_earlier_ticket_within_the_configured_window_makes_a_repeat(
    contact: Contact,
    standard: TicketType,
    category: Category,
    ago: dt.timedelta,
    window_days: int,
    repeat: bool,
) -> None:
    TicketSettings.objects.filter(pk=TicketSettings.load().pk).update(
        repeat_window_days=window_days
    )
    now = dt.datetime(2025, 6, 16, 12, 0, tzinfo=MOSCOW)
    with time_machine.travel(now - ago, tick=False):
        new_ticket(type=standard, requester=contact, category=category)

    with time_machine.travel(now, tick=False):
        later = new_ticket(type=standard, requester=contact, category=category)

    assert later.is_repeat is repeat


def test_the_repeat_window_is_seven_days_by_default(db: None) -> None:
    assert TicketSettings.load().repeat_window_days == 7


@pytest.mark.parametrize("fate", ["spam", "merged"])
def test_spam_and_merged_tickets_do_not_count_as_earlier_contacts(
    ticket: Ticket, contact: Contact, standard: TicketType, operator: User, fate: str
) -> None:
    if fate == "spam":
        services.ticket_mark_spam(ticket=ticket, actor=operator)
    else:
        elsewhere = new_ticket(type=standard, requester=contact)
        services.ticket_merge(source=ticket, target=elsewhere, actor=operator)

    again = new_ticket(type=standard, requester=contact, category=ticket.category)

    assert again.is_repeat is False


def test_setting_the_category_later_runs_the_repeat_check(
    ticket: Ticket, contact: Contact, standard: TicketType, category: Category, operator: User
) -> None:
    later = new_ticket(type=standard, requester=contact)
    assert later.is_repeat is False

    services.ticket_update(ticket=later, actor=operator, category=category)

    later.refresh_from_db()
    assert later.is_repeat is True
    assert TicketLink.objects.filter(source=later, target=ticket).exists()


# --- Custom fields --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        (CustomField.Kind.NUMBER, " 12 ", 12),
        (CustomField.Kind.NUMBER, "1,5", 1.5),
        (CustomField.Kind.NUMBER, "2.25", 2.25),
        (CustomField.Kind.DATE, "2025-03-01", "2025-03-01"),
        (CustomField.Kind.CHOICE, "КОРП", "КОРП"),
        (CustomField.Kind.TEXT, "  8.3.24 ", "8.3.24"),
        (CustomField.Kind.TEXT, "я" * 1200, "я" * 1000),
    ],
)
def test_a_valid_custom_field_value_is_stored_in_its_clean_form(
    db: None, kind: str, raw: str, stored: Any
) -> None:
    CustomField.objects.create(code="field", label="Поле", kind=kind, options="ПРОФ\nКОРП")

    assert services.custom_fields_clean(category=None, values={"field": raw}) == {"field": stored}


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (CustomField.Kind.NUMBER, "двенадцать"),
        (CustomField.Kind.NUMBER, "1.2.3"),
        (CustomField.Kind.DATE, "01.03.2025"),
        (CustomField.Kind.DATE, "2025-02-30"),
        (CustomField.Kind.CHOICE, "БАЗОВАЯ"),
    ],
)
def test_an_invalid_custom_field_value_is_refused_under_its_code(
    db: None, kind: str, raw: str
) -> None:
    CustomField.objects.create(code="field", label="Поле", kind=kind, options="ПРОФ\nКОРП")

    with pytest.raises(ValidationError) as error:
        services.custom_fields_clean(category=None, values={"field": raw})

    assert list(error.value.message_dict) == ["field"]


@pytest.mark.parametrize("raw", ["1.0e999", "-1.0e999"])
def test_an_infinite_number_is_refused(db: None, raw: str) -> None:
    CustomField.objects.create(code="amount", label="Сумма", kind=CustomField.Kind.NUMBER)

    with pytest.raises(ValidationError):
        services.custom_fields_clean(category=None, values={"amount": raw})


def test_an_empty_value_is_left_out_and_an_inactive_field_is_unknown(db: None) -> None:
    CustomField.objects.create(code="note", label="Заметка", kind=CustomField.Kind.TEXT)
    CustomField.objects.create(
        code="old", label="Старое", kind=CustomField.Kind.TEXT, is_active=False
    )

    assert services.custom_fields_clean(category=None, values={"note": "  "}) == {}
    with pytest.raises(ValidationError) as error:
        services.custom_fields_clean(category=None, values={"old": "x"})
    assert list(error.value.message_dict) == ["old"]


def test_a_field_on_a_parent_category_applies_to_its_subcategories_only(
    category: Category,
) -> None:
    one_c = Category.objects.create(name="1С", parent=category)
    payments = Category.objects.create(name="Оплата")
    version = CustomField.objects.create(code="version", label="Версия", kind="text")
    version.categories.add(category)

    assert services.custom_fields_clean(category=one_c, values={"version": "8.3"}) == {
        "version": "8.3"
    }
    assert [f.code for f in services.custom_fields_for(one_c)] == ["version"]
    assert services.custom_fields_for(payments) == []
    with pytest.raises(ValidationError):
        services.custom_fields_clean(category=payments, values={"version": "8.3"})


def test_custom_fields_given_at_creation_are_validated_before_anything_is_stored(
    contact: Contact, standard: TicketType
) -> None:
    CustomField.objects.create(code="amount", label="Сумма", kind=CustomField.Kind.NUMBER)

    with pytest.raises(ValidationError):
        new_ticket(type=standard, requester=contact, custom_fields={"amount": "много"})
    assert Ticket.objects.count() == 0

    created = new_ticket(type=standard, requester=contact, custom_fields={"amount": "100"})
    assert created.custom_fields == {"amount": 100}


def test_setting_custom_fields_records_each_change_and_an_empty_value_clears_it(
    ticket: Ticket, operator: User
) -> None:
    CustomField.objects.create(code="amount", label="Сумма", kind=CustomField.Kind.NUMBER)
    assert ticket.custom_fields == {}

    services.ticket_set_custom_fields(ticket=ticket, actor=operator, values={"amount": "100"})
    ticket.refresh_from_db()
    assert ticket.custom_fields == {"amount": 100}

    services.ticket_set_custom_fields(ticket=ticket, actor=operator, values={"amount": "100"})
    services.ticket_set_custom_fields(ticket=ticket, actor=operator, values={"amount": ""})

    ticket.refresh_from_db()
    assert ticket.custom_fields == {}
    assert list(
        ticket.events.filter(field="custom_field").values_list("old_value", "new_value")
    ) == [("", "Сумма: 100"), ("Сумма: 100", "Сумма")]


# --- Followers and CC ----------------------------------------------------------


def test_followers_are_replaced_and_only_a_real_change_is_recorded(
    ticket: Ticket, lead: User, operator: User, head: User
) -> None:
    services.ticket_set_followers(ticket=ticket, actor=lead, users=[operator])
    services.ticket_set_followers(ticket=ticket, actor=lead, users=[operator])
    services.ticket_set_followers(ticket=ticket, actor=lead, users=[head])

    assert list(ticket.followers.all()) == [head]
    assert list(ticket.events.filter(field="followers").values_list("old_value", "new_value")) == [
        ("", str(operator)),
        (str(operator), str(head)),
    ]


def test_cc_contacts_are_replaced_and_recorded(
    ticket: Ticket, colleague: Contact, operator: User
) -> None:
    assert not ticket.cc.exists()

    services.ticket_set_cc(ticket=ticket, actor=operator, contacts=[colleague])
    services.ticket_set_cc(ticket=ticket, actor=operator, contacts=[])

    assert not ticket.cc.exists()
    assert list(ticket.events.filter(field="cc").values_list("old_value", "new_value")) == [
        ("", str(colleague)),
        (str(colleague), ""),
    ]


# --- Links ------------------------------------------------------------------------


def test_linking_two_tickets_shows_on_both_and_is_not_duplicated_either_way(
    ticket: Ticket, stranger: Contact, standard: TicketType, operator: User
) -> None:
    other = new_ticket(type=standard, requester=stranger)

    link = services.ticket_link(ticket=ticket, other=other, actor=operator)
    again = services.ticket_link(ticket=other, other=ticket, actor=operator)

    assert again.pk == link.pk
    assert link.kind == TicketLink.Kind.RELATED
    assert TicketLink.objects.count() == 1
    assert ticket.events.get(field="link").new_value == other.reference
    assert other.events.get(field="link").new_value == ticket.reference


def test_a_ticket_cannot_be_linked_to_itself(ticket: Ticket, operator: User) -> None:
    with pytest.raises(ValidationError):
        services.ticket_link(ticket=ticket, other=ticket, actor=operator)

    assert TicketLink.objects.count() == 0


def test_unlinking_removes_the_link_from_either_side_and_records_it_once(
    ticket: Ticket, stranger: Contact, standard: TicketType, operator: User
) -> None:
    other = new_ticket(type=standard, requester=stranger)
    services.ticket_link(ticket=ticket, other=other, actor=operator)

    services.ticket_unlink(ticket=other, other=ticket, actor=operator)
    services.ticket_unlink(ticket=other, other=ticket, actor=operator)

    assert TicketLink.objects.count() == 0
    assert list(ticket.events.filter(field="link").values_list("old_value", "new_value")) == [
        ("", other.reference),
        (other.reference, ""),
    ]


# --- Merge ---------------------------------------------------------------------


def test_merging_moves_the_conversation_tags_followers_and_cc_and_closes_the_source(
    ticket: Ticket,
    contact: Contact,
    colleague: Contact,
    standard: TicketType,
    category: Category,
    operator: User,
    lead: User,
) -> None:
    source = new_ticket(type=standard, requester=contact, category=category, tags=["Отчёты", "1С"])
    assert TicketLink.objects.filter(source=source, target=ticket).exists()  # a repeat
    services.ticket_set_followers(ticket=source, actor=lead, users=[operator])
    services.ticket_set_cc(ticket=source, actor=lead, contacts=[colleague])
    services.ticket_set_followers(ticket=ticket, actor=lead, users=[lead])
    source_message = source.messages.get()

    services.ticket_merge(source=source, target=ticket, actor=lead)

    source.refresh_from_db()
    source_message.refresh_from_db()
    assert (source.status, source.merged_into) == (Status.CLOSED, ticket)
    assert source.closed_at is not None
    assert source_message.ticket_id == ticket.pk
    assert not source.messages.exists()
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["1с", "выгрузка", "отчёты"]
    assert set(ticket.followers.all()) == {operator, lead}
    assert list(ticket.cc.all()) == [colleague]
    assert list(ticket.messages.values_list("kind", flat=True)) == [
        Message.Kind.CLIENT,
        Message.Kind.CLIENT,
        Message.Kind.NOTE,
    ]
    links = TicketLink.objects.filter(source__in=[source, ticket], target__in=[source, ticket])
    assert list(links.values_list("source", "kind")) == [(source.pk, TicketLink.Kind.MERGED)]


def test_a_ticket_cannot_be_merged_into_itself(ticket: Ticket, operator: User) -> None:
    with pytest.raises(ValidationError):
        services.ticket_merge(source=ticket, target=ticket, actor=operator)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.merged_into) == (Status.NEW, None)


def test_a_ticket_cannot_be_merged_into_a_closed_ticket(
    ticket: Ticket, stranger: Contact, standard: TicketType, operator: User
) -> None:
    closed = new_ticket(type=standard, requester=stranger)
    set_status(closed, Status.CLOSED)

    with pytest.raises(ValidationError):
        services.ticket_merge(source=ticket, target=closed, actor=operator)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.merged_into, ticket.messages.count()) == (Status.NEW, None, 1)


def test_an_already_merged_ticket_cannot_be_merged_again(
    ticket: Ticket, stranger: Contact, standard: TicketType, operator: User
) -> None:
    first = new_ticket(type=standard, requester=stranger)
    second = new_ticket(type=standard, requester=stranger, subject="Другой")
    services.ticket_merge(source=ticket, target=first, actor=operator)

    with pytest.raises(ValidationError):
        services.ticket_merge(source=ticket, target=second, actor=operator)

    ticket.refresh_from_db()
    assert ticket.merged_into == first
    assert second.messages.count() == 1


# --- Split ----------------------------------------------------------------------


def test_splitting_moves_a_client_message_into_a_new_ticket_linked_to_the_old_one(
    ticket: Ticket, contact: Contact, operator: User
) -> None:
    message = services.ticket_client_reply(
        ticket=ticket, contact=contact, body="Отдельный вопрос\nКак выгрузить отчёт?"
    )
    assert ticket.messages.count() == 2

    new = services.ticket_split(message=message, actor=operator)

    message.refresh_from_db()
    assert message.ticket_id == new.pk
    assert list(new.messages.all()) == [message]
    assert ticket.messages.count() == 1
    assert (new.subject, new.requester, new.client, new.team) == (
        "Отдельный вопрос",
        contact,
        ticket.client,
        ticket.team,
    )
    assert TicketLink.objects.filter(source=new, target=ticket, kind=TicketLink.Kind.SPLIT).exists()
    assert ticket.events.get(field="split").new_value == new.reference


def test_only_a_clients_message_can_be_split_off(ticket: Ticket, operator: User) -> None:
    note = services.ticket_reply(ticket=ticket, author=operator, body="Заметка", internal=True)
    tickets = Ticket.objects.count()

    with pytest.raises(ValidationError):
        services.ticket_split(message=note, actor=operator)

    assert Ticket.objects.count() == tickets
    note.refresh_from_db()
    assert note.ticket_id == ticket.pk


def test_a_ticket_with_a_single_message_cannot_be_split(ticket: Ticket, operator: User) -> None:
    with pytest.raises(ValidationError):
        services.ticket_split(message=ticket.messages.get(), actor=operator)

    assert Ticket.objects.count() == 1


def test_a_client_message_without_text_is_split_off_under_the_old_subject(
    ticket: Ticket, contact: Contact, operator: User
) -> None:
    message = services.ticket_client_reply(ticket=ticket, contact=contact, body="")

    new = services.ticket_split(message=message, actor=operator)

    message.refresh_from_db()
    assert new.subject == ticket.subject
    assert list(new.messages.all()) == [message]
    assert ticket.messages.count() == 1


# --- Escalation -------------------------------------------------------------------


def test_escalating_to_the_lead_adds_a_note_makes_the_lead_follow_and_emails_them(
    ticket: Ticket, operator: User, lead: User, mailoutbox: list[Any]
) -> None:
    assert (ticket.is_escalated, len(mailoutbox)) == (False, 0)

    services.ticket_escalate(
        ticket=ticket, actor=operator, target="lead", reason="Клиент грозит уйти"
    )

    ticket.refresh_from_db()
    assert (ticket.is_escalated, ticket.escalation_target) == (True, "lead")
    assert list(ticket.followers.all()) == [lead]
    note = ticket.messages.filter(kind=Message.Kind.NOTE).get()
    assert "Клиент грозит уйти" in note.body
    assert ticket.events.filter(field="escalation").exists()
    assert [m.to for m in mailoutbox] == [[lead.email]]
    assert ticket.reference in mailoutbox[0].subject


def test_escalating_to_another_queue_moves_it_there_reassigns_and_tells_that_queues_lead(
    ticket: Ticket,
    operator: User,
    other_operator: User,
    second_line: Team,
    second_lead: User,
    lead: User,
    mailoutbox: list[Any],
) -> None:
    services.ticket_update(ticket=ticket, actor=lead, assignee=operator)
    User.objects.filter(pk=other_operator.pk).update(availability=User.Availability.ONLINE)
    QueueSettings.objects.create(team=second_line, assignment=QueueSettings.Mode.ROUND_ROBIN)

    services.ticket_escalate(
        ticket=ticket, actor=operator, target="queue", reason="Нужна вторая линия", team=second_line
    )

    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee, ticket.escalation_target) == (
        second_line,
        other_operator,
        "queue",
    )
    assert list(ticket.followers.all()) == [second_lead]
    assert [m.to for m in mailoutbox] == [[second_lead.email]]


@pytest.mark.parametrize(
    ("target", "reason", "team", "key"),
    [
        ("boss", "Причина", False, "target"),
        ("lead", "   ", False, "reason"),
        ("queue", "Причина", False, "team"),
        ("queue", "Причина", True, "team"),
    ],
)
def test_an_escalation_without_a_valid_target_reason_or_new_queue_is_refused(
    ticket: Ticket, operator: User, target: str, reason: str, team: bool, key: str
) -> None:
    with pytest.raises(ValidationError) as error:
        services.ticket_escalate(
            ticket=ticket,
            actor=operator,
            target=target,
            reason=reason,
            team=ticket.team if team else None,
        )

    assert key in error.value.message_dict
    ticket.refresh_from_db()
    assert (ticket.is_escalated, ticket.escalation_target) == (False, "")
    assert ticket.messages.count() == 1


def test_a_closed_ticket_cannot_be_escalated(
    ticket: Ticket, operator: User, lead: User, mailoutbox: list[Any]
) -> None:
    set_status(ticket, Status.CLOSED)

    with pytest.raises(ValidationError):
        services.ticket_escalate(ticket=ticket, actor=operator, target="development", reason="x")

    ticket.refresh_from_db()
    assert ticket.is_escalated is False
    assert mailoutbox == []


# --- Bulk and periodic -----------------------------------------------------------


def test_a_bulk_change_applies_to_each_ticket_that_can_take_it_and_reports_the_others(
    ticket: Ticket, contact: Contact, standard: TicketType, operator: User
) -> None:
    uncategorised = new_ticket(type=standard, requester=contact)

    result = services.tickets_bulk_update(
        tickets=[ticket, uncategorised],
        actor=operator,
        changes={"status": Status.RESOLVED},
        add_tags=["массово"],
    )

    assert [t.pk for t in result.updated] == [ticket.pk]
    assert [t.pk for t, _message in result.failed] == [uncategorised.pk]
    assert result.failed[0][1]
    ticket.refresh_from_db()
    uncategorised.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert "массово" in ticket.tags.values_list("name", flat=True)
    assert uncategorised.status == Status.NEW
    assert not uncategorised.tags.exists()


def test_a_bulk_merge_merges_every_other_ticket_into_the_chosen_one(
    ticket: Ticket, stranger: Contact, standard: TicketType, operator: User
) -> None:
    first = new_ticket(type=standard, requester=stranger)
    second = new_ticket(type=standard, requester=stranger, subject="Ещё")

    result = services.tickets_bulk_update(
        tickets=[first, ticket, second], actor=operator, changes={}, merge_into=ticket
    )

    assert result.failed == []
    assert set(Ticket.objects.filter(merged_into=ticket).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert ticket.messages.filter(kind=Message.Kind.CLIENT).count() == 3


def test_auto_close_closes_only_resolved_tickets_older_than_the_configured_days(
    contact: Contact, standard: TicketType, operator: User
) -> None:
    TicketSettings.objects.filter(pk=TicketSettings.load().pk).update(
        require_category_to_resolve=False, require_resolution_to_resolve=False
    )
    start = dt.datetime(2025, 3, 3, 10, 0, tzinfo=MOSCOW)
    with time_machine.travel(start, tick=False) as clock:
        old = new_ticket(type=standard, requester=contact)
        waiting = new_ticket(type=standard, requester=contact, subject="Ждём клиента")
        services.ticket_update(ticket=old, actor=operator, status=Status.RESOLVED)
        services.ticket_update(ticket=waiting, actor=operator, status=Status.PENDING)
        clock.shift(dt.timedelta(days=2))
        recent = new_ticket(type=standard, requester=contact, subject="Недавний")
        services.ticket_update(ticket=recent, actor=operator, status=Status.RESOLVED)
        clock.shift(dt.timedelta(days=1, minutes=1))

        closed = services.tickets_auto_close()

    assert closed == 1
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {old.pk: Status.CLOSED, waiting.pk: Status.PENDING, recent.pk: "resolved"}
    old.refresh_from_db()
    assert old.closed_at == start + dt.timedelta(days=3, minutes=1)
    assert old.events.filter(field="auto_close", actor=None).exists()


def test_auto_close_waits_longer_when_the_setting_says_so(ticket: Ticket, operator: User) -> None:
    TicketSettings.objects.filter(pk=TicketSettings.load().pk).update(auto_close_days=10)
    start = dt.datetime(2025, 3, 3, 10, 0, tzinfo=MOSCOW)
    with time_machine.travel(start, tick=False) as clock:
        services.ticket_update(ticket=ticket, actor=operator, status=Status.RESOLVED)
        clock.shift(dt.timedelta(days=9))
        assert services.tickets_auto_close() == 0
        clock.shift(dt.timedelta(days=1))
        assert services.tickets_auto_close() == 1

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


# --- Saved views --------------------------------------------------------------------


def test_a_saved_view_keeps_the_filters_but_not_the_page_or_the_csrf_token(
    operator: User, lead: User
) -> None:
    personal = services.saved_view_create(
        owner=operator,
        name="  Мои срочные ",
        is_shared=False,
        query="status=open&before=123&priority=urgent&csrfmiddlewaretoken=abc&",
    )
    shared = services.saved_view_create(owner=lead, name="Вся линия", is_shared=True, query="")

    assert (personal.name, personal.query) == ("Мои срочные", "status=open&priority=urgent")
    assert SavedView.objects.count() == 2
    assert list(AuditEntry.objects.values_list("action", "target_id")) == [
        ("saved_view.share", str(shared.pk))
    ]


def test_every_ticket_change_leaves_an_event_with_its_actor(ticket: Ticket, operator: User) -> None:
    before = TicketEvent.objects.filter(ticket=ticket).count()

    services.ticket_update(ticket=ticket, actor=operator, priority=Ticket.Priority.HIGH)

    event = ticket.events.exclude(field="created").get()
    assert TicketEvent.objects.filter(ticket=ticket).count() == before + 1
    assert (event.field, event.actor, event.new_value) == (
        "priority",
        operator,
        str(Ticket.Priority.HIGH.label),
    )


def test_every_line_of_a_busy_tickets_history_has_a_readable_label(
    ticket: Ticket,
    contact: Contact,
    standard: TicketType,
    operator: User,
    lead: User,
    category: Category,
    head: User,
) -> None:
    CustomField.objects.create(code="amount", label="Сумма", kind=CustomField.Kind.NUMBER)
    Rule.objects.create(name="Метка", actions=[{"action": "add_tag", "value": "x"}], event="any")
    other = new_ticket(type=standard, requester=contact, category=category)
    services.ticket_update(ticket=ticket, actor=lead, assignee=operator, priority="high")
    services.ticket_set_custom_fields(ticket=ticket, actor=operator, values={"amount": "5"})
    services.ticket_set_followers(ticket=ticket, actor=operator, users=[lead])
    services.ticket_escalate(ticket=ticket, actor=operator, target="lead", reason="Срочно")
    services.ticket_merge(source=other, target=ticket, actor=operator)
    services.ticket_update(ticket=ticket, actor=operator, status=Status.RESOLVED)
    services.ticket_client_reply(ticket=ticket, contact=contact, body="Не помогло")
    services.ticket_mark_spam(ticket=ticket, actor=head)

    fields = set(TicketEvent.objects.values_list("field", flat=True))
    labels = [event.field_label for event in TicketEvent.objects.all()]

    assert {"rule", "is_repeat", "merged", "escalation", "reopened", "is_spam"} <= fields
    assert all(labels)
