"""The monitor's pure decisions: what it writes for each observation, when it writes nothing, whom it
nudges and which players a switch disconnected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from foundry_lib.foundry_status import FoundryObservation, UnknownReason, unknown
from foundry_lib.kube import FOUNDRY_INSTANCE
from foundry_lib.models.status import Writer, check_status_write
from foundry_lib.monitor import Memory, Poll, assess, instance_patch, stamp
from foundry_lib.outcome import MANUAL_RECONCILIATION

NOW = datetime(2026, 12, 5, 21, 0, 0, tzinfo=UTC)
INTERVAL = timedelta(seconds=30)
NS = "tabletop"


def playing(users: int, uptime: float = 600.0) -> FoundryObservation:
    return FoundryObservation(version="13.351", active=True, world="alpha-world", users=users, uptime=uptime)


SETUP = FoundryObservation(version="13.351")
TIMEOUT = unknown(UnknownReason.TIMEOUT)


def written(current: dict[str, Any], seen: FoundryObservation, at: datetime = NOW) -> dict[str, Any] | None:
    patch = instance_patch(current, Poll(seen, at), interval=INTERVAL)
    return None if patch is None else patch[0]


def settled(seen: FoundryObservation, at: datetime = NOW, **before: Any) -> dict[str, Any]:
    """The status after the monitor wrote `seen` at `at` (nulls dropped, as a merge patch stores them)."""
    status = written(dict(before), seen, at) or {}
    return {
        k: ({kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v)
        for k, v in {**before, **status}.items()
        if v is not None
    }


FIRST = [
    ("players", playing(3), 3, "alpha-world", True, None, stamp(NOW - timedelta(seconds=600))),
    ("world, nobody on", playing(0), 0, "alpha-world", True, None, stamp(NOW - timedelta(seconds=600))),
    ("setup screen", SETUP, 0, None, True, None, None),
    ("timeout", TIMEOUT, None, None, False, "Timeout", None),
]


@pytest.mark.parametrize(
    ("case", "seen", "players", "world", "reachable", "reason", "started"), FIRST, ids=[f[0] for f in FIRST]
)
def test_first_observation_writes_every_monitor_key(
    case: str,
    seen: FoundryObservation,
    players: int | None,
    world: str | None,
    reachable: bool,
    reason: str | None,
    started: str | None,
) -> None:
    status = written({"replicas": 1}, seen)
    assert status is not None
    assert (status["connectedPlayers"], status["activeWorld"]) == (players, world)
    foundry = status["foundry"]
    assert (foundry["reachable"], foundry["reason"], foundry["startedAt"]) == (reachable, reason, started)
    assert foundry["checkedAt"] == "2026-12-05T21:00:00Z"
    assert status["lastPlayerActivity"] == ("2026-12-05T21:00:00Z" if players else None)
    check_status_write(FOUNDRY_INSTANCE, Writer.MONITOR, status, via_api=True)  # only the monitor's keys


LATER = [
    # case, before, seen now, seconds later, expected write (None = nothing), changed field
    ("same players soon after", playing(3), playing(3, 610.0), 10, None),
    ("same players an interval later: checkedAt refresh", playing(3), playing(3, 630.0), 30, "refresh"),
    ("uptime jitter does not move startedAt", playing(0), playing(0, 613.0), 10, None),
    ("restart moves startedAt", playing(0), playing(0, 5.0), 10, "changed"),
    ("players leave", playing(3), playing(0, 610.0), 10, "changed"),
    ("becomes unknown", playing(3), TIMEOUT, 10, "changed"),
    ("unknown stays unknown soon after", TIMEOUT, TIMEOUT, 10, None),
    ("setup screen stays", SETUP, SETUP, 10, None),
]


@pytest.mark.parametrize(("case", "before", "seen", "later", "expected"), LATER, ids=[c[0] for c in LATER])
def test_later_observations_write_only_changes_and_at_most_one_refresh_per_interval(
    case: str, before: FoundryObservation, seen: FoundryObservation, later: int, expected: str | None
) -> None:
    current = settled(before)
    patch = instance_patch(current, Poll(seen, NOW + timedelta(seconds=later)), interval=INTERVAL)
    assert (
        None if patch is None else ("refresh" if patch[1] == "refresh checkedAt" else "changed")
    ) == expected


def test_started_at_stays_within_tolerance_and_last_activity_survives_unknown() -> None:
    current = settled(playing(2))
    after = written(current, TIMEOUT, NOW + timedelta(seconds=30))
    assert after is not None
    assert after["lastPlayerActivity"] == "2026-12-05T21:00:00Z"  # kept: last time players were seen
    assert after["foundry"]["startedAt"] == current["foundry"]["startedAt"]
    assert after["foundry"]["version"] == "13.351" and after["connectedPlayers"] is None


def _license(name: str, active: str, pending: dict[str, Any] | None = None, **labels: str) -> dict[str, Any]:
    status: dict[str, Any] = {"activeInstance": active}
    if pending:
        status["pendingSwitchover"] = pending
    return {"metadata": {"name": name, "namespace": NS, "labels": labels}, "status": status}


def _instance(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": NS}, "status": {}}


PENDING = {"target": "beta", "requestedAt": "2026-12-05T20:59:00Z", "players": 2}
NUDGES = [
    ("routed instance idle", _license("guild", "alpha", PENDING), playing(0), Memory(), ["guild"]),
    ("setup screen is idle too", _license("guild", "alpha", PENDING), SETUP, Memory(), ["guild"]),
    ("players still on", _license("guild", "alpha", PENDING), playing(2), Memory(), []),
    ("unknown is not idle", _license("guild", "alpha", PENDING), TIMEOUT, Memory(), []),
    ("no pending switchover", _license("guild", "alpha"), playing(0), Memory(), []),
    (
        "label already set",
        _license("guild", "alpha", PENDING, **{MANUAL_RECONCILIATION: "true"}),
        playing(0),
        Memory(),
        [],
    ),
    (
        "already nudged for this switchover",
        _license("guild", "alpha", PENDING),
        playing(0),
        Memory(
            nudged=frozenset(
                {(NS, "guild", '{"players": 2, "requestedAt": "2026-12-05T20:59:00Z", "target": "beta"}')}
            )
        ),
        [],
    ),
]


@pytest.mark.parametrize(("case", "lic", "seen", "memory", "nudged"), NUDGES, ids=[n[0] for n in NUDGES])
def test_a_waiting_switchover_is_nudged_once_when_its_routed_instance_is_confirmed_idle(
    case: str, lic: dict[str, Any], seen: FoundryObservation, memory: Memory, nudged: list[str]
) -> None:
    decided = assess([_instance("alpha")], {(NS, "alpha"): Poll(seen, NOW)}, [lic], memory, interval=INTERVAL)
    assert [n.license for n in decided.nudges] == nudged
    again = assess(
        [_instance("alpha")], {(NS, "alpha"): Poll(seen, NOW)}, [lic], decided.memory, interval=INTERVAL
    )
    assert again.nudges == ()


DISCONNECTS = [
    ("switch away from 3 players", "alpha", "beta", 3, [3]),
    ("deactivation with 2 players", "alpha", "", 2, [2]),
    ("switch away from an empty instance", "alpha", "beta", 0, []),
    ("no switch", "alpha", "alpha", 4, []),
]


@pytest.mark.parametrize(
    ("case", "was", "now", "players", "counted"), DISCONNECTS, ids=[d[0] for d in DISCONNECTS]
)
def test_players_on_an_instance_the_license_stops_routing_are_counted_as_disconnected(
    case: str, was: str, now: str, players: int, counted: list[int]
) -> None:
    instances = [_instance("alpha"), _instance("beta")]
    polls = {(NS, "alpha"): Poll(playing(players), NOW), (NS, "beta"): Poll(playing(0), NOW)}
    first = assess(instances, polls, [_license("guild", was)], Memory(), interval=INTERVAL)
    assert first.disconnects == ()  # nothing known before the first cycle
    second = assess(instances, polls, [_license("guild", now)], first.memory, interval=INTERVAL)
    assert [d.players for d in second.disconnects] == counted
