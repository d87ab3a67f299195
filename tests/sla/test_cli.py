"""`opora sla_deadline`: prints only the ISO deadline; bad input is one line on stderr, exit 2.

No database: the command uses the `holidays` baseline plus the shipped decrees.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command

NEW_YEAR = ["--country", "RU", "--tz", "Europe/Moscow", "--start", "2025-12-30T17:30:00+03:00"]


def sla_deadline(*args: str) -> str:
    out = io.StringIO()
    call_command("sla_deadline", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def sla_deadline_refused(*args: str) -> tuple[int | str | None, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("sla_deadline", *args, stdout=out, stderr=err)
    return exit_info.value.code, out.getvalue(), err.getvalue()


def opora(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPORA_", "DATABASE_URL"))}
    env["OPORA_ENV"] = "test"
    return subprocess.run(
        [sys.executable, "-m", "opora.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_it_prints_the_deadline_across_the_new_year_holidays() -> None:
    # 30.12.2025 17:30–18:00, then 31.12–11.01 off; 12.01 09:00 + 210 min = 12:30.
    assert sla_deadline(*NEW_YEAR, "--business-minutes", "240") == "2026-01-12T12:30:00+03:00\n"


def test_a_calendar_day_cap_that_comes_first_gives_the_deadline() -> None:
    output = sla_deadline(*NEW_YEAR, "--business-minutes", "240", "--cap-calendar-days", "5")

    assert output == "2026-01-04T17:30:00+03:00\n"


def test_it_takes_working_hours_with_a_lunch_break() -> None:
    lunch = ["--hours", "09:00-13:00,14:00-18:00", "--business-minutes", "60"]
    base = ["--country", "RU", "--tz", "Europe/Moscow", *lunch]

    # Started during lunch: counts from 14:00.
    assert sla_deadline(*base, "--start", "2025-03-03T13:30:00+03:00") == (
        "2025-03-03T15:00:00+03:00\n"
    )


def test_it_prints_the_deadline_in_the_calendars_zone_whatever_the_offset_of_the_start() -> None:
    berlin = ["--country", "ru", "--tz", "Europe/Berlin", "--business-minutes", "120"]

    # Fri 27.03.2026 17:00 Berlin (16:00Z); clocks change on Sunday; Mon 10:00 CEST.
    assert sla_deadline(*berlin, "--start", "2026-03-27T16:00:00Z") == (
        "2026-03-30T10:00:00+02:00\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--country", "XX", "--tz", "Europe/Moscow"], "unknown country «XX»"),
        (["--country", "RU", "--tz", "Mars/Olympus"], "unknown time zone «Mars/Olympus»"),
        (["--country", "RU", "--tz", "../etc"], "unknown time zone «../etc»"),
        (["--country", "RU", "--tz", "Europe/Moscow", "--hours", "9-18"], "bad working hours"),
        (
            ["--country", "RU", "--tz", "Europe/Moscow", "--hours", "18:00-09:00"],
            "working interval",
        ),
    ],
)
def test_it_refuses_a_calendar_it_cannot_build_in_one_line(args: list[str], message: str) -> None:
    start = ["--start", "2025-12-30T17:30:00+03:00", "--business-minutes", "240"]

    code, out, err = sla_deadline_refused(*args, *start)

    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("start", "minutes", "message"),
    [
        ("30.12.2025 17:30", "240", "bad --start «30.12.2025 17:30»"),
        ("2025-12-30T17:30:00", "240", "--start needs a UTC offset"),
        ("2025-12-30T17:30:00+03:00", "-5", "--business-minutes must not be negative"),
        ("2025-12-30T17:30:00+03:00", "nan", "--business-minutes must not be negative"),
        ("2025-12-30T17:30:00+03:00", "four hours", "--business-minutes must be a number"),
    ],
)
def test_it_refuses_a_bad_start_or_budget_in_one_line(
    start: str, minutes: str, message: str
) -> None:
    code, out, err = sla_deadline_refused(
        "--country", "RU", "--tz", "Europe/Moscow", "--start", start, "--business-minutes", minutes
    )

    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert message in err
    assert "Traceback" not in err


def test_the_console_script_prints_only_the_deadline_and_exits_zero() -> None:
    result = opora("sla_deadline", *NEW_YEAR, "--business-minutes", "240")

    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "2026-01-12T12:30:00+03:00\n",
        "",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--country", "XX", "--tz", "Europe/Moscow", "--start", "2025-12-30T17:30:00+03:00"],
            "sla_deadline: unknown country «XX»",
        ),
        (
            ["--country", "RU", "--tz", "Europe/Moscow", "--start", "2025-12-30T17:30:00"],
            "sla_deadline: --start needs a UTC offset",
        ),
    ],
)
def test_the_console_script_refuses_bad_input_in_one_line_and_exits_non_zero(
    args: list[str], message: str
) -> None:
    result = opora("sla_deadline", *args, "--business-minutes", "240")

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(message)
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
