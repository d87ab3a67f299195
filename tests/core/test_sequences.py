from __future__ import annotations

import pytest

from opora.core.models import Counter
from opora.core.sequences import sequence_next

pytestmark = pytest.mark.django_db


def test_numbers_start_where_asked_and_never_repeat() -> None:
    first = sequence_next("demo_numbers", start=500)
    second = sequence_next("demo_numbers", start=500)

    assert first == 500
    assert second == 501


def test_a_range_is_reserved_whole() -> None:
    first = sequence_next("demo_range", start=10, count=100)
    after = sequence_next("demo_range", start=10)

    assert first == 10
    assert after == 110


def test_a_counter_continues_from_numbers_already_handed_out() -> None:
    Counter.objects.create(name="demo_existing", value=41)

    assert sequence_next("demo_existing", start=1) == 42


def test_a_counter_name_cannot_inject_sql() -> None:
    with pytest.raises(ValueError, match="bad counter name"):
        sequence_next("x; DROP TABLE tickets_ticket")
