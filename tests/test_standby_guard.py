"""The page's guards with the clock in hand: token buckets, CSRF tokens, start timing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from services.standby_page.guard import Csrf, RateLimit, StartTimes

T0 = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("case", "attempts", "expected"),
    [
        ("a burst passes", [0, 0, 0], [True, True, True]),
        ("beyond the burst is refused", [0, 0, 0, 0], [True, True, True, False]),
        ("a token comes back after 60/per_minute seconds", [0, 0, 0, 0, 10], [True, True, True, False, True]),
        ("not before", [0, 0, 0, 9], [True, True, True, False]),
    ],
)
def test_token_bucket(case: str, attempts: list[float], expected: list[bool]) -> None:
    limit = RateLimit(burst=3, per_minute=6)
    assert [limit.allow("client", at) for at in attempts] == expected, case


def test_keys_are_independent_and_bounded() -> None:
    limit = RateLimit(burst=1, per_minute=1, max_keys=100)
    assert limit.allow("a", 0) and not limit.allow("a", 0) and limit.allow("b", 0)
    for i in range(1000):
        limit.allow(f"flood-{i}", 0)
    assert len(limit._buckets) == 100
    assert limit.allow("a", 0)  # evicted: forgotten, so a fresh bucket (bounded memory wins)


def test_csrf_token_binds_session_and_page() -> None:
    csrf = Csrf("k" * 32)
    token = csrf.token("session-1", "beta@beta.example.com")
    assert csrf.valid(token, "session-1", "beta@beta.example.com")
    assert not csrf.valid(token, "session-2", "beta@beta.example.com")
    assert not csrf.valid(token, "session-1", "delta@delta.example.com")
    assert not csrf.valid(token, None, "beta@beta.example.com")
    assert not csrf.valid(None, "session-1", "beta@beta.example.com")
    assert "session-1" not in token


def test_csrf_token_expires() -> None:
    csrf = Csrf("k" * 32, max_age=1)
    token = csrf.token("s", "h")
    time.sleep(2.1)
    assert not csrf.valid(token, "s", "h")


def test_start_times_measure_past_starts() -> None:
    starts = StartTimes()
    key = ("tabletop", "beta")
    assert starts.observe(key, starting=True, ready=False, now=T0) == T0
    assert starts.observe(key, starting=True, ready=False, now=T0 + timedelta(seconds=30)) == T0
    assert starts.typical_seconds() is None
    assert starts.observe(key, starting=False, ready=True, now=T0 + timedelta(seconds=90)) is None
    assert starts.typical_seconds() == 90
    starts.observe(key, starting=False, ready=False, now=T0)  # standby again: no sample
    assert starts.took == [90]
