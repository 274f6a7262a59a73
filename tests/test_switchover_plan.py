"""The guard inside the planners: a waiting license still routes the current instance and asks to run
again; a waiting delete of the routed instance renders nothing and asks to run again; Events once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from foundry_lib.instance_delete import DeleteFacts, RoutedBy, plan_instance_delete
from foundry_lib.license_plan import LicenseFacts, plan_license
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec, Switchover
from foundry_lib.models.request import parse_request
from foundry_lib.outcome import Outcome, RecordEvent
from foundry_lib.settings import PlatformSettings

NOW = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)


def _instance(name: str, players: int | None) -> dict[str, Any]:
    status: dict[str, Any] = {"hostname": f"{name}.vtt.example.com", "isActive": name == "alpha"}
    if players is not None:
        status |= {
            "connectedPlayers": players,
            "foundry": {"reachable": True, "checkedAt": "2026-11-28T20:59:50Z"},
        }
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryInstance",
        "metadata": {
            "name": name,
            "namespace": "tabletop",
            "creationTimestamp": f"2026-11-01T00:0{len(name)}:00Z",
        },
        "spec": {"licenseRef": {"name": "guild"}},
        "status": status,
    }


def _plan(policy: str, players: int | None, pending: dict[str, Any] | None = None) -> Outcome:
    status: dict[str, Any] = {"activeInstance": "alpha"}
    if pending:
        status["pendingSwitchover"] = pending
    lic = {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryLicense",
        "metadata": {"name": "guild", "namespace": "tabletop", "generation": 2, "uid": "u-1"},
        "spec": {
            "licenseSecretRef": {"name": "k", "key": "license"},
            "baseDomain": "vtt.example.com",
            "activeInstanceName": "beta",
            "switchover": {"whenPlayersConnected": policy},
        },
        "status": status,
    }
    return plan_license(
        LicenseFacts(
            license=parse_request(lic, FoundryLicenseSpec),
            instances=[parse_request(_instance(n, players), FoundryInstanceSpec) for n in ("alpha", "beta")],
            settings=PlatformSettings(),
            now=NOW,
        )
    )


def _active_backend(outcome: Outcome) -> str:
    assert outcome.outputs is not None
    return next(
        r["metadata"]["name"]
        for r in outcome.outputs["routes.yaml"]
        if r["spec"]["rules"][0]["backendRefs"][0]["name"] != "foundry-standby"
    )


def _events(outcome: Outcome) -> list[str]:
    return [e.reason for e in outcome.effects if isinstance(e, RecordEvent)]


def test_a_waiting_license_routes_the_current_instance_and_runs_again() -> None:
    outcome = _plan("block", 2)
    assert _active_backend(outcome) == "foundry-alpha"  # the same routes as the applied Work
    assert outcome.status["activeInstance"] == "alpha"
    assert outcome.control is not None and outcome.control.retry_after == timedelta(minutes=1)
    [cond] = [c for c in outcome.status["conditions"] if c["type"] == "SwitchoverPending"]
    assert (cond["status"], cond["reason"]) == ("True", "BlockedByPlayers")
    assert _events(outcome) == ["BlockedByPlayers"]
    again = _plan("block", 1, pending=outcome.status["pendingSwitchover"])
    assert _events(again) == []  # the same decision: no second Event
    assert again.status["pendingSwitchover"]["players"] == 1


@pytest.mark.parametrize(
    ("policy", "players", "reason"),
    [("block", 0, "NoPlayers"), ("warn", 2, "SwitchedWithPlayers"), ("force", None, "Forced")],
)
def test_a_switch_that_goes_writes_work_and_no_retry(policy: str, players: int | None, reason: str) -> None:
    outcome = _plan(policy, players)
    assert _active_backend(outcome) == "foundry-beta" and outcome.control is None
    assert "pendingSwitchover" not in outcome.status and _events(outcome) == [reason]


def test_a_cleared_pending_switch_is_written_as_null() -> None:
    pending = {"target": "beta", "requestedAt": "2026-11-28T20:50:00Z", "reason": "BlockedByPlayers"}
    outcome = _plan("block", 0, pending=pending)
    assert outcome.status["pendingSwitchover"] is None  # Kratix merges top-level keys: clear it


def _delete(
    policy: str | None, players: int | None, conditions: list[dict[str, Any]] | None = None
) -> Outcome:
    status = _instance("alpha", players)["status"] | {"conditions": conditions or []}
    routed = (
        RoutedBy(
            "u-1",
            Switchover.model_validate({"whenPlayersConnected": policy}),
            NOW - timedelta(minutes=5),
            timedelta(seconds=30),
        )
        if policy
        else None
    )
    facts = DeleteFacts("alpha", "tabletop", "guild", status, [], True, NOW, routed_by=routed)
    return plan_instance_delete(facts)


def test_deleting_the_routed_instance_waits_under_block_with_players() -> None:
    outcome = _delete("block", 3)
    assert outcome.outputs is None and outcome.control is not None and outcome.control.retry_after
    assert outcome.status["conditions"][0]["reason"] == "BlockedByPlayers"
    assert _events(outcome) == ["DeleteBlockedByPlayers"]
    waiting = [{"type": "Deleted", "status": "False", "reason": "BlockedByPlayers"}]
    assert _events(_delete("block", 3, waiting)) == []  # the wait was recorded: no second Event


@pytest.mark.parametrize(("policy", "players"), [("block", 0), ("grace", 0), ("warn", 3), (None, 3)])
def test_deleting_goes_when_the_guard_allows_or_nothing_is_routed(policy: str | None, players: int) -> None:
    outcome = _delete(policy, players)
    assert outcome.control is None
    assert outcome.status["conditions"][0]["status"] == "True"
    assert ("were disconnected" in outcome.status["message"]) == (policy == "warn")
