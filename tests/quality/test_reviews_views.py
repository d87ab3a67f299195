"""QA screens through HTTP: allowed, forbidden (403), outsiders (404), bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from opora.accounts.models import User
from opora.quality.models import CalibrationSession, Dispute, Review, Scorecard
from opora.quality.reviews import services
from tests.quality.test_reviews_helpers import (
    criteria_of,
    make_ticket,
    scorecard,
    submitted_review,
)

__all__ = ["scorecard"]


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def review(scorecard: Scorecard, lead: User, operator: User) -> Review:
    return submitted_review(lead, operator, scorecard)


def test_review_pages_by_role(
    review: Review, lead: User, head: User, operator: User, other_operator: User, viewer: User
) -> None:
    url = reverse("quality:review-detail", args=[review.pk])
    assert client_for(lead).get(url).status_code == 200
    assert client_for(head).get(url).status_code == 200
    page = client_for(operator).get(url)
    assert page.status_code == 200
    assert "Не выгружаются заказы" in page.content.decode()
    assert client_for(other_operator).get(url).status_code == 404
    assert client_for(viewer).get(url).status_code == 403


def test_an_operator_lists_only_their_own_reviews(
    review: Review,
    scorecard: Scorecard,
    lead: User,
    operator: User,
    other_operator: User,
    django_assert_max_num_queries: Any,
) -> None:
    others = submitted_review(lead, other_operator, scorecard)
    url = reverse("quality:review-list")
    client = client_for(operator)
    with django_assert_max_num_queries(4):
        page = client.get(url).content.decode()
    assert f"review-{review.pk}" in page
    assert f"review-{others.pk}" not in page
    everything = client_for(lead).get(url, {"disputed": ""}).content.decode()
    assert f"review-{review.pk}" in everything and f"review-{others.pk}" in everything
    only_other = client_for(lead).get(url, {"operator": other_operator.pk}).content.decode()
    assert f"review-{review.pk}" not in only_other


def test_my_quality_shows_the_operators_iqs(review: Review, operator: User, viewer: User) -> None:
    page = client_for(operator).get(reverse("quality:review-mine"))
    assert page.status_code == 200
    assert "91,67" in page.content.decode() or "91.67" in page.content.decode()
    assert client_for(viewer).get(reverse("quality:review-mine")).status_code == 403


def test_the_lead_reviews_a_ticket_from_start_to_submit(
    scorecard: Scorecard, lead: User, operator: User
) -> None:
    ticket = make_ticket(assignee=operator)
    client = client_for(lead)
    response = client.post(
        reverse("quality:review-start", args=[ticket.number]), {"scorecard": scorecard.pk}
    )
    review = Review.objects.get(ticket=ticket)
    assert response.url == reverse("quality:review-edit", args=[review.pk])
    form = client.get(response.url)
    assert form.status_code == 200
    assert "Заказы не выгружаются." in form.content.decode()  # the conversation beside the form
    c = criteria_of(scorecard)
    answers = {
        f"c{c['Поздоровался'].pk}": "1",
        f"c{c['Тон вежливый'].pk}": "5",
        f"c{c['Ответ корректен'].pk}": "1",
        f"c{c['Ссылка на базу знаний'].pk}": "na",
    }
    live = client.post(reverse("quality:review-score", args=[review.pk]), answers)
    assert 'id="live-score-value">100<' in live.content.decode()
    response = client.post(response.url, {**answers, "comment": "Отлично", "submit": "1"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, str(review.score)) == ("submitted", "100.00")
    # The ticket page links back to the review.
    assert client.get(reverse("quality:review-start", args=[ticket.number])).url == reverse(
        "quality:review-detail", args=[review.pk]
    )


def test_bad_answers_are_refused_with_the_form_kept(
    scorecard: Scorecard, head: User, lead: User, operator: User
) -> None:
    from tests.quality.test_reviews_helpers import make_scorecard

    review = services.review_start(
        actor=lead, ticket=make_ticket(assignee=operator), scorecard=scorecard
    )
    url = reverse("quality:review-edit", args=[review.pk])
    c = criteria_of(scorecard)
    client = client_for(lead)
    missing = client.post(url, {f"c{c['Поздоровался'].pk}": "1", "submit": "1"})
    assert missing.status_code == 400
    assert "«Тон вежливый»" in missing.content.decode()
    out_of_range = client.post(url, {f"c{c['Тон вежливый'].pk}": "9", "save": "1"})
    assert out_of_range.status_code == 400
    assert (
        "9 is not a valid answer" in out_of_range.content.decode()
        or "9" in out_of_range.content.decode()
    )
    other = make_scorecard(head, "Другая")
    foreign = client.post(url, {f"c{next(iter(criteria_of(other).values())).pk}": "1", "save": "1"})
    assert foreign.status_code == 400
    garbage = client.post(url, {f"c{c['Тон вежливый'].pk}": "много", "save": "1"})
    assert garbage.status_code == 400
    review.refresh_from_db()
    assert review.status == "draft" and not review.answers.exists()


def test_the_review_form_is_for_its_reviewer_only(
    scorecard: Scorecard, lead: User, head: User, operator: User, other_operator: User
) -> None:
    review = services.review_start(
        actor=lead, ticket=make_ticket(assignee=operator), scorecard=scorecard
    )
    url = reverse("quality:review-edit", args=[review.pk])
    assert client_for(lead).get(url).status_code == 200
    assert client_for(head).get(url).status_code == 403
    assert client_for(operator).get(url).status_code == 403
    assert (
        client_for(operator).get(reverse("quality:review-detail", args=[review.pk])).status_code
        == 404
    )
    assert (
        client_for(other_operator)
        .post(reverse("quality:review-score", args=[review.pk]))
        .status_code
        == 403
    )


def test_the_operator_comments_disputes_and_the_lead_resolves(
    review: Review, lead: User, operator: User, other_operator: User
) -> None:
    operator_client = client_for(operator)
    comment = operator_client.post(
        reverse("quality:review-comment", args=[review.pk]), {"text": "Почему?"}
    )
    assert comment.status_code == 302
    empty = operator_client.post(
        reverse("quality:review-comment", args=[review.pk]), {"text": "  "}
    )
    assert empty.status_code == 400
    assert (
        client_for(other_operator)
        .post(reverse("quality:review-dispute", args=[review.pk]), {"reason": "Чужое"})
        .status_code
        == 404
    )
    assert (
        operator_client.post(
            reverse("quality:review-dispute", args=[review.pk]), {"reason": "Не согласен"}
        ).status_code
        == 302
    )
    second = operator_client.post(
        reverse("quality:review-dispute", args=[review.pk]), {"reason": "Ещё"}
    )
    assert second.status_code == 400
    assert Dispute.objects.count() == 1
    dispute = Dispute.objects.get()
    resolve = reverse("quality:review-dispute-resolve", args=[dispute.pk])
    assert operator_client.post(resolve, {"decision": "uphold"}).status_code == 403
    no_note = client_for(lead).post(resolve, {"decision": "reject", "note": ""})
    assert no_note.status_code == 400
    assert client_for(lead).post(resolve, {"decision": "uphold"}).url == reverse(
        "quality:review-edit", args=[review.pk]
    )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.UPHELD


def test_the_sample_page(
    scorecard: Scorecard,
    lead: User,
    operator: User,
    viewer: User,
    django_assert_max_num_queries: Any,
) -> None:
    ticket = make_ticket(assignee=operator)
    url = reverse("quality:review-sample")
    client = client_for(lead)
    with django_assert_max_num_queries(14):
        page = client.get(url)
    assert ticket.reference in page.content.decode()
    assert client_for(operator).get(url).status_code == 403
    bad = client_for(lead).get(
        url,
        {
            "start": "2026-05-10",
            "end": "2026-05-01",
            "kind": "random",
            "per_operator": 3,
            "scorecard": scorecard.pk,
        },
    )
    assert bad.status_code == 200
    assert "ends before it starts" in bad.content.decode() or "раньше" in bad.content.decode()


def test_scorecard_editor(head: User, lead: User, django_assert_max_num_queries: Any) -> None:
    client = client_for(head)
    assert client.get(reverse("quality:scorecard-create")).status_code == 200
    assert client_for(lead).get(reverse("quality:scorecard-list")).status_code == 403
    base = {
        "name": "Чат",
        "is_active": "on",
        "cats": "1",
        "cat-0-name": "Тон",
        "cat-0-count": "1",
        "crit-0-0-text": "Вежлив",
        "crit-0-0-kind": "yes_no",
        "crit-0-0-weight": "2",
        "crit-0-0-scale_max": "5",
    }
    added = client.post(reverse("quality:scorecard-create"), {**base, "action": "add-0"})
    assert added.status_code == 200 and not Scorecard.objects.exists()
    assert 'name="crit-0-1-text"' in added.content.decode()
    zero = client.post(
        reverse("quality:scorecard-create"), {**base, "crit-0-0-weight": "0", "action": "save"}
    )
    assert zero.status_code == 400 and not Scorecard.objects.exists()
    empty = client.post(
        reverse("quality:scorecard-create"), {**base, "crit-0-0-text": "", "action": "save"}
    )
    assert empty.status_code == 400 and not Scorecard.objects.exists()
    saved = client.post(reverse("quality:scorecard-create"), {**base, "action": "save"})
    scorecard = Scorecard.objects.get()
    assert saved.url == reverse("quality:scorecard-edit", args=[scorecard.pk])
    assert [c.weight for c in services.scorecard_criteria(scorecard)] == [2]
    with django_assert_max_num_queries(4):
        assert client.get(reverse("quality:scorecard-list")).status_code == 200
    assert client.get(reverse("quality:scorecard-edit", args=[9999])).status_code == 404


def test_calibration_pages(
    scorecard: Scorecard,
    lead: User,
    head: User,
    operator: User,
    django_assert_max_num_queries: Any,
) -> None:
    ticket = make_ticket(assignee=operator)
    client = client_for(head)
    assert client_for(operator).get(reverse("quality:calibration-list")).status_code == 403
    bad = client.post(
        reverse("quality:calibration-create"),
        {"ticket": 1, "scorecard": scorecard.pk, "reviewers": [head.pk]},
    )
    assert bad.status_code == 400 and not CalibrationSession.objects.exists()
    created = client.post(
        reverse("quality:calibration-create"),
        {"ticket": ticket.number, "scorecard": scorecard.pk, "reviewers": [head.pk, lead.pk]},
    )
    session = CalibrationSession.objects.get()
    assert created.url == reverse("quality:calibration-detail", args=[session.pk])
    started = client.post(reverse("quality:calibration-review", args=[session.pk]))
    head_review = Review.objects.get(calibration=session, reviewer=head)
    assert started.url == reverse("quality:review-edit", args=[head_review.pk])
    c = criteria_of(scorecard)
    answers = {
        f"c{c['Поздоровался'].pk}": "1",
        f"c{c['Тон вежливый'].pk}": "3",
        f"c{c['Ответ корректен'].pk}": "1",
        f"c{c['Ссылка на базу знаний'].pk}": "na",
        "submit": "1",
    }
    client.post(started.url, answers)
    # The lead has not scored yet: the head's answers stay hidden from them.
    assert (
        client_for(lead).get(reverse("quality:review-detail", args=[head_review.pk])).status_code
        == 404
    )
    detail = client.get(reverse("quality:calibration-detail", args=[session.pk])).content.decode()
    assert 'id="spread-table"' not in detail
    client.post(reverse("quality:calibration-close", args=[session.pk]))
    detail = client.get(reverse("quality:calibration-detail", args=[session.pk])).content.decode()
    assert 'id="spread-table"' in detail
    with django_assert_max_num_queries(5):
        assert client.get(reverse("quality:calibration-list")).status_code == 200


def test_the_ticket_page_offers_a_review_to_reviewers_only(lead: User, operator: User) -> None:
    ticket = make_ticket(assignee=operator)
    url = reverse("tickets:detail", args=[ticket.number])
    assert 'id="review-this-ticket"' in client_for(lead).get(url).content.decode()
    assert 'id="review-this-ticket"' not in client_for(operator).get(url).content.decode()
