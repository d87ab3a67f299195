"""The review score and calibration spread: examples and properties."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from opora.quality.reviews.scoring import (
    NO,
    SCALE,
    YES,
    YES_NO,
    Item,
    percent,
    review_score,
    spread,
)


def test_it_weighs_yes_no_and_scale_answers() -> None:
    items = [
        Item(kind=YES_NO, weight=2, value=YES),
        Item(kind=YES_NO, weight=1, value=NO),
        Item(kind=SCALE, weight=1, value=4, scale_max=5),  # (4-1)/(5-1) = 0.75
    ]
    # (2·1 + 1·0 + 1·0.75) / 4 = 68.75 %
    assert review_score(items).score == Decimal("68.75")
    assert review_score(items).critical_failed is False


def test_it_leaves_na_and_unanswered_criteria_out() -> None:
    items = [
        Item(kind=YES_NO, weight=1, value=YES),
        Item(kind=YES_NO, weight=5, is_na=True),
        Item(kind=SCALE, weight=3, value=None),
    ]
    assert review_score(items).score == Decimal("100.00")


def test_a_failed_critical_criterion_zeroes_the_review() -> None:
    items = [
        Item(kind=YES_NO, weight=10, value=YES),
        Item(kind=YES_NO, weight=1, value=NO, is_critical=True),
    ]
    result = review_score(items)
    assert result.score == Decimal("0.00")
    assert result.critical_failed is True


def test_a_critical_scale_fails_only_at_its_minimum() -> None:
    at_minimum = Item(kind=SCALE, weight=1, value=1, is_critical=True, scale_max=5)
    above = Item(kind=SCALE, weight=1, value=2, is_critical=True, scale_max=5)
    assert review_score([at_minimum]).critical_failed is True
    assert review_score([above]).score == Decimal("25.00")


def test_a_critical_criterion_marked_na_does_not_fail() -> None:
    items = [
        Item(kind=YES_NO, weight=1, value=YES),
        Item(kind=YES_NO, weight=1, is_na=True, is_critical=True),
    ]
    assert review_score(items).score == Decimal("100.00")


def test_all_na_has_no_score() -> None:
    result = review_score([Item(kind=YES_NO, weight=1, is_na=True)])
    assert result.score is None
    assert result.critical_failed is False


def test_spread_of_reviewers_values() -> None:
    result = spread([100.0, 50.0, None, 75.0])
    assert (result.count, result.min, result.max, result.range) == (3, 50.0, 100.0, 50.0)
    assert result.stdev == 20.41
    assert result.is_wide
    assert spread([None]).min is None
    assert spread([80.0]).stdev == 0.0


def test_percent_of_one_answer() -> None:
    assert percent(Item(kind=SCALE, weight=1, value=3, scale_max=5)) == 50.0
    assert percent(Item(kind=YES_NO, weight=1, is_na=True)) is None


@st.composite
def answers(draw: st.DrawFn, critical: bool | None = None) -> Item:
    kind = draw(st.sampled_from([YES_NO, SCALE]))
    scale_max = draw(st.integers(2, 10))
    value = draw(st.integers(0, 1)) if kind == YES_NO else draw(st.integers(1, scale_max))
    return Item(
        kind=kind,
        weight=draw(st.integers(1, 20)),
        value=value,
        is_na=draw(st.booleans()),
        is_critical=draw(st.booleans()) if critical is None else critical,
        scale_max=scale_max,
    )


@given(st.lists(answers(), max_size=12))
def test_the_score_is_always_within_0_and_100(items: list[Item]) -> None:
    score = review_score(items).score
    assert score is None or Decimal(0) <= score <= Decimal(100)


@given(st.lists(answers(), max_size=8), st.integers(1, 10))
def test_a_failed_critical_always_gives_zero(items: list[Item], weight: int) -> None:
    failing = Item(kind=YES_NO, weight=weight, value=NO, is_critical=True)
    result = review_score([*items, failing])
    assert result.score == 0
    assert result.critical_failed


@given(st.lists(answers(critical=False), min_size=1, max_size=8), st.integers(1, 10))
def test_na_criteria_do_not_change_the_score(items: list[Item], weight: int) -> None:
    na = Item(kind=SCALE, weight=weight, is_na=True, scale_max=5)
    assert review_score([*items, na]).score == review_score(items).score


@given(st.lists(answers(critical=False), min_size=1, max_size=8), st.integers(2, 7))
def test_scaling_every_weight_keeps_the_score(items: list[Item], factor: int) -> None:
    scaled = [
        Item(
            kind=i.kind,
            weight=i.weight * factor,
            value=i.value,
            is_na=i.is_na,
            scale_max=i.scale_max,
        )
        for i in items
    ]
    assert review_score(scaled).score == review_score(items).score
