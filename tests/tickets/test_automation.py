"""Macros (text with variables plus actions) and rules (triggers on tickets)."""

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
from opora.tickets import automation, services
from opora.tickets.models import (
    Category,
    Macro,
    Message,
    QueueSettings,
    Rule,
    RuleRun,
    Ticket,
    TicketType,
)

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")


def new_ticket(*, type: TicketType, **fields: Any) -> Ticket:
    values: dict[str, Any] = {
        "subject": "Вопрос по отчётам",
        "body": "Не сходится отчёт за март.",
        "channel": Ticket.Channel.EMAIL,
    }
    values.update(fields)
    return services.ticket_create(type=type, **values)


def rule(
    name: str,
    actions: list[dict[str, str]],
    conditions: list[dict[str, str]] | None = None,
    **fields: Any,
) -> Rule:
    """A rule stored as validated data (through rule_validate, as the screens do)."""
    clean_conditions, clean_actions = automation.rule_validate(
        conditions=conditions or [], actions=actions
    )
    return Rule.objects.create(
        name=name, conditions=clean_conditions, actions=clean_actions, **fields
    )


@pytest.fixture
def consultation(db: None) -> TicketType:
    return TicketType.objects.get(code="consultation")


# --- Macros: text --------------------------------------------------------------


def test_macro_render_fills_every_variable(
    ticket: Ticket, contact: Contact, operator: User
) -> None:
    text = (
        "{{ contact.first_name }} / {{contact.name}} / {{ client.name }} / {{ ticket.number }} / "
        "{{ ticket.subject }} / {{ ticket.status }} / {{ agent.first_name }} / {{ agent.name }}"
    )

    rendered = automation.macro_render(text=text, ticket=ticket, agent=operator)

    assert rendered == (
        f"Павел / Павел Николаев / ООО «Ромашка» / {ticket.reference} / Не работает выгрузка / "
        f"{ticket.get_status_display()} / Иван / Иван Операторов"
    )


def test_a_contacts_first_name_is_the_middle_word_of_a_russian_full_name(
    ticket: Ticket, contact: Contact, operator: User
) -> None:
    Contact.objects.filter(pk=contact.pk).update(full_name="Николаев Павел Сергеевич")
    ticket.refresh_from_db()

    rendered = automation.macro_render(
        text="Здравствуйте, {{ contact.first_name }}!", ticket=ticket, agent=operator
    )

    assert rendered == "Здравствуйте, Павел!"


def test_unknown_variables_are_left_as_typed(ticket: Ticket, operator: User) -> None:
    text = "{{ ticket.secret }} {{ user.password }} {{ nothing }}"

    assert automation.macro_render(text=text, ticket=ticket, agent=operator) == text


def test_a_placeholder_in_the_clients_subject_is_not_expanded(
    contact: Contact, standard: TicketType, operator: User
) -> None:
    sneaky = new_ticket(type=standard, requester=contact, subject="Привет {{ agent.name }}")

    rendered = automation.macro_render(
        text="Тема: {{ ticket.subject }}", ticket=sneaky, agent=operator
    )

    assert rendered == "Тема: Привет {{ agent.name }}"


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"body": "Здравствуйте, {{ contact.surname }}"}, "body"),
        ({"body": "Текст", "set_status": "archived"}, "set_status"),
        ({"body": "Текст", "set_priority": "critical"}, "set_priority"),
        ({"body": "   ", "internal": True}, "body"),
    ],
)
def test_a_macro_with_unknown_variables_values_or_nothing_to_do_is_refused(
    operator: User, fields: dict[str, Any], key: str
) -> None:
    with pytest.raises(ValidationError) as error:
        automation.macro_create(owner=operator, name="Шаблон", **fields)

    assert key in error.value.message_dict
    assert Macro.objects.count() == 0


def test_a_macro_with_only_an_action_is_fine(operator: User) -> None:
    macro = automation.macro_create(owner=operator, name="Ждём", body="", set_status="pending")

    assert macro.set_status == "pending"
    assert AuditEntry.objects.filter(action="macro.create", target_id=str(macro.pk)).exists()


def test_only_leads_and_heads_share_macros(operator: User, lead: User) -> None:
    with pytest.raises(ValidationError) as error:
        automation.macro_create(owner=operator, name="Всем", body="Текст", is_shared=True)
    assert "is_shared" in error.value.message_dict

    shared = automation.macro_create(owner=lead, name="Всем", body="Текст", is_shared=True)

    assert list(Macro.objects.values_list("pk", flat=True)) == [shared.pk]


def test_an_operator_cannot_share_their_macro_by_editing_it(operator: User) -> None:
    macro = automation.macro_create(owner=operator, name="Мой", body="Текст")

    with pytest.raises(ValidationError):
        automation.macro_update(macro=macro, actor=operator, body="Текст", is_shared=True)

    macro.refresh_from_db()
    assert macro.is_shared is False


def test_editing_a_macro_is_audited_with_what_changed(lead: User) -> None:
    macro = automation.macro_create(owner=lead, name="Старое", body="Текст")

    automation.macro_update(macro=macro, actor=lead, name="Новое", body="Текст")

    macro.refresh_from_db()
    assert macro.name == "Новое"
    entry = AuditEntry.objects.get(action="macro.update")
    assert entry.changes == {"name": ["Старое", "Новое"]}


def test_macros_for_a_user_are_their_own_and_the_shared_ones_not_colleagues_personal(
    operator: User, other_operator: User, lead: User
) -> None:
    own = automation.macro_create(owner=operator, name="Мой", body="Текст")
    shared = automation.macro_create(owner=lead, name="Общий", body="Текст", is_shared=True)
    automation.macro_create(owner=other_operator, name="Чужой", body="Текст")
    automation.macro_create(owner=lead, name="Личный лида", body="Текст")

    assert set(automation.macros_for(operator)) == {own, shared}


# --- Macros: applying ----------------------------------------------------------


def test_applying_a_macro_replies_and_sets_status_priority_tags_and_assignee(
    ticket: Ticket, operator: User
) -> None:
    macro = automation.macro_create(
        owner=operator,
        name="Запросить логи",
        body="{{ contact.first_name }}, пришлите логи по {{ ticket.number }}.",
        set_status="pending",
        set_priority="high",
        add_tags="Логи, ждём",
        assign_to_self=True,
    )
    assert (ticket.status, ticket.priority, ticket.assignee) == ("new", "normal", None)

    message = automation.macro_apply(macro=macro, ticket=ticket, agent=operator)

    ticket.refresh_from_db()
    macro.refresh_from_db()
    assert message is not None
    assert (message.kind, message.body) == (
        Message.Kind.REPLY,
        f"Павел, пришлите логи по {ticket.reference}.",
    )
    assert (ticket.status, ticket.priority, ticket.assignee) == ("pending", "high", operator)
    assert {"логи", "ждём", "1с"} <= set(ticket.tags.values_list("name", flat=True))
    assert ticket.first_responded_at is not None
    assert macro.usage_count == 1
    assert ticket.events.get(field="macro").new_value == "Запросить логи"


def test_the_agents_edited_text_is_posted_instead_of_the_macros(
    ticket: Ticket, operator: User
) -> None:
    macro = automation.macro_create(owner=operator, name="Ответ", body="Шаблон", internal=True)

    message = automation.macro_apply(
        macro=macro, ticket=ticket, agent=operator, body="Поправленный текст"
    )

    assert message is not None
    assert (message.kind, message.body) == (Message.Kind.NOTE, "Поправленный текст")


def test_a_macro_without_text_only_applies_its_actions(ticket: Ticket, operator: User) -> None:
    macro = automation.macro_create(owner=operator, name="В работу", set_status="open")
    macro_again = Macro.objects.get(pk=macro.pk)

    assert automation.macro_apply(macro=macro, ticket=ticket, agent=operator) is None
    automation.macro_apply(macro=macro_again, ticket=ticket, agent=operator)

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.messages.count() == 1
    assert Macro.objects.get(pk=macro.pk).usage_count == 2


# --- Rules: validation -------------------------------------------------------------


def test_rule_validate_turns_what_people_type_into_stored_ids(
    consultation: TicketType,
    category: Category,
    first_line: Team,
    second_line: Team,
    operator: User,
) -> None:
    ClientAccount.objects.create(name="ИП Сидоров", inn="7701234567")

    conditions, actions = automation.rule_validate(
        conditions=[
            {"field": "type", "op": "is", "value": "Consultation"},
            {"field": "category", "op": "is", "value": "Интеграции"},
            {"field": "team", "op": "is_not", "value": "Первая линия"},
            {"field": "client", "op": "is", "value": "7701234567"},
            {"field": "priority", "op": "is", "value": "HIGH"},
            {"field": "key_client", "op": "is", "value": "Да"},
            {"field": "subject", "op": "contains", "value": "  СРОЧНО "},
        ],
        actions=[
            {"action": "set_team", "value": " Вторая линия "},
            {"action": "assign", "value": "Operator@Example.com"},
            {"action": "assign", "value": "Авто"},
            {"action": "escalate", "value": "development"},
        ],
    )

    client = ClientAccount.objects.get(inn="7701234567")
    assert [c["value"] for c in conditions] == [
        str(consultation.pk),
        str(category.pk),
        str(first_line.pk),
        str(client.pk),
        "high",
        "yes",
        "срочно",
    ]
    assert [a["value"] for a in actions] == [
        str(second_line.pk),
        str(operator.pk),
        "auto",
        "development",
    ]


def test_names_in_a_rule_are_found_whatever_their_case(
    consultation: TicketType, category: Category, second_line: Team
) -> None:
    conditions, actions = automation.rule_validate(
        conditions=[
            {"field": "type", "op": "is", "value": "КОНСУЛЬТАЦИЯ"},
            {"field": "category", "op": "is", "value": "интеграции"},
        ],
        actions=[{"action": "set_team", "value": "вторая линия"}],
    )

    assert [c["value"] for c in conditions] == [str(consultation.pk), str(category.pk)]
    assert actions == [{"action": "set_team", "value": str(second_line.pk)}]


def test_rule_validate_keys_each_bad_row_by_its_index(db: None) -> None:
    with pytest.raises(ValidationError) as error:
        automation.rule_validate(
            conditions=[
                {"field": "weather", "op": "is", "value": "rain"},
                {"field": "subject", "op": "contains", "value": "счёт"},
                {"field": "subject", "op": "is", "value": "счёт"},
                {"field": "type", "op": "is", "value": "Несуществующий"},
            ],
            actions=[
                {"action": "add_tag", "value": "счёт"},
                {"action": "explode", "value": "x"},
                {"action": "assign", "value": "ghost@example.com"},
                {"action": "escalate", "value": "queue"},
                {"action": "add_note", "value": "   "},
            ],
        )

    assert sorted(error.value.message_dict) == [
        "actions-1",
        "actions-2",
        "actions-3",
        "actions-4",
        "conditions-0",
        "conditions-2",
        "conditions-3",
    ]


def test_a_rule_needs_at_least_one_action(db: None) -> None:
    with pytest.raises(ValidationError) as error:
        automation.rule_validate(
            conditions=[{"field": "subject", "op": "contains", "value": "x"}], actions=[]
        )

    assert list(error.value.message_dict) == ["actions"]


def test_an_inactive_user_cannot_be_named_in_a_rule(operator: User) -> None:
    User.objects.filter(pk=operator.pk).update(is_active=False)

    with pytest.raises(ValidationError) as error:
        automation.rule_validate(
            conditions=[], actions=[{"action": "notify", "value": operator.email}]
        )

    assert list(error.value.message_dict) == ["actions-0"]


def test_new_rules_go_last_and_moving_one_up_swaps_it_with_its_neighbour(head: User) -> None:
    actions = [{"action": "add_tag", "value": "x"}]
    first = automation.rule_create(actor=head, name="Первое", conditions=[], actions=actions)
    second = automation.rule_create(actor=head, name="Второе", conditions=[], actions=actions)
    assert (first.position, second.position) == (10, 20)

    automation.rule_move(rule=second, actor=head, up=True)

    assert list(Rule.objects.order_by("position").values_list("name", flat=True)) == [
        "Второе",
        "Первое",
    ]
    assert AuditEntry.objects.filter(action="rule.move").count() == 1


# --- Rules: running ---------------------------------------------------------------


def test_rules_run_in_position_order_so_the_last_one_has_the_final_say(
    contact: Contact, standard: TicketType
) -> None:
    rule("Высокий", [{"action": "set_priority", "value": "high"}], position=20)
    rule("Низкий", [{"action": "set_priority", "value": "low"}], position=10)

    created = new_ticket(type=standard, requester=contact)

    assert created.priority == "high"
    assert list(created.rule_runs.order_by("id").values_list("rule_name", flat=True)) == [
        "Низкий",
        "Высокий",
    ]


def test_a_rule_that_stops_processing_keeps_later_rules_from_running(
    contact: Contact, standard: TicketType
) -> None:
    rule("Стоп", [{"action": "add_tag", "value": "первое"}], position=10, stop_processing=True)
    rule("Потом", [{"action": "add_tag", "value": "второе"}], position=20)

    created = new_ticket(type=standard, requester=contact)

    assert list(created.tags.values_list("name", flat=True)) == ["первое"]
    assert list(created.rule_runs.values_list("rule_name", flat=True)) == ["Стоп"]


def test_a_rule_that_does_not_match_does_not_stop_the_others(
    contact: Contact, standard: TicketType
) -> None:
    rule(
        "Стоп для телеграма",
        [{"action": "add_tag", "value": "телеграм"}],
        [{"field": "channel", "op": "is", "value": "telegram"}],
        position=10,
        stop_processing=True,
    )
    rule("Потом", [{"action": "add_tag", "value": "второе"}], position=20)

    created = new_ticket(type=standard, requester=contact)

    assert list(created.tags.values_list("name", flat=True)) == ["второе"]


@pytest.mark.parametrize(("match_all", "fires"), [(True, False), (False, True)])
def test_all_conditions_or_any_one_of_them(
    contact: Contact, standard: TicketType, match_all: bool, fires: bool
) -> None:
    rule(
        "Срочное из телеграма",
        [{"action": "set_priority", "value": "urgent"}],
        [
            {"field": "text", "op": "contains", "value": "СРОЧНО"},
            {"field": "channel", "op": "is", "value": "telegram"},
        ],
        match_all=match_all,
    )

    created = new_ticket(type=standard, requester=contact, body="Срочно! Всё упало.")

    assert (created.priority == "urgent") is fires
    assert created.rule_runs.exists() is fires


@pytest.mark.parametrize(
    ("event", "on_create", "on_update"),
    [("created", 1, 0), ("updated", 0, 1), ("any", 1, 1)],
)
def test_a_rule_runs_only_on_its_event(
    contact: Contact,
    standard: TicketType,
    operator: User,
    event: str,
    on_create: int,
    on_update: int,
) -> None:
    rule("Метка", [{"action": "add_tag", "value": "видели"}], event=event)

    created = new_ticket(type=standard, requester=contact)
    assert created.rule_runs.filter(event="created").count() == on_create

    services.ticket_update(ticket=created, actor=operator, priority="high")

    assert created.rule_runs.filter(event="updated").count() == on_update


def test_each_firing_is_logged_as_a_rule_run_and_a_line_in_the_ticket_history(
    contact: Contact, standard: TicketType, second_line: Team
) -> None:
    saved = rule(
        "Во вторую линию",
        [{"action": "set_team", "value": "Вторая линия"}, {"action": "add_tag", "value": "vip"}],
    )

    created = new_ticket(type=standard, requester=contact)

    run = RuleRun.objects.get(ticket=created)
    assert (run.rule, run.rule_name, run.event) == (saved, "Во вторую линию", "created")
    assert run.summary.count("\n") == 1
    assert "Вторая линия" in run.summary
    assert created.events.get(field="rule").new_value == "Во вторую линию"
    assert created.events.get(field="team").actor is None


def test_changes_made_by_rules_do_not_trigger_rules_again(ticket: Ticket, operator: User) -> None:
    rule("Повысить", [{"action": "set_priority", "value": "urgent"}], event="updated")
    rule(
        "Срочное — метка",
        [{"action": "add_tag", "value": "горит"}],
        [{"field": "priority", "op": "is", "value": "urgent"}],
        event="any",
    )

    services.ticket_update(ticket=ticket, actor=operator, status="open")

    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert list(ticket.rule_runs.order_by("id").values_list("rule_name", flat=True)) == [
        "Повысить",
        "Срочное — метка",
    ]


def test_a_person_may_update_without_running_rules(ticket: Ticket, operator: User) -> None:
    rule("Повысить", [{"action": "set_priority", "value": "urgent"}], event="updated")

    services.ticket_update(ticket=ticket, actor=operator, status="open", run_rules=False)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("open", "normal")
    assert not ticket.rule_runs.exists()


def test_rules_set_type_priority_category_and_queue(
    contact: Contact,
    standard: TicketType,
    consultation: TicketType,
    category: Category,
    second_line: Team,
) -> None:
    rule(
        "Разметить",
        [
            {"action": "set_type", "value": "consultation"},
            {"action": "set_priority", "value": "low"},
            {"action": "set_category", "value": "Интеграции"},
            {"action": "set_team", "value": "Вторая линия"},
        ],
    )

    created = new_ticket(type=standard, requester=contact)

    created.refresh_from_db()
    assert (created.type, created.priority, created.category, created.team) == (
        consultation,
        "low",
        category,
        second_line,
    )


def test_a_rule_on_a_category_also_matches_its_subcategories(
    contact: Contact, standard: TicketType, category: Category
) -> None:
    one_c = Category.objects.create(name="1С", parent=category)
    payments = Category.objects.create(name="Оплата")
    rule(
        "Интеграции",
        [{"action": "add_tag", "value": "интеграции"}],
        [{"field": "category", "op": "is", "value": "Интеграции"}],
    )

    child = new_ticket(type=standard, requester=contact, category=one_c)
    other = new_ticket(type=standard, requester=contact, category=payments)

    assert list(child.tags.values_list("name", flat=True)) == ["интеграции"]
    assert not other.tags.exists()


@pytest.mark.parametrize(("is_key", "fires"), [(True, True), (False, False)])
def test_a_key_client_condition_reads_the_clients_flag(
    contact: Contact,
    client_account: ClientAccount,
    standard: TicketType,
    is_key: bool,
    fires: bool,
) -> None:
    ClientAccount.objects.filter(pk=client_account.pk).update(is_key=is_key)
    rule(
        "Ключевой",
        [{"action": "set_priority", "value": "high"}],
        [{"field": "key_client", "op": "is", "value": "да"}],
    )

    created = new_ticket(type=standard, requester=contact)

    assert (created.priority == "high") is fires


def test_a_tag_condition_sees_the_tags_given_at_creation(
    contact: Contact, standard: TicketType
) -> None:
    rule(
        "1С — во вторую",
        [{"action": "add_note", "value": "Проверить версию платформы"}],
        [{"field": "tag", "op": "is", "value": "1С"}],
    )

    tagged = new_ticket(type=standard, requester=contact, tags=["1С"])
    untagged = new_ticket(type=standard, requester=contact, subject="Без метки")

    note = tagged.messages.get(kind=Message.Kind.NOTE)
    assert (note.body, note.author) == ("Проверить версию платформы", None)
    assert not untagged.messages.filter(kind=Message.Kind.NOTE).exists()


def test_the_assign_action_gives_the_ticket_to_the_named_person(
    contact: Contact, standard: TicketType, operator: User
) -> None:
    rule("Ивану", [{"action": "assign", "value": "operator@example.com"}])

    created = new_ticket(type=standard, requester=contact)

    assert created.assignee == operator


def test_the_assign_auto_action_uses_the_queues_auto_assignment(
    contact: Contact, standard: TicketType, first_line: Team, operator: User
) -> None:
    User.objects.filter(pk=operator.pk).update(availability=User.Availability.ONLINE)
    QueueSettings.objects.create(team=first_line, assignment=QueueSettings.Mode.LEAST_LOADED)
    rule(
        "В первую линию и назначить",
        [{"action": "set_team", "value": "Первая линия"}, {"action": "assign", "value": "auto"}],
    )

    created = new_ticket(type=standard, requester=contact)

    created.refresh_from_db()
    assert (created.team, created.assignee) == (first_line, operator)
    assert created.events.filter(field="auto_assign").count() == 1


def test_an_action_naming_someone_who_left_is_skipped_and_the_rest_still_run(
    contact: Contact, standard: TicketType, operator: User
) -> None:
    rule(
        "Ивану с меткой",
        [
            {"action": "assign", "value": "operator@example.com"},
            {"action": "add_tag", "value": "ивану"},
        ],
    )
    User.objects.filter(pk=operator.pk).update(is_active=False)

    created = new_ticket(type=standard, requester=contact)

    assert created.assignee is None
    assert list(created.tags.values_list("name", flat=True)) == ["ивану"]
    assert created.rule_runs.count() == 1


def test_an_action_on_a_deleted_queue_is_skipped(
    contact: Contact, standard: TicketType, first_line: Team
) -> None:
    archive = Team.objects.create(name="Архив")
    rule("В архив", [{"action": "set_team", "value": "Архив"}])
    archive.delete()

    created = new_ticket(type=standard, requester=contact, team=first_line)

    created.refresh_from_db()
    assert created.team == first_line
    assert created.rule_runs.count() == 1


def test_the_notify_action_emails_the_named_person(
    contact: Contact, standard: TicketType, lead: User, mailoutbox: list[Any]
) -> None:
    rule("Сообщить лиду", [{"action": "notify", "value": "lead@example.com"}])
    assert mailoutbox == []

    created = new_ticket(type=standard, requester=contact, subject='Ошибка «1С & банк» в "отчёте"')

    assert [m.to for m in mailoutbox] == [[lead.email]]
    assert created.reference in mailoutbox[0].subject
    # A plain-text email: the subject as typed, not HTML-escaped.
    assert 'Ошибка «1С & банк» в "отчёте"' in mailoutbox[0].body


def test_the_escalate_action_marks_the_ticket_escalated_to_development(
    contact: Contact, standard: TicketType
) -> None:
    rule("В разработку", [{"action": "escalate", "value": "development"}])

    created = new_ticket(type=standard, requester=contact)

    created.refresh_from_db()
    assert (created.is_escalated, created.escalation_target) == (True, "development")


def test_assign_auto_keeps_the_assignee_when_nobody_in_the_queue_can_take_the_ticket(
    ticket: Ticket, operator: User, lead: User
) -> None:
    services.ticket_update(ticket=ticket, actor=lead, assignee=operator, run_rules=False)
    rule(
        "Переназначить срочное",
        [{"action": "assign", "value": "auto"}, {"action": "set_priority", "value": "urgent"}],
        event="updated",
    )

    services.ticket_update(ticket=ticket, actor=lead, status="open")

    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert ticket.assignee == operator


# --- Business hours ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2025, 6, 14, 12, 0, tzinfo=MOSCOW), False),  # Saturday
        (dt.datetime(2025, 6, 16, 10, 0, tzinfo=MOSCOW), True),  # Monday
        (dt.datetime(2025, 6, 16, 8, 59, tzinfo=MOSCOW), False),
        (dt.datetime(2025, 6, 20, 17, 59, tzinfo=MOSCOW), True),  # Friday
        (dt.datetime(2025, 6, 20, 18, 0, tzinfo=MOSCOW), False),
        (dt.datetime(2025, 6, 16, 6, 30, tzinfo=dt.UTC), True),  # 09:30 in Moscow
        (dt.datetime(2025, 6, 16, 22, 0, tzinfo=dt.UTC), False),  # Tuesday 01:00 in Moscow
        (dt.datetime(2025, 6, 12, 10, 0, tzinfo=MOSCOW), False),  # Russia Day, a Thursday
        (dt.datetime(2025, 11, 1, 10, 0, tzinfo=MOSCOW), True),  # a Saturday worked by decree
        (dt.datetime(2025, 11, 1, 17, 30, tzinfo=MOSCOW), False),  # …and shortened by an hour
    ],
)
def test_business_hours_follow_the_production_calendar_in_moscow(
    db: None, moment: dt.datetime, expected: bool
) -> None:
    assert automation.is_business_hours(moment) is expected


@pytest.mark.parametrize(
    ("moment", "tagged"),
    [
        (dt.datetime(2025, 6, 14, 12, 0, tzinfo=MOSCOW), False),  # Saturday
        (dt.datetime(2025, 6, 16, 10, 0, tzinfo=MOSCOW), True),  # Monday 10:00
    ],
)
def test_a_business_hours_condition_reads_the_clock_when_the_ticket_arrives(
    contact: Contact, standard: TicketType, moment: dt.datetime, tagged: bool
) -> None:
    rule(
        "Рабочее время",
        [{"action": "add_tag", "value": "в рабочее время"}],
        [{"field": "business_hours", "op": "is", "value": "да"}],
    )

    with time_machine.travel(moment, tick=False):
        created = new_ticket(type=standard, requester=contact)

    assert created.tags.filter(name="в рабочее время").exists() is tagged
