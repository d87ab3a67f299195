"""Certification screens through HTTP: allowed, 403, 404, bad input, query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opora.accounts.models import User
from opora.quality.certification import services
from opora.quality.models import Assignment, Attempt, CertificationTest
from tests.quality.certification_factories import (
    make_article,
    make_assignment,
    make_test,
    right_answers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_(lead: User) -> CertificationTest:
    return make_test(lead, article=make_article(lead))


@pytest.fixture
def assignment(test_: CertificationTest, operator: User, lead: User) -> Assignment:
    return make_assignment(test_, operator, lead)


@pytest.fixture
def other_client(other_operator: User) -> Client:
    client = Client()
    client.force_login(other_operator, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _editor_post(**overrides: str) -> dict[str, str]:
    data = {
        "action": "save",
        "title": "Короткий тест",
        "pass_mark": "80",
        "attempts_allowed": "2",
        "time_limit_minutes": "",
        "is_active": "on",
        "q-0-text": "Сколько минут на первый ответ по экстренной заявке?",
        "q-0-kind": "single",
        "q-0-points": "1",
        "q-0-c-0-text": "15",
        "q-0-c-0-correct": "1",
        "q-0-c-1-text": "60",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- Managers' screens ------------------------------------------------------------------------


def test_the_tests_list_is_for_managers(
    lead_client: Client,
    operator_client: Client,
    viewer_client: Client,
    test_: CertificationTest,
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse("quality:certification-tests")
    with django_assert_max_num_queries(6):
        response = lead_client.get(url)
    assert response.status_code == 200
    assert "Аттестация: SLA" in response.content.decode()
    assert operator_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403


def test_a_lead_creates_a_test_in_the_editor(lead_client: Client, operator_client: Client) -> None:
    url = reverse("quality:certification-test-new")
    assert lead_client.get(url).status_code == 200
    assert operator_client.post(url, _editor_post()).status_code == 403
    assert CertificationTest.objects.count() == 0
    response = lead_client.post(url, _editor_post())
    test = CertificationTest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("quality:certification-test-results", args=[test.pk])
    question = test.questions.get()
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [("15", True), ("60", False)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"q-0-text": "", "q-0-c-0-text": "", "q-0-c-0-correct": "", "q-0-c-1-text": ""},
            "хотя бы один вопрос",
        ),
        ({"q-0-c-0-correct": ""}, "не отмечен правильный ответ"),
        ({"pass_mark": "0"}, "от 1 до 100"),
        ({"pass_mark": "150"}, "от 1 до 100"),
        ({"q-0-points": "много"}, "целым числом"),
    ],
)
def test_the_editor_shows_what_is_wrong_and_saves_nothing(
    lead_client: Client, overrides: dict[str, str], message: str
) -> None:
    response = lead_client.post(
        reverse("quality:certification-test-new"), _editor_post(**overrides)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="test-errors"' in html
    assert message in html
    assert CertificationTest.objects.count() == 0


def test_the_editor_adds_and_removes_rows_without_saving(lead_client: Client) -> None:
    url = reverse("quality:certification-test-new")
    response = lead_client.post(url, _editor_post(action="add_question"))
    assert 'name="q-1-text"' in response.content.decode()
    response = lead_client.post(url, _editor_post(action="add_choice:0"))
    assert 'name="q-0-c-2-text"' in response.content.decode()
    response = lead_client.post(url, _editor_post(action="remove_choice:0:1"))
    assert 'name="q-0-c-1-text"' not in response.content.decode()
    assert CertificationTest.objects.count() == 0


def test_the_editor_finds_published_articles_by_title(lead_client: Client, lead: User) -> None:
    article = make_article(lead, title="Эскалация во вторую линию")
    make_article(lead, title="Эскалация: черновик", status="draft")
    response = lead_client.post(
        reverse("quality:certification-test-new"),
        _editor_post(action="search", article_query="эскалац"),
    )
    html = response.content.decode()
    assert "Эскалация во вторую линию" in html and "черновик" not in html
    lead_client.post(
        reverse("quality:certification-test-new"), _editor_post(articles=str(article.pk))
    )
    assert list(CertificationTest.objects.get().articles.all()) == [article]


def test_a_lead_edits_a_test(lead_client: Client, test_: CertificationTest) -> None:
    url = reverse("quality:certification-test-edit", args=[test_.pk])
    page = lead_client.get(url).content.decode()
    assert "Время первого ответа" in page
    assert lead_client.post(url, _editor_post(title="Новое имя")).status_code == 302
    test_.refresh_from_db()
    assert test_.title == "Новое имя"
    missing = reverse("quality:certification-test-edit", args=[test_.pk + 100])
    assert lead_client.get(missing).status_code == 404


def test_a_lead_assigns_a_test_with_a_deadline(
    lead_client: Client,
    operator_client: Client,
    test_: CertificationTest,
    operator: User,
    mailoutbox: list[Any],
) -> None:
    url = reverse("quality:certification-test-assign", args=[test_.pk])
    assert lead_client.get(url).status_code == 200
    assert operator_client.get(url).status_code == 403
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = lead_client.post(url, {"operators": [operator.pk], "deadline": past})
    assert response.status_code == 200
    assert "не может быть в прошлом" in response.content.decode()
    assert Assignment.objects.count() == 0
    soon = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = lead_client.post(url, {"operators": [operator.pk], "deadline": soon})
    assert response.status_code == 302
    assert Assignment.objects.get().operator == operator
    assert [m.to[0] for m in mailoutbox] == [operator.email]
    missing = reverse("quality:certification-test-assign", args=[test_.pk + 100])
    assert lead_client.get(missing).status_code == 404


def test_results_of_a_test_show_everyone_assigned(
    lead_client: Client,
    operator_client: Client,
    assignment: Assignment,
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse("quality:certification-test-results", args=[assignment.test_id])
    with django_assert_max_num_queries(10):
        response = lead_client.get(url)
    assert "Иван Операторов" in response.content.decode()
    assert operator_client.get(url).status_code == 403
    missing = reverse("quality:certification-test-results", args=[assignment.test_id + 100])
    assert lead_client.get(missing).status_code == 404


def test_the_matrix_shows_the_leads_team_by_default(
    lead_client: Client,
    head_client: Client,
    operator_client: Client,
    assignment: Assignment,
    other_operator: User,
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse("quality:certification-matrix")
    with django_assert_max_num_queries(8):
        html = lead_client.get(url).content.decode()
    assert "Иван Операторов" in html and "Пётр Другой" not in html
    assert "Пётр Другой" in lead_client.get(url, {"team": "all"}).content.decode()
    assert "Пётр Другой" in head_client.get(url).content.decode()
    assert operator_client.get(url).status_code == 403
    assert lead_client.get(url, {"team": "999"}).status_code == 404


def test_the_matrix_costs_the_same_for_more_operators(
    lead_client: Client,
    lead: User,
    test_: CertificationTest,
    first_line: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from tests.factories import UserFactory

    for _ in range(6):
        make_assignment(test_, UserFactory(team=first_line), lead)
    with django_assert_max_num_queries(8):
        assert lead_client.get(reverse("quality:certification-matrix")).status_code == 200


def test_an_operators_history_is_for_managers(
    lead_client: Client, operator_client: Client, assignment: Assignment
) -> None:
    url = reverse("quality:certification-operator", args=[assignment.operator_id])
    assert "Аттестация: SLA" in lead_client.get(url).content.decode()
    assert operator_client.get(url).status_code == 403
    assert (
        lead_client.get(reverse("quality:certification-operator", args=[99999])).status_code == 404
    )


# --- The operator's side ------------------------------------------------------------------------


def test_my_certification_lists_only_my_tests(
    operator_client: Client,
    other_client: Client,
    viewer_client: Client,
    assignment: Assignment,
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse("quality:certification-mine")
    with django_assert_max_num_queries(10):
        html = operator_client.get(url).content.decode()
    assert "Аттестация: SLA" in html and "Приоритеты заявок" in html
    assert "Аттестация: SLA" not in other_client.get(url).content.decode()
    assert viewer_client.get(url).status_code == 403


def test_an_assignment_is_seen_only_by_its_operator(
    operator_client: Client,
    other_client: Client,
    lead_client: Client,
    viewer_client: Client,
    assignment: Assignment,
) -> None:
    url = reverse("quality:certification-assignment", args=[assignment.pk])
    assert operator_client.get(url).status_code == 200
    assert other_client.get(url).status_code == 404
    assert lead_client.get(url).status_code == 404
    assert viewer_client.get(url).status_code == 403


def test_taking_a_test_end_to_end(
    operator_client: Client, other_client: Client, assignment: Assignment
) -> None:
    start = reverse("quality:certification-start", args=[assignment.pk])
    assert other_client.post(start).status_code == 404
    response = operator_client.post(start)
    attempt = Attempt.objects.get()
    take = reverse("quality:certification-take", args=[attempt.pk])
    assert response["Location"] == take
    page = operator_client.get(take)
    html = page.content.decode()
    assert "15 минут" in html and "is_correct" not in html
    for question in page.context["questions"]:
        assert all(set(choice) == {"id", "text", "checked"} for choice in question["choices"])
    assert other_client.get(take).status_code == 404
    data = {f"q-{qid}": ids for qid, ids in right_answers(attempt.paper).items()}
    response = operator_client.post(take, data)
    result = reverse("quality:certification-attempt", args=[attempt.pk])
    assert response["Location"] == result
    html = operator_client.get(result).content.decode()
    assert "100,0%" in html or "100.0%" in html
    assert other_client.get(result).status_code == 404
    again = operator_client.post(take, {}, follow=True)
    assert "уже отправлена" in again.content.decode()
    attempt.refresh_from_db()
    assert attempt.passed is True


def test_the_answer_sheet_refuses_a_choice_of_another_question(
    operator_client: Client, operator: User, assignment: Assignment
) -> None:
    attempt = services.attempt_start(actor=operator, assignment=assignment)
    first, second = attempt.paper
    take = reverse("quality:certification-take", args=[attempt.pk])
    response = operator_client.post(take, {f"q-{first['id']}": second["choices"][0]["id"]})
    assert response.status_code == 400
    assert "не относится к своему вопросу" in response.content.decode()
    response = operator_client.post(take, {f"q-{first['id']}": "x"})
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.finished_at is None


def test_starting_after_the_deadline_is_refused_with_a_message(
    operator_client: Client, operator: User, lead: User, test_: CertificationTest
) -> None:
    assignment = make_assignment(test_, operator, lead, days=0)
    Assignment.objects.filter(pk=assignment.pk).update(
        deadline=timezone.localdate() - dt.timedelta(days=1)
    )
    response = operator_client.post(
        reverse("quality:certification-start", args=[assignment.pk]), follow=True
    )
    assert "Срок сдачи этого теста истёк" in response.content.decode()
    assert Attempt.objects.count() == 0


def test_the_result_shows_the_article_to_study_and_the_key_only_to_managers(
    operator_client: Client, lead_client: Client, operator: User, assignment: Assignment
) -> None:
    attempt = services.attempt_start(actor=operator, assignment=assignment)
    services.attempt_submit(actor=operator, attempt=attempt, answers={})
    url = reverse("quality:certification-attempt", args=[attempt.pk])
    mine = operator_client.get(url).content.decode()
    assert "Приоритеты заявок" in mine and "✓ " not in mine
    assert "cert-answer-right" in lead_client.get(url).content.decode()
    assert (
        lead_client.get(
            reverse("quality:certification-attempt", args=[attempt.pk + 100])
        ).status_code
        == 404
    )


def test_a_timed_attempt_shows_a_countdown_from_the_server(
    operator_client: Client, operator: User, lead: User
) -> None:
    test = make_test(lead, title="На время", time_limit_minutes=10)
    attempt = services.attempt_start(
        actor=operator, assignment=make_assignment(test, operator, lead)
    )
    html = operator_client.get(
        reverse("quality:certification-take", args=[attempt.pk])
    ).content.decode()
    assert 'data-cert-remaining="' in html and "certification.js" in html
