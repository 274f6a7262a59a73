"""The switchover guard end to end in the simulator: what a game master sees when they switch, deactivate
or delete the routed instance while players are on, for every policy, with players present, confirmed
gone, unknown or stale, the force annotation, and a switch requested back to the current instance.

Each case is a list of steps on a simulated clock; `--players` records what the monitor observed at
`--now`, so a later step makes it stale. Routes are read from the state store (what GitOps applies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_simulator import simulate, statestore

from foundry_lib.kube import EVENT, FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_lib.switchover import FORCE_ANNOTATION
from foundry_platform.simulator.state import ClusterState

NS = "tabletop"
ROUTES = f"foundry-license/{NS}/guild/render/routes.yaml"


def _license(policy: str, active: str = "alpha", force: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "guild", "namespace": NS}
    if force is not None:
        meta["annotations"] = {FORCE_ANNOTATION: force}
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryLicense",
        "metadata": meta,
        "spec": {
            "licenseSecretRef": {"name": "guild-license", "key": "licenseKey"},
            "credentialsSecretRef": {"name": "guild-account"},
            "baseDomain": "vtt.example.com",
            "activeInstanceName": active,
            "switchover": {"whenPlayersConnected": policy, "gracePeriod": "15m"},
        },
    }


def _instance(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryInstance",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"licenseRef": {"name": "guild"}},
    }


@dataclass(frozen=True)
class Step:
    """At minute `at` past 20:00: apply (or delete) `docs`, record `players` (instance → count)."""

    at: int
    docs: Sequence[dict[str, Any]] = ()
    players: dict[str, int] = field(default_factory=dict)
    delete: bool = False


@dataclass(frozen=True)
class Seen:
    """What the steps leave: the instance routed, the pending switch's reason, whether alpha exists."""

    routed: str  # "" when every route points at the standby page
    pending: str | None
    alpha_exists: bool = True


def _play(tmp: Path, policy: str, steps: Sequence[Step]) -> Path:
    """A step at minute 0 replaces the default first observation (3 players on alpha)."""
    state = tmp / "state"
    players = {"alpha": 3}
    if steps and steps[0].at == 0:
        players, steps = steps[0].players, steps[1:]
    first = Step(0, [_license(policy), _instance("alpha"), _instance("beta")], players)
    for number, step in enumerate([first, *steps]):
        path = tmp / f"step-{number}.yaml"
        path.write_text(yaml.safe_dump_all(list(step.docs)))
        extra = [f"--players={NS}/{name}={count}" for name, count in step.players.items()]
        if step.delete:
            extra.append("--delete")
        now = f"2026-11-28T{20 + step.at // 60}:{step.at % 60:02d}:00Z"
        assert simulate(state, path, now=now, extra=tuple(extra)) == 0
    return state


def _seen(state: Path) -> Seen:
    routes = statestore(state)[ROUTES]
    routed = [
        r["metadata"]["name"].removeprefix("foundry-") for r in routes if _backend(r) != "foundry-standby"
    ]
    assert len(routed) <= 1, "a license routes one instance at most"
    lic = ClusterState(state).get(FOUNDRY_LICENSE, NS, "guild")
    assert lic is not None
    pending = lic["status"].get("pendingSwitchover")
    alpha = ClusterState(state).get(FOUNDRY_INSTANCE, NS, "alpha")
    return Seen(routed[0] if routed else "", pending["reason"] if pending else None, alpha is not None)


def _backend(route: dict[str, Any]) -> str:
    return str(route["spec"]["rules"][0]["backendRefs"][0]["name"])


def _to(target: str, policy: str, **kw: Any) -> dict[str, Any]:
    return _license(policy, active=target, **kw)


CASES: list[tuple[str, str, list[Step], Seen]] = [
    # grace: wait while players are on, switch when they leave or at the deadline (20:01 + 15m)
    ("grace-players-on-waits", "grace", [Step(1, [_to("beta", "grace")])], Seen("alpha", "GracePeriod")),
    (
        "grace-players-leave",
        "grace",
        [Step(1, [_to("beta", "grace")]), Step(5, players={"alpha": 0})],
        Seen("beta", None),
    ),
    ("grace-deadline", "grace", [Step(1, [_to("beta", "grace")]), Step(17)], Seen("beta", None)),
    (
        "grace-never-reported-waits",
        "grace",
        [Step(0), Step(1, [_to("beta", "grace")])],
        Seen("alpha", "GracePeriod"),
    ),
    (
        "block-never-reported",
        "block",
        [Step(0), Step(1, [_to("beta", "block")])],
        Seen("alpha", "BlockedByPlayers"),
    ),
    (
        "grace-stale-zero-waits",
        "grace",
        [Step(1, players={"alpha": 0}), Step(10, [_to("beta", "grace")])],
        Seen("alpha", "GracePeriod"),
    ),
    (
        "grace-stale-deadline",
        "grace",
        [Step(1, players={"alpha": 0}), Step(10, [_to("beta", "grace")]), Step(26)],
        Seen("beta", None),
    ),
    # block: wait while anyone is or may be on, however long
    (
        "block-players-on",
        "block",
        [Step(1, [_to("beta", "block")]), Step(90)],
        Seen("alpha", "BlockedByPlayers"),
    ),
    (
        "block-stale",
        "block",
        [Step(1, players={"alpha": 0}), Step(10, [_to("beta", "block")])],
        Seen("alpha", "BlockedByPlayers"),
    ),
    (
        "block-confirmed-zero",
        "block",
        [Step(1, [_to("beta", "block")]), Step(30, players={"alpha": 0})],
        Seen("beta", None),
    ),
    # warn and force switch at once, players or not
    ("warn-players-on", "warn", [Step(1, [_to("beta", "warn")])], Seen("beta", None)),
    ("force-players-on", "force", [Step(1, [_to("beta", "force")])], Seen("beta", None)),
    # the annotation forces one switch under block
    ("annotation-forces", "block", [Step(1, [_to("beta", "block", force="beta")])], Seen("beta", None)),
    (
        "annotation-other-target",
        "block",
        [Step(1, [_to("beta", "block", force="gamma")])],
        Seen("alpha", "BlockedByPlayers"),
    ),
    # deactivation is guarded the same way
    ("deactivate-grace-waits", "grace", [Step(1, [_to("", "grace")])], Seen("alpha", "GracePeriod")),
    ("deactivate-grace-deadline", "grace", [Step(1, [_to("", "grace")]), Step(17)], Seen("", None)),
    ("deactivate-warn", "warn", [Step(1, [_to("", "warn")])], Seen("", None)),
    # a switch requested back to the current instance cancels the pending one
    (
        "switch-back-cancels",
        "grace",
        [Step(1, [_to("beta", "grace")]), Step(5, [_to("alpha", "grace")]), Step(30)],
        Seen("alpha", None),
    ),
    # deleting the routed instance: its delete waits under block/grace, the license keeps routing it
    (
        "delete-block-waits",
        "block",
        [Step(1, [_instance("alpha")], delete=True), Step(60)],
        Seen("alpha", None),
    ),
    (
        "delete-block-players-leave",
        "block",
        [Step(1, [_instance("alpha")], delete=True), Step(20, players={"alpha": 0})],
        Seen("", None, alpha_exists=False),
    ),
    (
        "delete-grace-waits",
        "grace",
        [Step(1, [_instance("alpha")], delete=True), Step(10)],
        Seen("alpha", None),
    ),
    (
        "delete-grace-deadline",
        "grace",
        [Step(1, [_instance("alpha")], delete=True), Step(17)],
        Seen("", None, alpha_exists=False),
    ),
    ("delete-warn", "warn", [Step(1, [_instance("alpha")], delete=True)], Seen("", None, alpha_exists=False)),
]


@pytest.mark.parametrize(("policy", "steps", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_switchover(tmp_path: Path, policy: str, steps: list[Step], expected: Seen) -> None:
    state = _play(tmp_path, policy, steps)
    assert _seen(state) == expected


def _events(state: Path) -> list[dict[str, Any]]:
    return sorted(ClusterState(state).of_kind(EVENT), key=lambda e: e["lastTimestamp"])


def test_a_waiting_switch_tells_the_game_master_and_records_one_event_per_decision(tmp_path: Path) -> None:
    state = _play(tmp_path, "grace", [Step(1, [_to("beta", "grace")]), Step(10), Step(17)])
    events = _events(state)
    assert [e["reason"] for e in events] == ["GracePeriod", "GracePeriodEnded"]  # not one per rerun
    assert events[0]["message"].startswith("3 players on alpha; switching to beta at 20:16 UTC")
    assert events[1]["type"] == "Warning"
    assert events[1]["message"].startswith(
        "switched to beta; anyone still on alpha was disconnected (the grace"
    )
    assert events[0]["involvedObject"] == {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryLicense",
        "namespace": NS,
        "name": "guild",
        "uid": ClusterState(state).get(FOUNDRY_LICENSE, NS, "guild")["metadata"]["uid"],
    }


def test_pending_switchover_status_and_condition(tmp_path: Path) -> None:
    state = _play(tmp_path, "grace", [Step(1, [_to("beta", "grace")])])
    status = ClusterState(state).get(FOUNDRY_LICENSE, NS, "guild")["status"]
    assert status["activeInstance"] == "alpha"
    assert status["pendingSwitchover"] == {
        "target": "beta",
        "requestedAt": "2026-11-28T20:01:00Z",
        "deadline": "2026-11-28T20:16:00Z",
        "players": 3,
        "reason": "GracePeriod",
    }
    [cond] = [c for c in status["conditions"] if c["type"] == "SwitchoverPending"]
    assert cond["status"] == "True" and cond["message"].startswith(
        "3 players on alpha; switching to beta at 20:16"
    )
    assert status["message"].startswith("3 players on alpha")


def test_unknown_players_are_named_unknown(tmp_path: Path) -> None:
    state = _play(tmp_path, "block", [Step(1, players={"alpha": 0}), Step(10, [_to("beta", "block")])])
    status = ClusterState(state).get(FOUNDRY_LICENSE, NS, "guild")["status"]
    assert (
        "the number of players on alpha is unknown (the monitor's last report is 9m old)" in status["message"]
    )
    assert status["pendingSwitchover"]["players"] is None


def test_the_force_annotation_is_used_once(tmp_path: Path) -> None:
    steps = [
        Step(1, [_to("beta", "block", force="beta")]),  # forced: beta routed at once
        Step(2, [_to("alpha", "block", force="beta")], {"beta": 0}),  # nobody on beta: back to alpha
        Step(3, [_to("beta", "block", force="beta")], {"alpha": 4}),  # same annotation: not forced again
    ]
    state = _play(tmp_path, "block", steps)
    status = ClusterState(state).get(FOUNDRY_LICENSE, NS, "guild")["status"]
    assert _seen(state) == Seen("alpha", "BlockedByPlayers")
    assert status["forcedSwitchover"] == {"target": "beta", "requestedAt": "2026-11-28T20:01:00Z"}


def test_the_cancelled_switch_is_recorded(tmp_path: Path) -> None:
    state = _play(tmp_path, "grace", [Step(1, [_to("beta", "grace")]), Step(5, [_to("alpha", "grace")])])
    status = ClusterState(state).get(FOUNDRY_LICENSE, NS, "guild")["status"]
    [cond] = [c for c in status["conditions"] if c["type"] == "SwitchoverPending"]
    assert (cond["status"], cond["reason"]) == ("False", "SwitchoverCancelled")
    assert [e["reason"] for e in _events(state)] == ["GracePeriod", "SwitchoverCancelled"]


def test_a_waiting_delete_says_so_on_the_instance_and_the_license(tmp_path: Path) -> None:
    state = _play(tmp_path, "block", [Step(1, [_instance("alpha")], delete=True)])
    alpha = ClusterState(state).get(FOUNDRY_INSTANCE, NS, "alpha")
    assert "deleting 'alpha' waits: 3 players on alpha" in alpha["status"]["message"]
    assert [e["reason"] for e in _events(state)] == ["DeleteBlockedByPlayers"]


def test_players_are_observed_at_now_and_started_once(tmp_path: Path) -> None:
    state = _play(tmp_path, "grace", [Step(5, players={"alpha": 1})])
    seen = ClusterState(state).get(FOUNDRY_INSTANCE, NS, "alpha")["status"]["foundry"]
    assert seen["checkedAt"] == "2026-11-28T20:05:00Z"
    assert seen["startedAt"] == "2026-11-28T20:00:00Z"  # kept from the first observation
