"""Certification scoring: pure functions, no ORM (unit- and property-tested).

Rules:
- a single-choice question earns its points when the one correct option is chosen;
- a multiple-choice question earns its points only when exactly the correct set is
  chosen (no partial credit: a missed or an extra option is a wrong answer);
- an unanswered question earns nothing;
- score = earned / total × 100, rounded DOWN to one decimal, so a shown «80.0»
  never hides a 79.96 that failed; passed when earned × 100 ≥ pass mark × total.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

SINGLE = "single"
MULTIPLE = "multiple"

# Network and a slow click: a submission this soon after the time limit is on time.
LATE_GRACE = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class PaperChoice:
    id: int
    text: str
    is_correct: bool


@dataclass(frozen=True)
class PaperQuestion:
    """A question as it was shown in one attempt (the attempt's own copy)."""

    id: int
    text: str
    kind: str
    points: int
    article_id: int | None
    choices: tuple[PaperChoice, ...]

    @property
    def correct_ids(self) -> frozenset[int]:
        return frozenset(c.id for c in self.choices if c.is_correct)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "points": self.points,
            "article_id": self.article_id,
            "choices": [
                {"id": c.id, "text": c.text, "is_correct": c.is_correct} for c in self.choices
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PaperQuestion:
        return cls(
            id=int(data["id"]),
            text=str(data["text"]),
            kind=str(data["kind"]),
            points=int(data["points"]),
            article_id=data.get("article_id"),
            choices=tuple(
                PaperChoice(id=int(c["id"]), text=str(c["text"]), is_correct=bool(c["is_correct"]))
                for c in data["choices"]
            ),
        )


@dataclass(frozen=True)
class QuestionResult:
    question_id: int
    chosen: frozenset[int]
    correct: bool
    earned: int
    points: int

    def to_json(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "chosen": sorted(self.chosen),
            "correct": self.correct,
            "earned": self.earned,
            "points": self.points,
        }


@dataclass(frozen=True)
class Score:
    earned: int
    total: int
    percent: Decimal
    passed: bool
    results: tuple[QuestionResult, ...]


def question_correct(kind: str, correct_ids: frozenset[int], chosen: frozenset[int]) -> bool:
    if not chosen:
        return False
    if kind == SINGLE:
        return len(chosen) == 1 and chosen == correct_ids
    return chosen == correct_ids


def percent(earned: int, total: int) -> Decimal:
    if total <= 0:
        return Decimal("0.0")
    return (Decimal(earned * 100) / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)


def is_pass(earned: int, total: int, pass_mark: int) -> bool:
    return total > 0 and earned * 100 >= pass_mark * total


def score_paper(
    paper: Sequence[PaperQuestion], answers: Mapping[int, Iterable[int]], pass_mark: int
) -> Score:
    """Score `answers` ({question id: chosen option ids}) against `paper`."""
    results = []
    for question in paper:
        chosen = frozenset(answers.get(question.id, ()))
        correct = question_correct(question.kind, question.correct_ids, chosen)
        results.append(
            QuestionResult(
                question_id=question.id,
                chosen=chosen,
                correct=correct,
                earned=question.points if correct else 0,
                points=question.points,
            )
        )
    earned = sum(r.earned for r in results)
    total = sum(q.points for q in paper)
    return Score(
        earned=earned,
        total=total,
        percent=percent(earned, total),
        passed=is_pass(earned, total, pass_mark),
        results=tuple(results),
    )


def stable_order(ids: Sequence[int], seed: str) -> list[int]:
    """A shuffled copy of `ids` that is always the same for the same seed."""
    shuffled = list(ids)
    random.Random(seed).shuffle(shuffled)  # noqa: S311 -- an order of questions, not a secret
    return shuffled


def is_late(due_at: dt.datetime | None, submitted_at: dt.datetime) -> bool:
    return due_at is not None and submitted_at > due_at + LATE_GRACE


def assignment_state(status: str, deadline: dt.date, today: dt.date) -> str:
    """What an assignment is now: an open one past its deadline is overdue even
    before the daily job has stored that."""
    if status in ("assigned", "failed") and deadline < today:
        return "overdue"
    return status
