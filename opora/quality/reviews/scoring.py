"""The review score and the calibration spread: pure arithmetic, no ORM.

Score = Σ weight·normalised(value) / Σ weight × 100 over the answered, non-N/A
criteria, where yes = 1, no = 0 and a scale value v on 1…max is (v−1)/(max−1).
A failed critical criterion (no, or the scale's minimum) makes it 0; when
nothing counts (all N/A) there is no score. Unanswered criteria are left out
like N/A so the form can show a live score while it is being filled in; the
services refuse to submit a review with unanswered criteria.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

YES_NO = "yes_no"
SCALE = "scale"
YES, NO = 1, 0
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Item:
    """One criterion's answer as the arithmetic sees it."""

    kind: str
    weight: int
    value: int | None = None
    is_na: bool = False
    is_critical: bool = False
    scale_max: int = 5

    @property
    def counts(self) -> bool:
        return not self.is_na and self.value is not None


@dataclass(frozen=True)
class Score:
    score: Decimal | None
    critical_failed: bool


def value_valid(kind: str, value: int, scale_max: int) -> bool:
    if kind == YES_NO:
        return value in (YES, NO)
    return 1 <= value <= scale_max


def normalised(item: Item) -> Fraction:
    """The answer on 0…1; `item` must count and hold a valid value."""
    if item.value is None:
        raise ValueError("an unanswered criterion has no value")
    if item.kind == YES_NO:
        return Fraction(1 if item.value == YES else 0)
    return Fraction(item.value - 1, item.scale_max - 1)


def failed(item: Item) -> bool:
    """A counted answer at the bottom: «no», or the scale's minimum."""
    return item.counts and normalised(item) == 0


def review_score(items: Iterable[Item]) -> Score:
    counted = [item for item in items if item.counts]
    if any(item.is_critical and failed(item) for item in counted):
        return Score(Decimal(0).quantize(TWO_PLACES), critical_failed=True)
    total_weight = sum(item.weight for item in counted)
    if not counted or total_weight <= 0:
        return Score(None, critical_failed=False)
    share = sum((item.weight * normalised(item) for item in counted), Fraction(0)) / total_weight
    score = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return Score(score.quantize(TWO_PLACES, rounding=ROUND_HALF_UP), critical_failed=False)


@dataclass(frozen=True)
class Spread:
    """How far reviewers' values (0–100) lie apart; all None when nobody scored."""

    count: int
    min: float | None
    max: float | None
    range: float | None
    stdev: float | None

    @property
    def is_wide(self) -> bool:
        """Worth a discussion: reviewers more than 20 points apart."""
        return self.range is not None and self.range > 20


def spread(values: Sequence[float | None]) -> Spread:
    """Min, max, range and population standard deviation of the given values, None ignored."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return Spread(0, None, None, None, None)
    low, high = min(present), max(present)
    deviation = statistics.pstdev(present) if len(present) > 1 else 0.0
    return Spread(len(present), low, high, high - low, round(deviation, 2))


def percent(item: Item) -> float | None:
    """One answer on 0–100 for the calibration table, None if it does not count."""
    if not item.counts:
        return None
    return round(float(normalised(item) * 100), 2)
