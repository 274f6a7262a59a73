"""The activation request decision, without I/O: each phase change from the facts a run gathers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from foundry_lib.activation import (
    ActivationFacts,
    expired_requests,
    open_request,
    plan_activation,
    requests_to_wake,
)
from foundry_lib.conditions import rfc3339
from foundry_lib.errors import UserError
from foundry_lib.models.activation import FoundryActivationRequestSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import parse_request
from foundry_lib.outcome import SetActiveInstance
from foundry_lib.settings import PlatformSettings

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
CREATED = "2026-11-28T19:50:00Z"  # ten minutes ago; requestTTL 1h → expires 20:50
OWNER = "discord:111"
BETA = {"metadata": {"name": "beta", "namespace": "guild"}, "spec": {"licenseRef": {"name": "dungeons"}}}


def _request(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryActivationRequest",
        "metadata": {"name": "play", "namespace": "guild", "creationTimestamp": CREATED},
        "spec": {"instanceRef": {"name": "beta"}, "requestedBy": {"source": "kubectl"}, **spec},
        "status": status or {},
    }


def _license(
    approval: str = "manual", *, active: str = "alpha", wanted: str = "alpha", **status: Any
) -> dict[str, Any]:
    return {
        "metadata": {"name": "dungeons", "namespace": "guild", "generation": 1},
        "spec": {
            "licenseSecretRef": {"name": "key", "key": "licenseKey"},
            "baseDomain": "example.com",
            "activeInstanceName": wanted,
            "activation": {"approval": approval, "idleFor": "10m", "requestTTL": "1h"},
            "ownership": {"discordUserId": "111", "allowedActivators": [{"discordUserId": "555"}]},
        },
        "status": {"activeInstance": active, **status},
    }


def _players(count: int | None) -> dict[str, Any]:
    return {"status": {"connectedPlayers": count, "foundry": {"checkedAt": "2026-11-28T19:59:50Z"}}}


@dataclass
class Facts:
    request: dict[str, Any] = field(default_factory=_request)
    instance: dict[str, Any] | None = field(default_factory=lambda: BETA)
    license: dict[str, Any] = field(default_factory=_license)
    routed: dict[str, Any] | None = None
    others: list[dict[str, Any]] = field(default_factory=list)
    now: datetime = NOW

    def build(self) -> ActivationFacts:
        return ActivationFacts(
            request=parse_request(self.request, FoundryActivationRequestSpec),
            instance=self.instance,
            license=parse_request(self.license, FoundryLicenseSpec),
            license_now=self.license,
            routed=self.routed,
            requests=[self.request, *self.others],
            settings=PlatformSettings(),
            now=self.now,
        )


SWITCH = (SetActiveInstance("guild", "dungeons", "beta"),)


def _other(name: str, created: str, phase: str | None = None) -> dict[str, Any]:
    other = _request({"phase": phase} if phase else {})
    other["metadata"] = {"name": name, "namespace": "guild", "creationTimestamp": created}
    return other


@pytest.mark.parametrize(
    ("case", "facts", "phase", "effects", "retry_in", "says"),
    [
        (
            "manual waits for a person until it expires",
            Facts(),
            "Pending",
            (),
            50 * 60,
            "waiting for approval",
        ),
        (
            "auto approves at once",
            Facts(license=_license("auto")),
            "Approved",
            SWITCH,
            30,
            "approved automatically",
        ),
        (
            "auto with the switch already asked for patches nothing",
            Facts(license=_license("auto", wanted="beta")),
            "Approved",
            (),
            30,
            "goes live once the switch is done",
        ),
        (
            "autoWhenIdle approves when the live instance has no players",
            Facts(license=_license("autoWhenIdle"), routed=_players(0)),
            "Approved",
            SWITCH,
            30,
            "alpha has had no players for 10 minutes",
        ),
        (
            "autoWhenIdle waits while players are on",
            Facts(license=_license("autoWhenIdle"), routed=_players(3)),
            "Pending",
            (),
            10 * 60,
            "waiting: alpha has 3 players",
        ),
        (
            "autoWhenIdle treats an unknown count as busy",
            Facts(license=_license("autoWhenIdle"), routed=_players(None)),
            "Pending",
            (),
            5 * 60,  # created ten minutes ago: it looks again after as long, at most 5m
            "alpha's player count is unknown",
        ),
        (
            "autoWhenIdle approves when nothing is live",
            Facts(license=_license("autoWhenIdle", active="", wanted="")),
            "Approved",
            SWITCH,
            30,
            "no instance is live",
        ),
        (
            "the owner approves",
            Facts(_request(decision={"approved": True, "by": OWNER})),
            "Approved",
            SWITCH,
            30,
            "approved by discord:111",
        ),
        (
            "an allowed activator denies",
            Facts(_request(decision={"approved": False, "by": "discord:555"})),
            "Denied",
            (),
            None,
            "denied by discord:555",
        ),
        (
            "a stranger's decision is refused and the request stays pending",
            Facts(_request(decision={"approved": True, "by": "discord:999"})),
            "Pending",
            (),
            50 * 60,
            "decision by discord:999 does not count",
        ),
        (
            "nobody decided within requestTTL",
            Facts(now=NOW + timedelta(minutes=50)),
            "Expired",
            (),
            None,
            "nobody approved activating beta in time",
        ),
        (
            "the instance is already live",
            Facts(license=_license(active="beta")),
            "Completed",
            (),
            None,
            "beta is live",
        ),
        (
            "approved, and the license now routes it",
            Facts(_request({"phase": "Approved"}), license=_license(active="beta", wanted="beta")),
            "Completed",
            (),
            None,
            "beta is live",
        ),
        (
            "approved, the switch still waits for players",
            Facts(
                _request({"phase": "Approved"}),
                license=_license(
                    wanted="beta",
                    message="waiting for 3 players to leave alpha",
                    retry={"attempts": 2, "reason": "PlayersConnected"},
                    conditions=[{"type": "Accepted", "status": "False", "reason": "PlayersConnected"}],
                ),
            ),
            "Approved",
            (),
            5 * 60,
            "(waiting for 3 players to leave alpha)",
        ),
        (
            "approved, then someone chose another instance",
            Facts(_request({"phase": "Approved"}), license=_license(wanted="gamma")),
            "Failed",
            (),
            None,
            "the license was switched to gamma before beta went live",
        ),
        (
            "approved, the license refuses the switch",
            Facts(
                _request({"phase": "Approved"}),
                license=_license(
                    wanted="beta",
                    conditions=[
                        {
                            "type": "Accepted",
                            "status": "False",
                            "reason": "InstanceLimitReached",
                            "message": "over",
                        }
                    ],
                ),
            ),
            "Failed",
            (),
            None,
            "the license cannot switch to beta: over",
        ),
        (
            "the instance was deleted while pending",
            Facts(_request({"phase": "Pending"}), instance=None),
            "Failed",
            (),
            None,
            "beta was deleted",
        ),
        (
            "the instance is being deleted while approved",
            Facts(
                _request({"phase": "Approved"}), instance={**BETA, "metadata": {"deletionTimestamp": CREATED}}
            ),
            "Failed",
            (),
            None,
            "beta was deleted",
        ),
        (
            "a duplicate folds into the open request",
            Facts(others=[_other("earlier", "2026-11-28T19:55:00Z", "Pending")]),
            "Folded",
            (),
            None,
            "already open (earlier)",
        ),
        (
            "of two new requests the older holds",
            Facts(others=[_other("older", "2026-11-28T19:40:00Z")]),
            "Folded",
            (),
            None,
            "already open (older)",
        ),
        (
            "a finished request is no open one",
            Facts(others=[_other("older", "2026-11-28T19:40:00Z", "Denied")], license=_license("auto")),
            "Approved",
            SWITCH,
            30,
            "approved automatically",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)
def test_each_policy_and_event_moves_the_request(
    case: str, facts: Facts, phase: str, effects: tuple[Any, ...], retry_in: int | None, says: str
) -> None:
    outcome = plan_activation(facts.build())
    assert outcome.status["phase"] == phase, outcome.status["message"]
    assert says in outcome.status["message"]
    assert outcome.effects == effects
    assert outcome.outputs is None
    if retry_in is None:
        assert outcome.control is None
        assert outcome.status["finishedAt"] == rfc3339(facts.now)
    else:
        assert outcome.control is not None and outcome.control.retry_after == timedelta(seconds=retry_in)
        assert "finishedAt" not in outcome.status
    assert outcome.status["expiresAt"] == "2026-11-28T20:50:00Z"


@pytest.mark.parametrize(
    ("case", "decided_ago", "retry_in"),
    [
        ("just approved: one monitor interval", 0, 30),
        ("waited 45s: looks again in 45s", 45, 45),
        ("waited an hour: every five minutes", 3600, 300),
    ],
)
def test_an_approved_request_looks_again_less_often_the_longer_it_waits(
    case: str, decided_ago: int, retry_in: int
) -> None:
    decided = rfc3339(NOW - timedelta(seconds=decided_ago))
    facts = Facts(_request({"phase": "Approved", "decidedAt": decided}), license=_license(wanted="beta"))
    outcome = plan_activation(facts.build())
    assert outcome.status["phase"] == "Approved" and outcome.status["decidedAt"] == decided
    assert outcome.control is not None and outcome.control.retry_after == timedelta(seconds=retry_in), case


def test_decisions_are_timestamped_and_a_fold_names_the_open_request() -> None:
    approved = plan_activation(Facts(_request(decision={"approved": True, "by": OWNER})).build())
    assert approved.status["decidedAt"] == "2026-11-28T20:00:00Z"
    folded = plan_activation(Facts(others=[_other("earlier", "2026-11-28T19:55:00Z", "Approved")]).build())
    assert folded.status["foldedInto"] == "earlier"


def test_a_finished_request_never_changes_again() -> None:
    denied = {"phase": "Denied", "message": "denied by discord:555", "finishedAt": "2026-11-28T19:00:00Z"}
    facts = Facts(_request(denied, decision={"approved": True, "by": OWNER}), license=_license("auto"))
    outcome = plan_activation(facts.build())
    assert dict(outcome.status) == denied and outcome.effects == () and outcome.control is None


@pytest.mark.parametrize(
    ("case", "instance", "says"),
    [
        ("missing", None, "there is no FoundryInstance 'beta' in namespace 'guild'"),
        ("being-deleted", {**BETA, "metadata": {"deletionTimestamp": CREATED}}, "being deleted"),
    ],
)
def test_a_new_request_for_an_instance_that_is_not_there_is_refused(
    case: str, instance: dict[str, Any] | None, says: str
) -> None:
    with pytest.raises(UserError) as refused:
        plan_activation(Facts(instance=instance).build())
    assert (refused.value.reason, refused.value.field) == ("InstanceNotFound", "spec.instanceRef.name")
    assert says in refused.value.message


def test_a_refused_request_holds_nothing() -> None:
    refused = _other("broken", "2026-11-28T19:00:00Z")
    refused["status"] = {"conditions": [{"type": "Accepted", "status": "False", "reason": "InvalidRequest"}]}
    assert open_request([refused, _request()], "beta") == "play"


def _finished(name: str, phase: str, finished: str | None, *, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "guild", "creationTimestamp": "2026-11-01T00:00:00Z"}
    if deleting:
        meta["deletionTimestamp"] = "2026-11-28T19:00:00Z"
    status: dict[str, Any] = {"phase": phase}
    if finished:
        status["finishedAt"] = finished
    return {"metadata": meta, "status": status}


def test_finished_requests_are_deleted_after_the_retention_period() -> None:
    week = timedelta(days=7)
    objects = [
        _finished("completed-8-days-ago", "Completed", "2026-11-20T20:00:00Z"),
        _finished("denied-exactly-7-days-ago", "Denied", "2026-11-21T20:00:00Z"),
        _finished("expired-yesterday", "Expired", "2026-11-27T20:00:00Z"),
        _finished("pending-for-weeks", "Pending", None),
        _finished("approved-for-weeks", "Approved", None),
        _finished("folded-without-finish-time", "Folded", None),
        _finished("failed-already-deleting", "Failed", "2026-11-01T00:00:00Z", deleting=True),
    ]
    assert expired_requests(objects, NOW, week) == [
        ("guild", "completed-8-days-ago"),
        ("guild", "denied-exactly-7-days-ago"),
        ("guild", "folded-without-finish-time"),
    ]


def test_deleting_an_instance_wakes_only_its_open_requests() -> None:
    requests = [
        _other("pending", CREATED, "Pending"),
        _other("approved", CREATED, "Approved"),
        _other("denied", CREATED, "Denied"),
        _other("new", CREATED),
        {**_other("going", CREATED, "Pending"), "metadata": {"name": "going", "deletionTimestamp": CREATED}},
        {**_other("elsewhere", CREATED, "Pending"), "spec": {"instanceRef": {"name": "gamma"}}},
    ]
    assert requests_to_wake(requests, "beta") == ["approved", "pending"]
