"""The demo's certification: idempotent, with every kind of result, with or without KB articles."""

from __future__ import annotations

import pytest

from opora.accounts.demo import seed_accounts
from opora.accounts.models import User
from opora.quality.certification.demo import SLA_TITLE, seed_certification
from opora.quality.certification.selectors import certification_status
from opora.quality.models import Assignment, Attempt, CertificationTest
from tests.quality.certification_factories import make_article

pytestmark = pytest.mark.django_db


def _states() -> dict[str, list[str]]:
    people = {u.pk: u.email for u in User.objects.filter(role=User.Role.OPERATOR)}
    status = certification_status(operator_ids=list(people))
    return {people[pk]: sorted(s.status for s in states) for pk, states in status.items()}


def test_the_demo_has_passed_failed_overdue_and_not_started_and_runs_twice() -> None:
    seed_accounts()
    seed_certification()
    seed_certification()
    test = CertificationTest.objects.get(title=SLA_TITLE)
    assert test.questions.count() == 8 and test.pass_mark == 80
    assert test.articles.count() == 0
    assert _states() == {
        "operator@opora.demo": ["assigned", "passed"],
        "sokolova@opora.demo": ["failed"],
        "lebedev@opora.demo": ["overdue"],
    }
    maria = Assignment.objects.get(operator__email="sokolova@opora.demo")
    assert maria.attempts.count() == 1 and maria.test.attempts_allowed == 2
    assert Attempt.objects.count() == 2


def test_the_demo_links_published_articles_by_topic() -> None:
    seed_accounts()
    lead = User.objects.get(email="lead@opora.demo")
    sla = make_article(lead, title="Сроки SLA по типам заявок")
    escalation = make_article(lead, title="Эскалация на вторую линию")
    seed_certification()
    test = CertificationTest.objects.get(title=SLA_TITLE)
    assert set(test.articles.all()) == {sla, escalation}
    assert {q.article_id for q in test.questions.all()} == {sla.pk, escalation.pk}
