"""The ticket settings screens: macros, rules, assignment, closing criteria, blocked senders.

Each screen is told from the people who use it: allowed, refused (403/404),
bad input (the error is shown and nothing changes) and success (the value
before and after). Lists cost the same number of queries for one row or many.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opora.accounts.models import Team, User
from opora.core.models import AuditEntry
from opora.tickets import automation, config_services, services
from opora.tickets.models import (
    BlockedSender,
    Category,
    CustomField,
    Macro,
    OperatorProfile,
    QueueSettings,
    ResolutionCode,
    Rule,
    RuleRun,
    Tag,
    Ticket,
    TicketSettings,
    TicketType,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REQUIRED = "Обязательное поле."  # Django's own Russian catalogue: the page speaks Russian

CountQueries = Callable[[int], Any]


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def field_errors(response: Any, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


# --- Macros --------------------------------------------------------------------

MACROS = "/tickets/settings/macros/"


def macro_data(**fields: Any) -> dict[str, Any]:
    data = {"name": "Приветствие", "body": "Здравствуйте, {{ contact.first_name }}!"}
    data.update(fields)
    return data


def test_an_operator_sees_their_own_and_the_shared_macros_with_usage(
    operator_client: Client, operator: User, other_operator: User, head: User
) -> None:
    mine = automation.macro_create(owner=operator, name="Мой ответ", body="Текст")
    Macro.objects.filter(pk=mine.pk).update(usage_count=7)
    automation.macro_create(owner=head, name="Общий ответ", body="Текст", is_shared=True)
    automation.macro_create(owner=other_operator, name="Чужой ответ", body="Текст")

    response = operator_client.get(MACROS)

    body = response.content.decode()
    assert "Мой ответ" in body
    assert "Общий ответ" in body
    assert "Чужой ответ" not in body
    rows = {row["macro"].name: row for row in response.context["rows"]}
    assert rows["Мой ответ"]["can_edit"] is True
    assert rows["Общий ответ"]["can_edit"] is False
    assert f"/tickets/settings/macros/{mine.pk}/" in body
    assert ">7<" in body


def test_the_macro_list_costs_the_same_queries_for_1_or_10_macros(
    operator_client: Client, operator: User, head: User, django_assert_num_queries: CountQueries
) -> None:
    automation.macro_create(owner=operator, name="Первый", body="Текст", set_status="pending")
    one = queries_for(operator_client, MACROS)
    for index in range(9):
        owner = head if index % 2 else operator
        automation.macro_create(
            owner=owner, name=f"Макрос {index}", body="Текст", is_shared=bool(index % 2)
        )

    with django_assert_num_queries(one):
        operator_client.get(MACROS)


def test_an_operator_creates_a_personal_macro(operator_client: Client, operator: User) -> None:
    assert not Macro.objects.exists()

    response = operator_client.post(
        "/tickets/settings/macros/new/",
        macro_data(set_status="pending", add_tags="ожидание, 1С", internal="on"),
    )

    assert response.status_code == 302
    macro = Macro.objects.get()
    assert (macro.owner, macro.is_shared, macro.set_status) == (operator, False, "pending")
    assert macro.tag_list == ["ожидание", "1с"]
    assert macro.internal is True


def test_the_macro_form_lists_the_variables_and_hides_sharing_from_an_operator(
    operator_client: Client, lead_client: Client
) -> None:
    operator_page = operator_client.get("/tickets/settings/macros/new/")
    lead_page = lead_client.get("/tickets/settings/macros/new/")

    assert "{{ contact.first_name }}" in operator_page.content.decode()
    assert "{{ ticket.number }}" in operator_page.content.decode()
    assert "is_shared" not in operator_page.context["form"].fields
    assert "is_shared" in lead_page.context["form"].fields


def test_an_operator_cannot_create_a_shared_macro(operator_client: Client) -> None:
    operator_client.post("/tickets/settings/macros/new/", macro_data(is_shared="on"))

    assert Macro.objects.get().is_shared is False


def test_a_lead_shares_a_macro(lead_client: Client) -> None:
    lead_client.post("/tickets/settings/macros/new/", macro_data(is_shared="on"))

    assert Macro.objects.get().is_shared is True


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", REQUIRED),
        ({"body": "Заказ {{ order.number }}"}, "body", "order.number"),
        ({"body": ""}, "body", None),
    ],
)
def test_a_bad_macro_shows_the_error_beside_its_field_and_saves_nothing(
    operator_client: Client, data: dict[str, str], field: str, message: str | None
) -> None:
    response = operator_client.post("/tickets/settings/macros/new/", macro_data(**data))

    assert response.status_code == 200
    errors = field_errors(response, field)
    assert errors
    if message:
        assert message in " ".join(errors)
        assert message in response.content.decode()
    assert not Macro.objects.exists()


def test_an_operator_edits_their_macro(operator_client: Client, operator: User) -> None:
    macro = automation.macro_create(owner=operator, name="Старое имя", body="Текст")

    operator_client.post(f"{MACROS}{macro.pk}/", macro_data(name="Новое имя"))

    macro.refresh_from_db()
    assert macro.name == "Новое имя"


def test_an_operator_cannot_edit_or_delete_anothers_personal_macro(
    operator_client: Client, other_operator: User
) -> None:
    macro = automation.macro_create(owner=other_operator, name="Чужой", body="Текст")

    assert operator_client.get(f"{MACROS}{macro.pk}/").status_code == 404
    assert operator_client.post(f"{MACROS}{macro.pk}/", macro_data()).status_code == 404
    assert operator_client.post(f"{MACROS}{macro.pk}/delete/").status_code == 404
    macro.refresh_from_db()
    assert macro.name == "Чужой"


def test_an_operator_cannot_change_a_shared_macro_but_a_lead_can(
    operator_client: Client, lead_client: Client, head: User
) -> None:
    macro = automation.macro_create(owner=head, name="Общий", body="Текст", is_shared=True)

    assert operator_client.post(f"{MACROS}{macro.pk}/", macro_data()).status_code == 403
    assert operator_client.post(f"{MACROS}{macro.pk}/delete/").status_code == 403
    assert Macro.objects.get(pk=macro.pk).name == "Общий"

    lead_client.post(f"{MACROS}{macro.pk}/", macro_data(name="Общий, правка", is_shared="on"))

    assert Macro.objects.get(pk=macro.pk).name == "Общий, правка"


def test_an_operator_deletes_their_macro(operator_client: Client, operator: User) -> None:
    macro = automation.macro_create(owner=operator, name="Лишний", body="Текст")

    response = operator_client.post(f"{MACROS}{macro.pk}/delete/", HTTP_HX_REQUEST="true")

    assert response.headers["HX-Redirect"] == MACROS
    assert not Macro.objects.exists()


def test_viewers_and_analysts_have_no_macros(viewer_client: Client, analyst_client: Client) -> None:
    assert viewer_client.get(MACROS).status_code == 403
    assert analyst_client.post("/tickets/settings/macros/new/", macro_data()).status_code == 403
    assert not Macro.objects.exists()


# --- Rules ---------------------------------------------------------------------

RULES = "/tickets/settings/rules/"


def rule_data(
    *,
    conditions: Mapping[int, tuple[str, str, str]] | None = None,
    actions: Mapping[int, tuple[str, str]] | None = None,
    **fields: str,
) -> dict[str, str]:
    """The rule form as a browser sends it: 5 condition rows and 4 action rows."""
    data = {"name": "Аварии — на вторую линию", "event": "created", "match_all": "on"}
    data["is_active"] = "on"
    for prefix, total in (("conditions", 5), ("actions", 4)):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(total),
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for index in range(total):
            data[f"{prefix}-{index}-value"] = ""
    for index, (field, op, value) in (conditions or {}).items():
        data.update(
            {
                f"conditions-{index}-field": field,
                f"conditions-{index}-op": op,
                f"conditions-{index}-value": value,
            }
        )
    for index, (action, value) in (actions or {}).items():
        data.update({f"actions-{index}-action": action, f"actions-{index}-value": value})
    data.update(fields)
    return data


def as_submitted(editor: Any) -> dict[str, str]:
    """The rule form's fields with the values the page shows, as a browser submits them."""
    data: dict[str, str] = {}
    forms = [editor.form, editor.conditions.management_form, editor.actions.management_form]
    forms += editor.conditions.forms + editor.actions.forms
    for form in forms:
        for field in form:
            value = field.value()
            if value is False or value is None:
                continue
            data[field.html_name] = "on" if value is True else str(value)
    return data


def make_rule(actor: User, name: str, **kwargs: Any) -> Rule:
    kwargs.setdefault("conditions", [{"field": "subject", "op": "contains", "value": "касса"}])
    kwargs.setdefault("actions", [{"action": "add_tag", "value": "касса"}])
    return automation.rule_create(actor=actor, name=name, **kwargs)


def test_the_rules_list_shows_rules_in_words_in_order_with_their_runs(
    lead_client: Client, head: User, lead: User, second_line: Team, ticket: Ticket
) -> None:
    first = make_rule(
        head,
        "Аварии",
        conditions=[{"field": "type", "op": "is", "value": "emergency"}],
        actions=[
            {"action": "set_team", "value": "Вторая линия"},
            {"action": "notify", "value": lead.email},
            {"action": "set_priority", "value": "high"},
        ],
    )
    second = make_rule(head, "Касса", is_active=False)
    for _ in range(2):
        RuleRun.objects.create(
            rule=second, rule_name=second.name, ticket=ticket, event="created", summary=""
        )

    response = lead_client.get(RULES)

    assert [row["rule"] for row in response.context["rows"]] == [first, second]
    assert [row["rule"].run_count for row in response.context["rows"]] == [0, 2]
    actions = response.context["rows"][0]["actions"]
    assert [a["value"] for a in actions] == ["Вторая линия", "Елена Лидова", "Высокий"]
    body = response.content.decode()
    assert "Вторая линия" in body
    assert "Елена Лидова" in body
    assert "Экстренное" in body  # the type's name, not its stored id


def test_the_rules_list_costs_the_same_queries_for_1_or_10_rules(
    head_client: Client, head: User, second_line: Team, django_assert_num_queries: CountQueries
) -> None:
    def rule(name: str) -> None:
        make_rule(
            head,
            name,
            conditions=[{"field": "team", "op": "is", "value": "Вторая линия"}],
            actions=[
                {"action": "notify", "value": head.email},
                {"action": "set_team", "value": "Вторая линия"},
            ],
        )

    rule("Правило 0")
    one = queries_for(head_client, RULES)
    for index in range(1, 10):
        rule(f"Правило {index}")

    with django_assert_num_queries(one):
        head_client.get(RULES)


def test_a_head_creates_a_rule_and_blank_rows_are_ignored(
    head_client: Client, head: User, second_line: Team
) -> None:
    assert not Rule.objects.exists()

    response = head_client.post(
        "/tickets/settings/rules/new/",
        rule_data(
            conditions={1: ("type", "is", "Экстренное"), 3: ("text", "contains", "Авария")},
            actions={2: ("set_team", "Вторая линия"), 3: ("assign", head.email.upper())},
        ),
    )

    assert response.status_code == 302
    rule = Rule.objects.get()
    assert rule.conditions == [
        {"field": "type", "op": "is", "value": str(TicketType.objects.get(code="emergency").pk)},
        {"field": "text", "op": "contains", "value": "авария"},
    ]
    assert rule.actions == [
        {"action": "set_team", "value": str(second_line.pk)},
        {"action": "assign", "value": str(head.pk)},
    ]


def test_a_rule_error_appears_beside_the_row_it_is_about(head_client: Client) -> None:
    # Row 0 is blank and skipped, so the service's «conditions-1» is form row 2.
    response = head_client.post(
        "/tickets/settings/rules/new/",
        rule_data(
            conditions={1: ("type", "is", "Экстренное"), 2: ("team", "is", "Нет такой")},
            actions={1: ("add_tag", "авария"), 3: ("notify", "nobody@example.com")},
        ),
    )

    assert response.status_code == 200
    editor = response.context["editor"]
    condition_errors = [form.non_field_errors() for form in editor.conditions.forms]
    action_errors = [form.non_field_errors() for form in editor.actions.forms]
    assert [bool(errors) for errors in condition_errors] == [False, False, True, False, False]
    assert "Нет такой" in condition_errors[2][0]
    assert [bool(errors) for errors in action_errors] == [False, False, False, True]
    assert "nobody@example.com" in action_errors[3][0]
    body = response.content.decode()
    assert 'id="conditions-2-errors"' in body
    assert 'id="actions-3-errors"' in body
    assert not Rule.objects.exists()


def test_a_rule_without_actions_says_so_above_the_actions(head_client: Client) -> None:
    response = head_client.post(
        "/tickets/settings/rules/new/", rule_data(conditions={0: ("subject", "contains", "x")})
    )

    assert response.status_code == 200
    assert response.context["editor"].actions.errors_beside
    assert 'id="actions-errors"' in response.content.decode()
    assert not Rule.objects.exists()


def test_a_rule_without_a_name_shows_the_russian_required_error(head_client: Client) -> None:
    response = head_client.post(
        "/tickets/settings/rules/new/", rule_data(actions={0: ("add_tag", "x")}, name="")
    )

    assert response.status_code == 200
    assert REQUIRED in response.content.decode()
    assert not Rule.objects.exists()


def test_the_rule_form_shows_stored_ids_as_names_and_saves_unchanged(
    head_client: Client,
    head: User,
    lead: User,
    second_line: Team,
    category: Category,
) -> None:
    rule = make_rule(
        head,
        "Интеграции",
        conditions=[
            {"field": "category", "op": "is", "value": category.name},
            {"field": "priority", "op": "is", "value": "high"},
        ],
        actions=[
            {"action": "set_team", "value": "Вторая линия"},
            {"action": "assign", "value": lead.email},
            {"action": "notify", "value": head.email},
        ],
    )
    stored = (rule.conditions, rule.actions)

    response = head_client.get(f"{RULES}{rule.pk}/")

    editor = response.context["editor"]
    assert [f.initial["value"] for f in editor.conditions.initial_forms] == [
        "Интеграции",
        "Высокий",
    ]
    assert [f.initial["value"] for f in editor.actions.initial_forms] == [
        "Вторая линия",
        lead.email,
        head.email,
    ]
    assert len(editor.conditions.forms) == 5
    assert len(editor.actions.forms) == 4

    # Send back exactly what the page shows, as a browser would, with two changes.
    data = as_submitted(editor)
    data.update({"name": "Интеграции, правка", "is_active": ""})
    assert head_client.post(f"{RULES}{rule.pk}/", data).status_code == 302
    rule.refresh_from_db()
    assert (rule.conditions, rule.actions) == stored
    assert (rule.name, rule.is_active) == ("Интеграции, правка", False)


def test_rules_move_up_and_down(head_client: Client, head: User) -> None:
    first, second, third = (make_rule(head, name) for name in ("Первое", "Второе", "Третье"))

    head_client.post(f"{RULES}{third.pk}/move/", {"direction": "up"})
    response = head_client.post(
        f"{RULES}{first.pk}/move/", {"direction": "down"}, HTTP_HX_REQUEST="true"
    )

    assert list(Rule.objects.order_by("position")) == [third, first, second]
    assert response.content.decode().lstrip().startswith('<div class="table-wrap" id="rules">')
    assert head_client.post(f"{RULES}{first.pk}/move/", {"direction": "x"}).status_code == 400


def test_a_head_deletes_a_rule(head_client: Client, head: User) -> None:
    rule = make_rule(head, "Лишнее")

    response = head_client.post(f"{RULES}{rule.pk}/delete/")

    assert response.status_code == 302
    assert not Rule.objects.exists()


def test_an_operator_cannot_touch_rules(operator_client: Client, head: User) -> None:
    rule = make_rule(head, "Правило")

    assert operator_client.get(RULES).status_code == 403
    assert operator_client.post(f"{RULES}{rule.pk}/", rule_data()).status_code == 403
    assert operator_client.post(f"{RULES}{rule.pk}/delete/").status_code == 403
    assert operator_client.post(f"{RULES}{rule.pk}/move/", {"direction": "up"}).status_code == 403
    assert Rule.objects.get().name == "Правило"


# --- Assignment ----------------------------------------------------------------

ASSIGNMENT = "/tickets/settings/assignment/"


def test_the_assignment_page_lists_queues_and_operators(
    lead_client: Client,
    operator: User,
    other_operator: User,
    first_line: Team,
    second_line: Team,
) -> None:
    QueueSettings.objects.create(team=second_line, assignment=QueueSettings.Mode.SKILLS)
    User.objects.filter(pk=operator.pk).update(availability=User.Availability.ONLINE)
    OperatorProfile.objects.create(user=operator, capacity=12).skill_tags.add(
        Tag.objects.create(name="1с")
    )

    response = lead_client.get(ASSIGNMENT)

    modes = {
        row["team"].name: row["form"].initial["assignment"] for row in response.context["queues"]
    }
    assert modes == {"Первая линия": "off", "Вторая линия": "skills"}
    body = response.content.decode()
    assert "Иван Операторов" in body
    assert "Пётр Другой" in body
    assert "#1с" in body
    assert "badge ok" in body  # the online operator


def test_the_assignment_page_costs_the_same_queries_for_1_or_10_operators(
    head_client: Client,
    operator: User,
    first_line: Team,
    category: Category,
    django_assert_num_queries: CountQueries,
) -> None:
    tag = Tag.objects.create(name="касса")

    def profile(user: User) -> None:
        made = OperatorProfile.objects.create(user=user)
        made.skill_tags.add(tag)
        made.skill_categories.add(category)

    profile(operator)
    QueueSettings.objects.create(team=first_line)
    one = queries_for(head_client, ASSIGNMENT)
    for index in range(9):
        team = Team.objects.create(name=f"Линия {index}")
        QueueSettings.objects.create(team=team)
        profile(UserFactory(role=User.Role.OPERATOR, team=team))

    with django_assert_num_queries(one):
        head_client.get(ASSIGNMENT)


def test_a_lead_sets_a_queues_assignment_mode(lead_client: Client, first_line: Team) -> None:
    assert not QueueSettings.objects.filter(team=first_line).exists()

    response = lead_client.post(
        ASSIGNMENT, {"team": first_line.pk, "assignment": "round_robin"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith("<form")
    assert QueueSettings.objects.get(team=first_line).assignment == "round_robin"
    assert AuditEntry.objects.filter(action="queue_settings.update").exists()


def test_an_unknown_assignment_mode_is_refused(lead_client: Client, first_line: Team) -> None:
    QueueSettings.objects.create(team=first_line, assignment=QueueSettings.Mode.LEAST_LOADED)

    response = lead_client.post(ASSIGNMENT, {"team": first_line.pk, "assignment": "random"})

    assert response.status_code == 200
    assert "Выберите корректный вариант" in response.content.decode()
    assert QueueSettings.objects.get(team=first_line).assignment == "least_loaded"


def test_a_lead_sets_an_operators_cap_and_skills(
    lead_client: Client, operator: User, category: Category
) -> None:
    Tag.objects.create(name="касса")
    Tag.objects.create(name="1с")
    url = f"{ASSIGNMENT}operators/{operator.pk}/"
    assert lead_client.get(url).context["form"].initial["capacity"] == 25

    response = lead_client.post(
        url, {"capacity": "12", "skill_tags": "Касса, 1С", "skill_categories": [category.pk]}
    )

    assert response.status_code == 302
    profile = OperatorProfile.objects.get(user=operator)
    assert profile.capacity == 12
    assert sorted(tag.name for tag in profile.skill_tags.all()) == ["1с", "касса"]
    assert list(profile.skill_categories.all()) == [category]
    assert lead_client.get(url).context["form"].initial["skill_tags"] == "1с, касса"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"capacity": "-1", "skill_tags": ""}, "capacity", "больше либо равно 0"),
        ({"capacity": "", "skill_tags": ""}, "capacity", REQUIRED),
        ({"capacity": "10", "skill_tags": "кассса"}, "skill_tags", "кассса"),
    ],
)
def test_a_bad_operator_profile_shows_the_error_and_changes_nothing(
    lead_client: Client, operator: User, data: dict[str, str], field: str, message: str
) -> None:
    Tag.objects.create(name="касса")

    response = lead_client.post(f"{ASSIGNMENT}operators/{operator.pk}/", data)

    assert response.status_code == 200
    assert message in " ".join(field_errors(response, field))
    assert not OperatorProfile.objects.exists()


def test_only_operators_and_leads_have_a_profile_screen(
    lead_client: Client, operator_client: Client, analyst: User, operator: User
) -> None:
    assert lead_client.get(f"{ASSIGNMENT}operators/{analyst.pk}/").status_code == 404
    assert operator_client.get(f"{ASSIGNMENT}operators/{operator.pk}/").status_code == 403
    assert (
        operator_client.post(ASSIGNMENT, {"team": operator.team_id, "assignment": "skills"})
    ).status_code == 403
    assert not QueueSettings.objects.exists()


# --- Ticket settings -----------------------------------------------------------

SETTINGS = "/tickets/settings/"


def settings_data(**fields: str) -> dict[str, str]:
    data = {
        "require_category_to_resolve": "on",
        "require_resolution_to_resolve": "on",
        "auto_close_days": "3",
        "repeat_window_days": "7",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value != ""}


def test_a_head_changes_the_closing_criteria_and_windows(head_client: Client) -> None:
    assert TicketSettings.load().auto_close_days == 3

    response = head_client.post(
        SETTINGS,
        settings_data(require_category_to_resolve="", auto_close_days="5", repeat_window_days="14"),
    )

    assert response.status_code == 302
    saved = TicketSettings.load()
    assert (saved.require_category_to_resolve, saved.auto_close_days) == (False, 5)
    assert saved.repeat_window_days == 14
    entry = AuditEntry.objects.get(action="ticket_settings.update")
    assert entry.changes["auto_close_days"] == [3, 5]


def test_a_bad_auto_close_period_is_refused_in_russian(head_client: Client) -> None:
    response = head_client.post(SETTINGS, settings_data(auto_close_days="0"))

    assert response.status_code == 200
    assert "больше либо равно 1" in " ".join(field_errors(response, "auto_close_days"))
    assert "больше либо равно 1" in response.content.decode()
    assert TicketSettings.load().auto_close_days == 3


def test_a_lead_cannot_open_the_ticket_settings(lead_client: Client) -> None:
    assert lead_client.get(SETTINGS).status_code == 403
    assert lead_client.post(SETTINGS, settings_data(auto_close_days="9")).status_code == 403
    assert TicketSettings.load().auto_close_days == 3


def test_the_settings_page_costs_the_same_queries_for_1_or_10_fields(
    head_client: Client, head: User, category: Category, django_assert_num_queries: CountQueries
) -> None:
    def field(code: str) -> None:
        config_services.custom_field_create(
            actor=head, code=code, label=code, kind="text", categories=[category]
        )

    TicketSettings.load()  # the first read creates the row
    field("order")
    one = queries_for(head_client, SETTINGS)
    for index in range(9):
        field(f"field{index}")
    config_services.resolution_code_create(actor=head, name="Ещё один код")

    with django_assert_num_queries(one):
        head_client.get(SETTINGS)


def test_a_head_adds_a_choice_field_for_a_category(head_client: Client, category: Category) -> None:
    response = head_client.post(
        f"{SETTINGS}fields/new/",
        {
            "code": "onec_version",
            "label": "Версия 1С",
            "kind": "choice",
            "options": "8.3.24\n\n 8.3.25 ",
            "categories": [category.pk],
            "required_to_resolve": "on",
            "position": "1",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    custom = CustomField.objects.get()
    assert custom.option_list == ["8.3.24", "8.3.25"]
    assert list(custom.categories.all()) == [category]
    assert custom.required_to_resolve is True
    assert "Версия 1С" in head_client.get(SETTINGS).content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "choice", "options": ""}, "options"),
        ({"code": "номер заказа"}, "code"),
        ({"label": ""}, "label"),
    ],
)
def test_a_bad_custom_field_is_refused(
    head_client: Client, data: dict[str, str], field: str
) -> None:
    form = {"code": "order", "label": "Номер заказа", "kind": "text", "position": "0"}
    form.update(data)

    response = head_client.post(f"{SETTINGS}fields/new/", form)

    assert response.status_code == 200
    assert field_errors(response, field)
    assert not CustomField.objects.exists()


def test_a_fields_code_is_fixed_and_its_kind_too_once_tickets_hold_values(
    head_client: Client, head: User, ticket: Ticket
) -> None:
    custom = config_services.custom_field_create(
        actor=head, code="order", label="Заказ", kind="text"
    )
    url = f"{SETTINGS}fields/{custom.pk}/"
    assert "code" not in head_client.get(url).context["form"].fields
    data = {"label": "Номер заказа", "kind": "text", "position": "0", "is_active": "on"}

    head_client.post(url, {**data, "code": "other"})
    custom.refresh_from_db()
    assert (custom.code, custom.label) == ("order", "Номер заказа")

    services.ticket_set_custom_fields(ticket=ticket, actor=head, values={"order": "A-1"})
    response = head_client.post(url, {**data, "kind": "number"})

    assert response.status_code == 200
    assert field_errors(response, "kind")
    custom.refresh_from_db()
    assert custom.kind == "text"


def test_a_head_adds_renames_and_deactivates_a_resolution_code(head_client: Client) -> None:
    before = ResolutionCode.objects.count()

    response = head_client.post(
        f"{SETTINGS}resolutions/new/", {"name": "Обучение", "name_en": "Training"}
    )

    assert response.status_code == 302
    assert ResolutionCode.objects.count() == before + 1
    code = ResolutionCode.objects.get(name="Обучение")
    assert (
        code.position > ResolutionCode.objects.exclude(pk=code.pk).order_by("-position")[0].position
    )

    head_client.post(
        f"{SETTINGS}resolutions/{code.pk}/",
        {"name": "Обучение клиента", "name_en": "Training", "position": "3"},
    )

    code.refresh_from_db()
    assert (code.name, code.position, code.is_active) == ("Обучение клиента", 3, False)


def test_a_duplicate_resolution_code_is_refused(head_client: Client) -> None:
    before = ResolutionCode.objects.count()

    response = head_client.post(f"{SETTINGS}resolutions/new/", {"name": "Дубликат"})

    assert response.status_code == 200
    assert response.context["resolution_form"].errors["name"]
    assert ResolutionCode.objects.count() == before


def test_the_last_active_resolution_code_stays_while_one_is_required(
    head_client: Client,
) -> None:
    last = ResolutionCode.objects.order_by("position").first()
    assert last is not None
    ResolutionCode.objects.exclude(pk=last.pk).update(is_active=False)

    response = head_client.post(
        f"{SETTINGS}resolutions/{last.pk}/", {"name": last.name, "position": "1"}
    )

    assert response.status_code == 200
    assert field_errors(response, "is_active")
    last.refresh_from_db()
    assert last.is_active is True


# --- Blocked senders -----------------------------------------------------------

BLOCKED = "/tickets/settings/blocked/"


def test_a_lead_blocks_and_unblocks_a_sender(lead_client: Client, lead: User) -> None:
    response = lead_client.post(
        f"{BLOCKED}new/", {"pattern": " @Spam.example ", "reason": "Рассылка"}
    )

    assert response.status_code == 302
    blocked = BlockedSender.objects.get()
    assert (blocked.pattern, blocked.created_by) == ("@spam.example", lead)
    assert "@spam.example" in lead_client.get(BLOCKED).content.decode()

    lead_client.post(f"{BLOCKED}{blocked.pk}/delete/")

    assert not BlockedSender.objects.exists()


def test_a_bad_pattern_is_refused(lead_client: Client) -> None:
    response = lead_client.post(f"{BLOCKED}new/", {"pattern": "not an address"})

    assert response.status_code == 200
    assert field_errors(response, "pattern")
    assert not BlockedSender.objects.exists()


def test_the_blocked_list_costs_the_same_queries_for_1_or_10(
    lead_client: Client, lead: User, django_assert_num_queries: CountQueries
) -> None:
    services.sender_block(pattern="a@spam.example", actor=lead)
    one = queries_for(lead_client, BLOCKED)
    for index in range(9):
        services.sender_block(pattern=f"@spam{index}.example", actor=lead)

    with django_assert_num_queries(one):
        lead_client.get(BLOCKED)


def test_an_operator_cannot_block_senders(operator_client: Client) -> None:
    assert operator_client.get(BLOCKED).status_code == 403
    assert operator_client.post(f"{BLOCKED}new/", {"pattern": "@x.example"}).status_code == 403
    assert not BlockedSender.objects.exists()


# --- Navigation ----------------------------------------------------------------


def test_the_navigation_offers_each_role_its_settings_and_marks_the_current_one(
    operator_client: Client, head_client: Client
) -> None:
    operator_nav = {item["url"] for item in operator_client.get("/").context["nav_items"]}
    head_nav = head_client.get(RULES).context["nav_items"]

    assert MACROS in operator_nav
    assert RULES not in operator_nav
    assert SETTINGS not in operator_nav
    assert {MACROS, RULES, ASSIGNMENT, SETTINGS} <= {item["url"] for item in head_nav}
    assert [item["url"] for item in head_nav if item["current"]] == [RULES]


def test_resolution_codes_cannot_be_required_when_none_is_active(head_client: Client) -> None:
    settings = TicketSettings.load()
    settings.require_resolution_to_resolve = False
    settings.save()
    ResolutionCode.objects.update(is_active=False)

    response = head_client.post(SETTINGS, settings_data())

    assert response.status_code == 200
    assert field_errors(response, "require_resolution_to_resolve")
    assert TicketSettings.load().require_resolution_to_resolve is False


# --- Refusals, all in one place ------------------------------------------------


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("lead", "/tickets/settings/fields/new/"),
        ("lead", "/tickets/settings/resolutions/new/"),
        ("lead", "/tickets/settings/resolutions/{code}/"),
        ("operator", "/tickets/settings/rules/new/"),
        ("operator", "/tickets/settings/assignment/operators/{operator}/"),
        ("operator", "/tickets/settings/blocked/new/"),
        ("viewer", "/tickets/settings/macros/new/"),
    ],
)
def test_each_change_is_refused_to_a_role_without_the_capability(
    who: str,
    path: str,
    lead_client: Client,
    operator_client: Client,
    viewer_client: Client,
    operator: User,
) -> None:
    clients = {"lead": lead_client, "operator": operator_client, "viewer": viewer_client}
    code = ResolutionCode.objects.order_by("position").first()
    assert code is not None
    url = path.format(code=code.pk, operator=operator.pk)
    audit_before = AuditEntry.objects.count()

    response = clients[who].post(
        url, {"name": "x", "code": "x", "label": "x", "kind": "text", "pattern": "@x.example"}
    )

    assert response.status_code == 403
    assert AuditEntry.objects.count() == audit_before
