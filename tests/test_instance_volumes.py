"""instance_volumes across the license's instances: who depends on a pool, which sources were let go
of, and the snapshot steps taken before a version change."""

from __future__ import annotations

from typing import Any

import pytest

from foundry_lib.instance_volumes import (
    Neighbourhood,
    dependents_of,
    detached_sources,
    snapshot_steps,
    started_after,
)
from foundry_lib.models.common import StorageBackend
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.request import Request, parse_request
from foundry_lib.volume_places import Place, Root, StorageContext
from foundry_lib.volume_plan import VolumePlan
from foundry_lib.volumes import Move, Script, VolumeKind

WORLDS, PLUGINS = VolumeKind.WORLDS, VolumeKind.PLUGINS
OWN_POOL = "nfs://nas/srv/shared/ns/owner/worlds"


def _inst(
    name: str, worlds: dict[str, Any], status: dict[str, Any] | None = None
) -> Request[FoundryInstanceSpec]:
    obj = {
        "metadata": {
            "name": name,
            "namespace": "ns",
            "creationTimestamp": f"2026-01-01T00:00:0{len(name) % 10}Z",
        },
        "spec": {"licenseRef": {"name": "guild"}, "volumes": {"worlds": worlds}},
        "status": status or {},
    }
    return parse_request(obj, FoundryInstanceSpec)


def _ctx(name: str) -> StorageContext:
    return StorageContext("ns", name, StorageBackend.NFS, "nas", "/srv/instances", "/srv/shared/ns")


def _hood(me: Request[FoundryInstanceSpec], *others: Request[FoundryInstanceSpec]) -> Neighbourhood:
    siblings = [me, *others]
    return Neighbourhood(me, siblings, "guild", {s.name: _ctx(s.name) for s in siblings})


OWNER = _inst("owner", {"mode": "shared"}, {"volumes": {"worlds": {"mode": "shared", "location": OWN_POOL}}})
SHARED_BY_NAME = {"mode": "shared", "source": {"instance": "owner"}}
RECORDED_DEPENDENT = {
    "volumes": {"worlds": {"mode": "shared", "source": {"instance": "owner"}, "location": OWN_POOL}}
}


@pytest.mark.parametrize(
    ("other", "expected", "reason"),
    [
        (_inst("dep", SHARED_BY_NAME), ("dep",), "its spec names the owner"),
        (_inst("dep", {"mode": "new"}, RECORDED_DEPENDENT), ("dep",), "its status still mounts the pool"),
        (
            _inst("dep", {"mode": "shared", "source": {"path": "owner/worlds"}}),
            ("dep",),
            "by path to the pool folder",
        ),
        (
            _inst("dep", {"mode": "shared", "source": {"path": "owner/worlds/maps"}}),
            ("dep",),
            "a folder inside the pool is the same pool",
        ),
        (_inst("dep", {"mode": "shared", "source": {"path": "other/worlds"}}), (), "another pool"),
        (
            _inst("dep", {"mode": "copied", "source": {"instance": "owner"}}),
            (),
            "a copy does not mount the pool",
        ),
        (_inst("dep", {"mode": "new"}), (), "unrelated"),
    ],
)
def test_dependents_of_a_pool(
    other: Request[FoundryInstanceSpec], expected: tuple[str, ...], reason: str
) -> None:
    assert dependents_of(_hood(OWNER, other), WORLDS) == expected, reason


def test_dependents_are_listed_once_sorted_and_never_include_the_owner() -> None:
    hood = _hood(OWNER, _inst("zeta", SHARED_BY_NAME), _inst("beta", {"mode": "new"}, RECORDED_DEPENDENT))
    assert dependents_of(hood, WORLDS) == ("beta", "zeta")
    assert dependents_of(hood, PLUGINS) == ()


@pytest.mark.parametrize(
    ("worlds", "recorded_source", "expected", "reason"),
    [
        ({"mode": "new"}, "owner", {"owner"}, "detached from the source: it may wait for that"),
        (
            {"mode": "copied", "source": {"instance": "other"}},
            "owner",
            {"owner"},
            "switched to another source",
        ),
        (SHARED_BY_NAME, "owner", set(), "still attached"),
        ({"mode": "new"}, None, set(), "never had a source"),
    ],
)
def test_detached_sources_are_the_ones_let_go_of(
    worlds: dict[str, Any], recorded_source: str | None, expected: set[str], reason: str
) -> None:
    seen: dict[str, Any] = {"mode": "shared", "location": OWN_POOL}
    if recorded_source:
        seen["source"] = {"instance": recorded_source}
    me = _inst("me", worlds, {"volumes": {"worlds": seen}})
    assert detached_sources(_hood(me, OWNER)) == expected, reason


def _plan(kind: VolumeKind, place: Place) -> VolumePlan:
    return VolumePlan(kind, Move.KEEP, place, (), {})


def test_snapshot_steps_copy_each_volume_aside_beside_its_data() -> None:
    worlds = Place(Root.SHARED, "owner/worlds")
    plugins = Place(Root.CLAIM, "data", "foundry-me-plugins")
    steps, where = snapshot_steps(
        [_plan(WORLDS, worlds), _plan(PLUGINS, plugins)], "12.331", "13.345", "20260501T120000Z", 3
    )
    assert [s.name for s in steps] == ["snapshot-worlds", "snapshot-plugins"]
    assert all(s.script is Script.SNAPSHOT for s in steps)
    assert where == {
        "worlds": Place(Root.SHARED, "owner/backups/worlds/20260501T120000Z-12.331-to-13.345"),
        "plugins": Place(Root.CLAIM, "backups/data/20260501T120000Z-12.331-to-13.345", "foundry-me-plugins"),
    }
    assert steps[0].args == (worlds, where["worlds"], "12.331-to-13.345", "3"), "source, target, name, keep"


def test_snapshot_steps_are_the_same_on_every_rerun() -> None:
    plans = [_plan(WORLDS, Place(Root.INSTANCES, "ns/me/worlds"))]
    assert snapshot_steps(plans, "12.331", "13.345", "20260501T120000Z", 3) == snapshot_steps(
        plans, "12.331", "13.345", "20260501T120000Z", 3
    )


@pytest.mark.parametrize(
    ("at", "started_at", "expected", "reason"),
    [
        (
            "20260501T120000Z",
            "2026-05-01T12:05:00Z",
            True,
            "Foundry started after the transition: its steps ran",
        ),
        ("20260501T120000Z", "2026-05-01T11:00:00Z", False, "the running server predates the transition"),
        (None, "2026-05-01T12:05:00Z", False, "no transition recorded"),
        ("None", "2026-05-01T12:05:00Z", False, "an unreadable stamp never counts as done"),
    ],
)
def test_a_transitions_steps_are_done_once_foundry_started_after_it(
    at: str | None, started_at: str, expected: bool, reason: str
) -> None:
    inst = _inst("me", {"mode": "new"}, {"foundry": {"reachable": True, "startedAt": started_at}})
    assert started_after(inst, at) is expected, reason
