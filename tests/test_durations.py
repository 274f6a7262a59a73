"""Durations as users write them (`15m`, `1h30m`) and as Kratix reads them back (`retryAfter`)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundry_lib.durations import DURATION_PATTERN, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("90s", 90),
        ("1h30m", 5400),
        ("1h1m1s", 3661),
        ("2h", 7200),
        ("30m1h", 5400),
        ("0s", 0),
        ("999999h", 999999 * 3600),
    ],
    ids=["minutes", "seconds", "hours-minutes", "all-units", "hours", "any-order", "zero", "six-digits"],
)
def test_parse(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text",
    ["", "15", "15 minutes", "-1m", "1d", "1.5h", "15M", " 15m", "15m ", "15m\n", "1000000s", "m", "1h 30m"],
    ids=[
        "empty",
        "no-unit",
        "words",
        "negative",
        "days",
        "fraction",
        "upper-unit",
        "leading-space",
        "trailing-space",
        "trailing-newline",
        "seven-digits",
        "unit-only",
        "inner-space",
    ],
)
def test_parse_refuses(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=90), "1m30s"),
        (timedelta(hours=1), "1h"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(seconds=3661), "1h1m1s"),
        (timedelta(days=1), "24h"),
        (timedelta(seconds=59.9), "59s"),
        (timedelta(0), "1s"),
        (timedelta(seconds=0.4), "1s"),
        (timedelta(seconds=-30), "1s"),
    ],
    ids=[
        "minute-seconds",
        "hour",
        "hour-half",
        "all-units",
        "day",
        "fraction-floors",
        "zero",
        "sub-second",
        "past",
    ],
)
def test_format(delta, text):
    assert format_duration(delta) == text


@pytest.mark.parametrize(
    ("text", "canonical"), [("90s", "1m30s"), ("60m", "1h"), ("30m1h", "1h30m"), ("0s", "1s")]
)
def test_format_of_parse_is_canonical(text, canonical):
    assert format_duration(parse_duration(text)) == canonical


@given(st.integers(min_value=1, max_value=10**8))
def test_round_trip(seconds):
    text = format_duration(timedelta(seconds=seconds))
    assert re.fullmatch(DURATION_PATTERN, text)
    assert parse_duration(text) == timedelta(seconds=seconds)


@given(st.timedeltas(max_value=timedelta(days=10)))
def test_format_is_at_least_one_second(delta):
    assert parse_duration(format_duration(delta)) >= timedelta(seconds=1)
