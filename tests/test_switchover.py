"""The switchover guard, table-tested: every policy by player state by before/after the grace deadline,
how the monitor's report is judged, and the license's switch decision (cancel, force once, deactivate)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from foundry_lib.models.license import Switchover, WhenPlayersConnected
from foundry_lib.switchover import (
    FORCE_ANNOTATION,
    Activity,
    Players,
    SwitchFacts,
    Verdict,
    decide_switch,
    event_name,
    guard,
    observe,
)

REQUESTED = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
INTERVAL = timedelta(seconds=30)
BEFORE = REQUESTED + timedelta(minutes=5)  # grace period 15m: deadline 21:15
AFTER = REQUESTED + timedelta(minutes=15)


def _seen(count: Any, at: datetime, **foundry: Any) -> dict[str, Any]:
    return {"connectedPlayers": count, "foundry": {"reachable": True, "checkedAt": _z(at), **foundry}}


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


PLAYER_STATES = {
    "present": lambda now: _seen(3, now - timedelta(seconds=10)),
    "confirmed-zero": lambda now: _seen(0, now - timedelta(seconds=10)),
    "unknown": lambda now: _seen(None, now - timedelta(seconds=10)),
    "stale": lambda now: _seen(0, now - timedelta(seconds=61)),  # older than two intervals
}

# (policy, players, moment) → verdict, reason, players disconnected. Every pair is listed: a new
# policy or player state cannot slip through undecided (the test below checks the table is complete).
W, G = Verdict.WAIT, Verdict.GO
TABLE: dict[tuple[str, str, str], tuple[Verdict, str, bool]] = {
    ("block", "present", "before"): (W, "BlockedByPlayers", False),
    ("block", "present", "after"): (W, "BlockedByPlayers", False),
    ("block", "confirmed-zero", "before"): (G, "NoPlayers", False),
    ("block", "confirmed-zero", "after"): (G, "NoPlayers", False),
    ("block", "unknown", "before"): (W, "BlockedByPlayers", False),
    ("block", "unknown", "after"): (W, "BlockedByPlayers", False),
    ("block", "stale", "before"): (W, "BlockedByPlayers", False),
    ("block", "stale", "after"): (W, "BlockedByPlayers", False),
    ("warn", "present", "before"): (G, "SwitchedWithPlayers", True),
    ("warn", "present", "after"): (G, "SwitchedWithPlayers", True),
    ("warn", "confirmed-zero", "before"): (G, "NoPlayers", False),
    ("warn", "confirmed-zero", "after"): (G, "NoPlayers", False),
    ("warn", "unknown", "before"): (G, "SwitchedWithPlayers", True),
    ("warn", "unknown", "after"): (G, "SwitchedWithPlayers", True),
    ("warn", "stale", "before"): (G, "SwitchedWithPlayers", True),
    ("warn", "stale", "after"): (G, "SwitchedWithPlayers", True),
    ("grace", "present", "before"): (W, "GracePeriod", False),
    ("grace", "present", "after"): (G, "GracePeriodEnded", True),
    ("grace", "confirmed-zero", "before"): (G, "NoPlayers", False),
    ("grace", "confirmed-zero", "after"): (G, "NoPlayers", False),
    ("grace", "unknown", "before"): (W, "GracePeriod", False),
    ("grace", "unknown", "after"): (G, "GracePeriodEnded", True),
    ("grace", "stale", "before"): (W, "GracePeriod", False),
    ("grace", "stale", "after"): (G, "GracePeriodEnded", True),
    ("force", "present", "before"): (G, "Forced", True),
    ("force", "present", "after"): (G, "Forced", True),
    ("force", "confirmed-zero", "before"): (G, "NoPlayers", False),
    ("force", "confirmed-zero", "after"): (G, "NoPlayers", False),
    ("force", "unknown", "before"): (G, "Forced", True),
    ("force", "unknown", "after"): (G, "Forced", True),
    ("force", "stale", "before"): (G, "Forced", True),
    ("force", "stale", "after"): (G, "Forced", True),
}


def test_the_table_covers_every_policy_player_state_and_moment() -> None:
    every = {
        (p.value, s, m) for p in WhenPlayersConnected for s in PLAYER_STATES for m in ("before", "after")
    }
    assert set(TABLE) == every


@pytest.mark.parametrize(("case", "expected"), list(TABLE.items()), ids=["-".join(k) for k in TABLE])
def test_guard(case: tuple[str, str, str], expected: tuple[Verdict, str, bool]) -> None:
    policy, players, moment = case
    now = BEFORE if moment == "before" else AFTER
    seen = observe(PLAYER_STATES[players](now), now, INTERVAL)
    decision = guard(
        Switchover.model_validate({"whenPlayersConnected": policy, "gracePeriod": "15m"}),
        seen,
        requested_at=REQUESTED,
        now=now,
        interval=INTERVAL,
    )
    assert (decision.verdict, decision.reason, decision.disconnected) == expected
    if decision.waits:  # a wait always asks to run again, grace never beyond its deadline
        assert decision.retry_after is not None and decision.retry_after > timedelta(0)
        if policy == "grace":
            assert decision.deadline == REQUESTED + timedelta(minutes=15)
            assert now + decision.retry_after <= decision.deadline


OBSERVATIONS = [
    ("fresh count", _seen(2, BEFORE), Activity.PRESENT, 2, ""),
    ("fresh zero", _seen(0, BEFORE - timedelta(seconds=60)), Activity.IDLE, 0, ""),
    ("exactly two intervals old", _seen(0, BEFORE - 2 * INTERVAL), Activity.IDLE, 0, ""),
    ("stale zero", _seen(0, BEFORE - timedelta(minutes=5)), Activity.UNKNOWN, None, "5m old"),
    ("null count", _seen(None, BEFORE), Activity.UNKNOWN, None, "could not count"),
    ("never checked", {}, Activity.UNKNOWN, None, "not reported"),
    ("unreachable", _seen(0, BEFORE, reachable=False, reason="timeout"), Activity.UNKNOWN, None, "timeout"),
    ("garbage time", {"connectedPlayers": 0, "foundry": {"checkedAt": "soon"}}, Activity.UNKNOWN, None, ""),
    ("negative count", _seen(-1, BEFORE), Activity.UNKNOWN, None, "could not count"),
]


@pytest.mark.parametrize(
    ("status", "activity", "count", "why"), [o[1:] for o in OBSERVATIONS], ids=[o[0] for o in OBSERVATIONS]
)
def test_only_a_fresh_confirmed_zero_is_idle(
    status: dict[str, Any], activity: Activity, count: int | None, why: str
) -> None:
    seen = observe(status, BEFORE, INTERVAL)
    assert (seen.activity, seen.count) == (activity, count)
    assert why in seen.why_unknown


def _facts(**overrides: Any) -> SwitchFacts:
    base: dict[str, Any] = {
        "current": "alpha",
        "target": "beta",
        "policy": Switchover(),  # grace, 15m
        "players": Players(Activity.PRESENT, 3),
        "pending": {},
        "force_annotation": None,
        "forced_record": {},
        "now": REQUESTED,
        "interval": INTERVAL,
    }
    return SwitchFacts(**(base | overrides))


def test_a_waiting_switch_keeps_routing_the_current_instance_and_says_why() -> None:
    switch = decide_switch(_facts())
    assert switch.route == "alpha"
    assert switch.pending == {
        "target": "beta",
        "requestedAt": "2026-11-28T21:00:00Z",
        "deadline": "2026-11-28T21:15:00Z",
        "players": 3,
        "reason": "GracePeriod",
    }
    assert switch.message.startswith("3 players on alpha; switching to beta at 21:15 UTC")


def test_the_deadline_counts_from_the_recorded_request_not_from_each_rerun() -> None:
    first = decide_switch(_facts())
    later = decide_switch(_facts(pending=first.pending, now=REQUESTED + timedelta(minutes=16)))
    assert later.route == "beta" and later.pending is None and later.event_reason == "GracePeriodEnded"
    assert "3 players on alpha were disconnected" in later.message


def test_a_new_target_is_a_new_request() -> None:
    first = decide_switch(_facts())
    other = decide_switch(
        _facts(target="gamma", pending=first.pending, now=REQUESTED + timedelta(minutes=16))
    )
    assert other.route == "alpha" and other.pending is not None
    assert other.pending["requestedAt"] == "2026-11-28T21:16:00Z"


def test_a_switch_back_to_the_current_instance_cancels_the_pending_one() -> None:
    pending = decide_switch(_facts()).pending
    switch = decide_switch(_facts(target="alpha", pending=pending))
    assert (switch.route, switch.pending, switch.cancelled) == ("alpha", None, True)
    assert switch.event_reason == "SwitchoverCancelled" and "cancelled" in switch.message


def test_deactivation_is_guarded_the_same_way() -> None:
    switch = decide_switch(
        _facts(target=None, policy=Switchover.model_validate({"whenPlayersConnected": "block"}))
    )
    assert switch.route == "alpha" and switch.pending is not None and switch.pending["target"] == ""
    assert "deactivating alpha waits until they leave" in switch.message
    assert decide_switch(_facts(target=None, players=Players(Activity.IDLE, 0))).route is None


def test_unknown_players_say_so() -> None:
    unknown = Players(Activity.UNKNOWN, None, "the monitor's last report is 5m old")
    switch = decide_switch(_facts(players=unknown))
    assert switch.message.startswith("the number of players on alpha is unknown (the monitor's last report")
    assert switch.pending is not None and switch.pending["players"] is None


def test_nothing_routed_switches_at_once_without_a_guard() -> None:
    switch = decide_switch(_facts(current=None))
    assert (switch.route, switch.guard, switch.message) == ("beta", None, "")


def test_the_force_annotation_forces_one_switch_then_is_ignored() -> None:
    block = Switchover.model_validate({"whenPlayersConnected": "block"})
    forced = decide_switch(_facts(policy=block, force_annotation="beta"))
    assert forced.route == "beta" and forced.event_reason == "ForcedByAnnotation"
    assert forced.forced == {"target": "beta", "requestedAt": "2026-11-28T21:00:00Z"}
    assert FORCE_ANNOTATION in forced.message
    # beta routed now; the annotation stays: the record stays, so a later switch back to beta waits
    settled = decide_switch(_facts(current="beta", force_annotation="beta", forced_record=forced.forced))
    assert settled.forced == forced.forced
    again = decide_switch(_facts(policy=block, force_annotation="beta", forced_record=forced.forced))
    assert again.route == "alpha" and again.pending is not None
    # removing the annotation forgets the record; setting it again forces once more
    assert decide_switch(_facts(current="beta", target="beta", forced_record=forced.forced)).forced is None


def test_an_annotation_naming_another_target_forces_nothing() -> None:
    switch = decide_switch(_facts(force_annotation="gamma"))
    assert switch.route == "alpha" and switch.forced is None


def test_event_names_are_stable_per_decision_and_valid() -> None:
    a = event_name("guild", "GracePeriod", "beta", "2026-11-28T21:00:00Z")
    assert a == event_name("guild", "GracePeriod", "beta", "2026-11-28T21:00:00Z")
    assert a != event_name("guild", "GracePeriodEnded", "beta", "2026-11-28T21:00:00Z")
    assert len(event_name("x" * 253, "r")) <= 253
