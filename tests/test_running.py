"""The one 'runs' rule, the data guard's version rules and the accepted-spec record, as tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from foundry_lib.accepted import accepted_record, accepted_view
from foundry_lib.data_guard import check_copy_source_version, check_pool_version, version_key
from foundry_lib.errors import UserError
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.running import Peer, running_on, runs, started_since, stops_on_standby
from foundry_lib.volumes import VolumeKind

POOL = "pvc://ns/foundry-alpha-worlds/data"


@pytest.mark.parametrize(
    ("status", "expected", "reason"),
    [
        ({"replicas": 1}, True, "its last Work asks for one replica"),
        ({"replicas": 0}, False, "its last Work is scaled to zero"),
        ({"replicas": 1, "message": "refused: ..."}, True, "a refusal keeps the running Work"),
        ({}, False, "never rendered"),
        ({"volumes": {"worlds": {"location": POOL}}}, True, "rendered before replicas was recorded: unknown"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_runs_reads_what_the_last_work_asks_for(status: dict[str, Any], expected: bool, reason: str) -> None:
    assert runs(status) is expected


def _license(**spec: Any) -> FoundryLicenseSpec:
    return FoundryLicenseSpec.model_validate(
        {"licenseSecretRef": {"name": "s", "key": "k"}, "baseDomain": "vtt.example.com", **spec}
    )


def _instance(worlds: str = "new", plugins: str = "new") -> FoundryInstanceSpec:
    def volume(mode: str) -> dict[str, Any]:
        return {"mode": mode} if mode != "dependent" else {"mode": "shared", "source": {"instance": "o"}}

    return FoundryInstanceSpec.model_validate(
        {"licenseRef": {"name": "l"}, "volumes": {"worlds": volume(worlds), "plugins": volume(plugins)}}
    )


@pytest.mark.parametrize(
    ("scale_to_zero", "worlds", "plugins", "expected"),
    [
        (False, "new", "new", False),
        (True, "new", "new", True),
        (False, "shared", "new", True),
        (False, "dependent", "new", True),
        (False, "new", "shared", True),
        (False, "new", "dependent", True),
        (False, "copied-like-new", "new", False),
    ],
)
def test_stops_on_standby_covers_scale_to_zero_and_every_pool_member(
    scale_to_zero: bool, worlds: str, plugins: str, expected: bool
) -> None:
    lic = _license(standby={"scaleToZero": scale_to_zero})
    inst = _instance("new" if worlds == "copied-like-new" else worlds, plugins)
    assert stops_on_standby(lic, inst) is expected


def _peer(name: str, replicas: int | None, location: str = POOL, **status: Any) -> Peer:
    recorded: dict[str, Any] = {"volumes": {"worlds": {"mode": "shared", "location": location}}, **status}
    if replicas is not None:
        recorded["replicas"] = replicas
    return Peer(name, recorded)


def test_running_on_names_every_other_running_server_on_the_pool() -> None:
    peers = [
        _peer("me", 1),
        _peer("running", 1),
        _peer("stopped", 0),
        _peer("elsewhere", 1, "pvc://ns/other/data"),
        _peer("legacy", None),
    ]
    assert running_on([POOL], peers, "me") == ["legacy", "running"]


@pytest.mark.parametrize(
    ("foundry", "expected"),
    [
        ({"reachable": True, "startedAt": "2026-11-28T20:05:00Z"}, True),
        ({"reachable": True, "startedAt": "2026-11-28T19:55:00Z"}, False),  # the old pod answered
        ({"reachable": False, "startedAt": "2026-11-28T20:05:00Z"}, False),
        ({"reachable": True, "checkedAt": "2026-11-28T20:05:00Z"}, False),  # no start time: not done
        ({"reachable": True, "startedAt": "garbage"}, False),
    ],
)
def test_a_one_shot_is_done_only_when_foundry_started_after_it(
    foundry: dict[str, Any], expected: bool
) -> None:
    moment = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert started_since({"foundry": foundry}, moment) is expected


def _versioned(name: str, version: str, location: str = POOL, **volume: Any) -> Peer:
    entry = {"mode": "shared", "location": location, **volume}
    return Peer(
        name, {"foundryVersion": {"resolved": version}, "volumes": {"worlds": entry, "plugins": entry}}
    )


@pytest.mark.parametrize(
    ("kind", "owner", "mine", "refused"),
    [
        (VolumeKind.WORLDS, "13.351", "13.351", False),
        (VolumeKind.WORLDS, "13.351", "13.348", True),  # older: cannot open migrated worlds
        (VolumeKind.WORLDS, "13.348", "13.351", True),  # newer: would migrate them away from the owner
        (VolumeKind.PLUGINS, "13.348", "13.351", False),  # same generation is enough for packs
        (VolumeKind.PLUGINS, "13.351", "14.359", True),
    ],
)
def test_pool_members_run_the_owners_version(kind: VolumeKind, owner: str, mine: str, refused: bool) -> None:
    peers = [
        _versioned("owner", owner),
        _versioned("other-dependent", "12.331", source={"instance": "owner"}),
    ]
    if refused:
        with pytest.raises(UserError, match="owner") as err:
            check_pool_version(kind, POOL, mine, peers, "me")
        assert err.value.reason == "PoolVersionMismatch"
    else:
        check_pool_version(kind, POOL, mine, peers, "me")


@pytest.mark.parametrize(
    ("source", "mine", "refused"), [("13.351", "13.348", True), ("13.348", "13.351", False)]
)
def test_a_copy_never_takes_data_a_newer_core_opened(source: str, mine: str, refused: bool) -> None:
    peers = [_versioned("alpha", source, "pvc://ns/foundry-alpha-worlds/data")]
    if refused:
        with pytest.raises(UserError, match=source):
            check_copy_source_version(
                VolumeKind.WORLDS, "pvc://ns/foundry-alpha-worlds/data", mine, peers, "me"
            )
    else:
        check_copy_source_version(VolumeKind.WORLDS, "pvc://ns/foundry-alpha-worlds/data", mine, peers, "me")


@pytest.mark.parametrize(
    ("text", "key"), [("13.351", (13, 351)), ("13.351.2", (13, 351)), ("latest", None), (None, None)]
)
def test_version_key(text: object, key: tuple[int, int] | None) -> None:
    assert version_key(text) == key


def test_readers_see_the_last_accepted_spec_of_a_refused_edit() -> None:
    accepted = accepted_record(_instance("shared"), 3)
    obj = {"metadata": {"generation": 4}, "spec": {"bogus": True}, "status": {"accepted": accepted}}
    assert accepted_view(obj)["spec"] == accepted["spec"]
    assert FoundryInstanceSpec.model_validate(accepted["spec"]) == _instance("shared")  # round-trips
    current = {**obj, "metadata": {"generation": 3}}
    assert accepted_view(current) is current  # the current spec is the accepted one
    never = {"metadata": {"generation": 1}, "spec": {"x": 1}, "status": {}}
    assert accepted_view(never) is never  # nothing accepted yet: the spec as it is
