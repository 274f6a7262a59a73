"""plan_volume, one row per move: where the volume ends up, which one-shot steps protect its data, and
what status records so the next run (and other instances) find it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from foundry_lib.errors import UserError
from foundry_lib.models.common import StorageBackend
from foundry_lib.volume_places import Place, Root, StorageContext
from foundry_lib.volume_plan import plan_volume
from foundry_lib.volumes import Mode, Move, VolumeKind, VolumeRequest, VolumeTransitionError

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
STAMP = "20260501T120000Z"
BEFORE = "2026-04-01T08:00:00Z"
PVC = StorageContext("ns", "alpha", StorageBackend.PVC, None, "/srv/instances", None)
NFS = StorageContext("ns", "alpha", StorageBackend.NFS, "nas", "/srv/instances", "/srv/shared/ns")
WORLDS = VolumeKind.WORLDS
PRIVATE = PVC.location(PVC.private(WORLDS))  # this instance's own claim
SOURCE = Place(Root.CLAIM, "data", "foundry-beta-worlds")  # another instance's claim
POOL = Place(Root.SHARED, "beta/worlds")  # another instance's pool under the shared root


def _observed(mode: str, location: str, **extra: Any) -> dict[str, Any]:
    return {"mode": mode, "location": location, "since": BEFORE, **extra}


# case, request, observed status, source place, expected move, location, init steps, reason
ROWS: list[tuple[str, VolumeRequest, dict[str, Any] | None, Place | None, Move, str, list[str], str]] = [
    ("create new", VolumeRequest(Mode.NEW), None, None, Move.CREATE, PRIVATE, [], "fresh private claim"),
    (
        "create copied",
        VolumeRequest(Mode.COPIED, "beta"),
        None,
        SOURCE,
        Move.CREATE,
        PRIVATE,
        ["copy-worlds"],
        "the source is copied into a private claim before Foundry starts",
    ),
    (
        "create shared dependent",
        VolumeRequest(Mode.SHARED, "beta"),
        None,
        SOURCE,
        Move.CREATE,
        PVC.location(SOURCE),
        [],
        "a dependent mounts the owner's pool itself",
    ),
    (
        "keep new",
        VolumeRequest(Mode.NEW),
        _observed("new", PRIVATE),
        None,
        Move.KEEP,
        PRIVATE,
        [],
        "nothing changed, nothing runs",
    ),
    (
        "clone into",
        VolumeRequest(Mode.COPIED, "beta"),
        _observed("new", PRIVATE),
        SOURCE,
        Move.CLONE_INTO,
        PRIVATE,
        ["archive-worlds", "copy-worlds"],
        "the current data is archived before the source is copied in",
    ),
    (
        "convert to shared",
        VolumeRequest(Mode.SHARED),
        _observed("new", PRIVATE),
        None,
        Move.CONVERT_TO_SHARED,
        PRIVATE,
        [],
        "published as a pool in place: no data moves",
    ),
    (
        "attach to pool",
        VolumeRequest(Mode.SHARED, "beta"),
        _observed("new", PRIVATE),
        SOURCE,
        Move.ATTACH_TO_POOL,
        PVC.location(SOURCE),
        ["archive-worlds"],
        "the private data is archived, then the pool is mounted",
    ),
    (
        "detach copy",
        VolumeRequest(Mode.NEW),
        _observed("copied", PRIVATE, source={"instance": "beta"}),
        None,
        Move.DETACH_COPY,
        PRIVATE,
        [],
        "same data, the relation to the source is dropped",
    ),
    (
        "snapshot pool",
        VolumeRequest(Mode.COPIED, "beta"),
        _observed("shared", PVC.location(SOURCE), source={"instance": "beta"}),
        SOURCE,
        Move.SNAPSHOT_POOL,
        PRIVATE,
        ["copy-worlds"],
        "the pool is copied into a private claim and left untouched",
    ),
    (
        "dependent detaches from pool",
        VolumeRequest(Mode.NEW),
        _observed("shared", PVC.location(SOURCE), source={"instance": "beta"}),
        None,
        Move.DETACH_FROM_POOL,
        PRIVATE,
        [],
        "a dependent gets a fresh private volume",
    ),
    (
        "owner leaves its pool",
        VolumeRequest(Mode.NEW),
        _observed("shared", PRIVATE),
        None,
        Move.DETACH_FROM_POOL,
        PRIVATE,
        [],
        "the owner keeps its data where it is",
    ),
]


@pytest.mark.parametrize(
    ("case", "request_", "observed", "source", "move", "location", "steps", "reason"),
    ROWS,
    ids=[row[0] for row in ROWS],
)
def test_each_move_places_the_volume_and_protects_its_data(
    case: str,
    request_: VolumeRequest,
    observed: dict[str, Any] | None,
    source: Place | None,
    move: Move,
    location: str,
    steps: list[str],
    reason: str,
) -> None:
    plan = plan_volume(
        WORLDS, PVC, request_, observed, source=source, dependents=(), now=NOW, csi_clone=False
    )
    assert plan.move is move, reason
    assert plan.status["location"] == location, reason
    assert plan.status["mode"] == request_.mode
    assert [s.name for s in plan.steps] == steps, reason
    assert all(s.args[-1] == f"worlds-{STAMP}" for s in plan.steps), "one-shot id of this transition"


def test_a_kept_volume_keeps_its_since_and_a_changed_one_restarts_it() -> None:
    kept = plan_volume(
        WORLDS,
        PVC,
        VolumeRequest(Mode.NEW),
        _observed("new", PRIVATE),
        source=None,
        dependents=(),
        now=NOW,
        csi_clone=False,
    )
    changed = plan_volume(
        WORLDS,
        PVC,
        VolumeRequest(Mode.SHARED),
        _observed("new", PRIVATE),
        source=None,
        dependents=(),
        now=NOW,
        csi_clone=False,
    )
    assert kept.status["since"] == BEFORE and "stamp" not in kept.status
    assert changed.status["since"] == "2026-05-01T12:00:00Z" and changed.status["stamp"] == STAMP


def test_attach_records_where_the_private_data_was_archived() -> None:
    plan = plan_volume(
        WORLDS,
        PVC,
        VolumeRequest(Mode.SHARED, "beta"),
        _observed("new", PRIVATE),
        source=SOURCE,
        dependents=(),
        now=NOW,
        csi_clone=False,
    )
    assert plan.status["archiveOf"] == PRIVATE
    assert plan.status["archive"] == f"pvc://ns/{PVC.private(WORLDS).claim}/archive/worlds-{STAMP}"


@pytest.mark.parametrize(
    ("steps_done", "expected", "reason"),
    [
        (False, ["archive-worlds", "copy-worlds"], "Foundry has not started since: the steps stay rendered"),
        (True, [], "Foundry started after the transition: its one-shot steps are done"),
    ],
)
def test_a_kept_copy_renders_its_steps_until_foundry_started_after_them(
    steps_done: bool, expected: list[str], reason: str
) -> None:
    observed = _observed(
        "copied",
        PRIVATE,
        source={"instance": "beta"},
        sourceLocation=PVC.location(SOURCE),
        archive=f"pvc://ns/{PVC.private(WORLDS).claim}/archive/worlds-{STAMP}",
        stamp=STAMP,
    )
    plan = plan_volume(
        WORLDS,
        PVC,
        VolumeRequest(Mode.COPIED, "beta"),
        observed,
        source=None,
        dependents=(),
        now=NOW,
        csi_clone=False,
        steps_done=steps_done,
    )
    assert [s.name for s in plan.steps] == expected, reason
    assert plan.status["sourceLocation"] == PVC.location(SOURCE), "the recorded source is kept"
    copy = [s for s in plan.steps if s.name == "copy-worlds"]
    assert all(s.args[0] == SOURCE and s.args[-1] == f"worlds-{STAMP}" for s in copy), "same source, same id"


@pytest.mark.parametrize(
    ("csi_clone", "clone_from", "steps", "reason"),
    [
        (True, "foundry-beta-worlds", [], "a CSI clone fills the claim: no copy step"),
        (False, None, ["copy-worlds"], "without CSI cloning the copy runs as an init container"),
    ],
)
def test_a_copy_of_a_claim_is_a_csi_clone_when_the_platform_allows_it(
    csi_clone: bool, clone_from: str | None, steps: list[str], reason: str
) -> None:
    plan = plan_volume(
        WORLDS,
        PVC,
        VolumeRequest(Mode.COPIED, "beta"),
        None,
        source=SOURCE,
        dependents=(),
        now=NOW,
        csi_clone=csi_clone,
    )
    assert plan.clone_from == clone_from, reason
    assert plan.status.get("cloneFrom") == clone_from
    assert [s.name for s in plan.steps] == steps, reason


def test_a_pool_owner_on_nfs_lives_under_the_licenses_shared_root() -> None:
    plan = plan_volume(
        WORLDS, NFS, VolumeRequest(Mode.SHARED), None, source=None, dependents=(), now=NOW, csi_clone=False
    )
    assert plan.status["location"] == "nfs://nas/srv/shared/ns/alpha/worlds"


def test_a_snapshot_of_its_own_pool_goes_to_a_new_folder() -> None:
    own = NFS.location(NFS.private(WORLDS))
    plan = plan_volume(
        WORLDS,
        NFS,
        VolumeRequest(Mode.COPIED, "beta"),
        _observed("shared", own, source={"instance": "beta"}),
        source=POOL,
        dependents=(),
        now=NOW,
        csi_clone=False,
    )
    assert plan.status["location"] == f"{own}-copy-{STAMP}", "never copied onto the folder it is read from"


@pytest.mark.parametrize(
    ("observed", "request_", "dependents", "reason"),
    [
        (
            _observed("copied", PRIVATE, source={"instance": "beta"}),
            VolumeRequest(Mode.SHARED),
            (),
            "a copy cannot become a pool in place",
        ),
        (
            _observed("shared", PRIVATE),
            VolumeRequest(Mode.NEW),
            ("gamma",),
            "an owner cannot leave a pool others depend on",
        ),
    ],
)
def test_moves_that_could_lose_data_are_refused(
    observed: dict[str, Any], request_: VolumeRequest, dependents: tuple[str, ...], reason: str
) -> None:
    with pytest.raises(VolumeTransitionError, match=r"spec\.volumes\.worlds|worlds") as err:
        plan_volume(
            WORLDS, PVC, request_, observed, source=None, dependents=dependents, now=NOW, csi_clone=False
        )
    assert err.value.reason == "VolumeTransitionRefused", reason


def test_a_location_from_elsewhere_is_refused_naming_the_status_field() -> None:
    observed = _observed("new", "nfs://other/srv/elsewhere/ns/alpha/worlds")
    with pytest.raises(UserError, match=r"status\.volumes\.worlds") as err:
        plan_volume(
            WORLDS,
            PVC,
            VolumeRequest(Mode.NEW),
            observed,
            source=None,
            dependents=(),
            now=NOW,
            csi_clone=False,
        )
    assert err.value.reason == "VolumeLocationUnknown"
