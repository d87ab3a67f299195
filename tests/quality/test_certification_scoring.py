"""Pure certification scoring: rules, rounding, stable order, states (with hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from opora.quality.certification.scoring import (
    LATE_GRACE,
    PaperChoice,
    PaperQuestion,
    assignment_state,
    is_late,
    is_pass,
    percent,
    question_correct,
    score_paper,
    stable_order,
)


def _question(
    qid: int, kind: str, correct: list[int], wrong: list[int], points: int = 1
) -> PaperQuestion:
    choices = tuple(PaperChoice(id=c, text=str(c), is_correct=True) for c in correct) + tuple(
        PaperChoice(id=c, text=str(c), is_correct=False) for c in wrong
    )
    return PaperQuestion(
        id=qid, text="?", kind=kind, points=points, article_id=None, choices=choices
    )


def test_a_single_choice_question_counts_only_with_the_correct_option() -> None:
    assert question_correct("single", frozenset({1}), frozenset({1}))
    assert not question_correct("single", frozenset({1}), frozenset({2}))
    assert not question_correct("single", frozenset({1}), frozenset({1, 2}))
    assert not question_correct("single", frozenset({1}), frozenset())


def test_a_multiple_choice_question_counts_only_for_exactly_the_correct_set() -> None:
    correct = frozenset({1, 2})
    assert question_correct("multiple", correct, frozenset({1, 2}))
    assert not question_correct("multiple", correct, frozenset({1}))
    assert not question_correct("multiple", correct, frozenset({1, 2, 3}))


def test_it_scores_points_earned_over_points_total() -> None:
    paper = [
        _question(1, "single", [10], [11], points=1),
        _question(2, "multiple", [20, 21], [22], points=3),
    ]
    score = score_paper(paper, {1: [10], 2: [20]}, pass_mark=25)
    assert (score.earned, score.total, score.percent, score.passed) == (1, 4, Decimal("25.0"), True)
    score = score_paper(paper, {2: [21, 20]}, pass_mark=80)
    assert (score.earned, score.percent, score.passed) == (3, Decimal("75.0"), False)
    assert [r.correct for r in score.results] == [False, True]


def test_the_percentage_is_rounded_down_so_it_never_shows_a_pass_that_failed() -> None:
    assert percent(2, 3) == Decimal("66.6")
    assert percent(7999, 10000) == Decimal("79.9")
    assert not is_pass(7999, 10000, 80)
    assert is_pass(8, 10, 80)


def test_late_means_after_the_limit_and_the_grace() -> None:
    due = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    assert not is_late(None, due)
    assert not is_late(due, due + LATE_GRACE)
    assert is_late(due, due + LATE_GRACE + dt.timedelta(seconds=1))


def test_an_open_assignment_past_its_deadline_reads_overdue() -> None:
    today = dt.date(2026, 3, 2)
    assert assignment_state("assigned", dt.date(2026, 3, 1), today) == "overdue"
    assert assignment_state("failed", dt.date(2026, 3, 1), today) == "overdue"
    assert assignment_state("assigned", today, today) == "assigned"
    assert assignment_state("passed", dt.date(2026, 3, 1), today) == "passed"


@given(st.integers(0, 500), st.integers(1, 500), st.integers(1, 100))
def test_passing_agrees_with_the_shown_percentage(earned: int, total: int, mark: int) -> None:
    earned = min(earned, total)
    shown = percent(earned, total)
    assert Decimal(0) <= shown <= Decimal(100)
    assert is_pass(earned, total, mark) == (shown >= mark)


@given(
    st.lists(
        st.tuples(st.sampled_from(["single", "multiple"]), st.integers(1, 5)),
        min_size=1,
        max_size=8,
    )
)
def test_the_right_answers_always_score_full_marks(specs: list[tuple[str, int]]) -> None:
    paper = [
        _question(
            i,
            kind,
            [i * 10 + 1] if kind == "single" else [i * 10 + 1, i * 10 + 2],
            [i * 10 + 3],
            points,
        )
        for i, (kind, points) in enumerate(specs)
    ]
    score = score_paper(paper, {q.id: sorted(q.correct_ids) for q in paper}, pass_mark=100)
    assert score.percent == Decimal("100.0") and score.passed
    nothing = score_paper(paper, {}, pass_mark=1)
    assert nothing.earned == 0 and not nothing.passed


@given(st.lists(st.integers(), unique=True, max_size=30), st.text(max_size=10))
def test_the_order_of_questions_is_a_stable_permutation(ids: list[int], seed: str) -> None:
    order = stable_order(ids, seed)
    assert sorted(order) == sorted(ids)
    assert stable_order(ids, seed) == order
