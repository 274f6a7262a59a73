"""What must happen to an instance's worlds and plugins before Foundry starts, and where they end up.

`plan_volume` decides the move for one volume (`volumes.decide_move`) and places it on the roots of
`volume_places`, one small named step per move. Steps (archive, copy, snapshot) run as init containers
with the scripts in foundry_lib/data. Each is a one-shot tied to the transition that asked for it: it
carries the transition's id, leaves a `.foundry-step-<id>` marker on the volume it protects (so it never
runs twice, even when someone removes an archive or a copy marker), and is rendered only until Foundry
has started after it (`steps_done`). A CSI clone claim renders the same `dataSource` on every run: a PVC
spec is immutable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from foundry_lib.volume_places import Place, Root, StorageContext
from foundry_lib.volumes import Mode, Move, ObservedVolume, Script, VolumeKind, VolumeRequest, decide_move


@dataclass(frozen=True)
class Step:
    """One init container: a script and its arguments (places are mounted, strings passed as is)."""

    name: str
    script: Script
    args: tuple[Place | str, ...]


@dataclass(frozen=True)
class VolumePlan:
    kind: VolumeKind
    move: Move
    place: Place
    steps: tuple[Step, ...]
    status: dict[str, Any]
    clone_from: str | None = (
        None  # CSI clone source claim, chosen at creation and kept (PVC spec is immutable)
    )


STAMP_FORMAT = "%Y%m%dT%H%M%SZ"  # a transition's stamp: names its steps, archives and snapshots


def stamp(now: datetime) -> str:
    return now.strftime(STAMP_FORMAT)


def _since_stamp(observed: Mapping[str, Any] | None, now: datetime) -> str:
    """Archive folders are named once, at the transition, and read back from status afterwards."""
    return str((observed or {}).get("stamp") or stamp(now))


def plan_volume(
    kind: VolumeKind,
    ctx: StorageContext,
    request: VolumeRequest,
    observed_raw: Mapping[str, Any] | None,
    *,
    source: Place | None,
    dependents: tuple[str, ...],
    now: datetime,
    csi_clone: bool,
    steps_done: bool = False,
) -> VolumePlan:
    """Decide the move for one volume and where everything is; `source` is the resolved source place.
    `steps_done`: Foundry started after the recorded transition, so its one-shot steps are not rendered."""
    where = f"status.volumes.{kind}"
    observed = ObservedVolume.from_status(observed_raw, field=where)
    move = decide_move(kind, observed, request, dependents=dependents)
    keep = move is Move.KEEP
    facts = _MoveFacts(
        kind=kind,
        ctx=ctx,
        request=request,
        observed=observed,
        observed_raw=observed_raw or {},
        current=ctx.parse(observed.location, where) if observed else None,
        source=source,
        transition=_since_stamp(observed_raw, now) if keep else stamp(now),
        csi_clone=csi_clone,
        steps_done=steps_done,
    )
    placed = _PLACE_BY_MOVE[move](facts)
    _add_copy_steps(facts, placed, move, pending=not keep or not steps_done)
    if placed.steps or not keep:
        placed.extra["stamp"] = facts.transition
    new_observed = ObservedVolume(
        mode=request.mode,
        source_instance=request.source_instance,
        source_path=request.source_path,
        location=ctx.location(placed.place),
        since=observed.since if observed and keep else now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    status = {**new_observed.to_status(), **placed.extra}
    return VolumePlan(kind, move, placed.place, tuple(placed.steps), status, placed.clone_from)


@dataclass(frozen=True)
class _MoveFacts:
    """What every move reads: the request, what status recorded, and the transition's stamp."""

    kind: VolumeKind
    ctx: StorageContext
    request: VolumeRequest
    observed: ObservedVolume | None
    observed_raw: Mapping[str, Any]
    current: Place | None  # where status says the volume is now
    source: Place | None  # the resolved source place
    transition: str  # the stamp naming this transition's steps and archives
    csi_clone: bool
    steps_done: bool

    @property
    def status_field(self) -> str:
        return f"status.volumes.{self.kind}"

    def now_at(self) -> Place:
        assert self.current is not None, "decide_move chose a move that needs an observed volume"
        return self.current


@dataclass
class _Placed:
    """Where a move puts the volume, the steps it needs and the extra status it records."""

    place: Place
    source: Place | None
    steps: list[Step] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    clone_from: str | None = None


_KEPT_KEYS = ("archive", "archiveOf", "sourceLocation", "stamp", "cloneFrom")


def _keep(f: _MoveFacts) -> _Placed:
    """Render as before, from what status recorded: an unfinished archive is rendered again, and a
    copied volume keeps the source it was copied from."""
    extra = {k: f.observed_raw[k] for k in _KEPT_KEYS if k in f.observed_raw}
    placed = _Placed(f.now_at(), f.source, extra=extra)
    placed.clone_from = str(extra["cloneFrom"]) if extra.get("cloneFrom") else None
    if "archiveOf" in extra and not f.steps_done:
        of, to = (f.ctx.parse(str(extra[k]), f.status_field) for k in ("archiveOf", "archive"))
        placed.steps.append(
            Step(f"archive-{f.kind}", Script.VOLUME_ARCHIVE, (of, to, _step_id(f.kind, f.transition)))
        )
    if f.request.mode is Mode.COPIED and extra.get("sourceLocation"):
        placed.source = f.ctx.parse(str(extra["sourceLocation"]), f.status_field)
    return placed


def _create(f: _MoveFacts) -> _Placed:
    """First run: a pool at its source (or its own pool home), else a private volume, which a CSI
    clone of a claim source fills when the platform allows it."""
    if f.request.mode is Mode.SHARED:
        return _Placed(f.source if f.source is not None else f.ctx.pool_home(f.kind), f.source)
    place = f.ctx.private(f.kind)
    placed = _Placed(place, f.source)
    source = f.source
    if f.request.mode is Mode.COPIED and source is not None and f.csi_clone and source.root is Root.CLAIM:
        placed.clone_from = source.claim if place.root is Root.CLAIM else None
    if placed.clone_from:
        placed.extra["cloneFrom"] = placed.clone_from
    return placed


def _in_place(f: _MoveFacts) -> _Placed:
    """The data stays where it is (a copy into it is added by `_add_copy_steps`)."""
    return _Placed(f.now_at(), f.source)


def _attach_to_pool(f: _MoveFacts) -> _Placed:
    """Archive the private data, then mount the pool."""
    current, source = f.now_at(), f.source
    assert source is not None, "attaching to a pool needs its resolved place"
    archive = _archive_of(current, f.kind, f.transition)
    placed = _Placed(source, source)
    placed.extra.update(archive=f.ctx.location(archive), archiveOf=f.ctx.location(current))
    placed.steps.append(
        Step(f"archive-{f.kind}", Script.VOLUME_ARCHIVE, (current, archive, _step_id(f.kind, f.transition)))
    )
    return placed


def _snapshot_pool(f: _MoveFacts) -> _Placed:
    """Copy the pool into a private volume (a new folder when the private one is the pool itself)."""
    current, private = f.now_at(), f.ctx.private(f.kind)
    leaf = private.path.rpartition("/")[2]
    place = private if private != current else private.sibling("", f"{leaf}-copy-{f.transition}")
    return _Placed(place, f.source)


def _detach_from_pool(f: _MoveFacts) -> _Placed:
    """The owner keeps its data in place, a dependent gets a fresh private volume."""
    current = f.now_at()
    assert f.observed is not None
    return _Placed(current if f.observed.is_pool_owner else f.ctx.private(f.kind), f.source)


_PLACE_BY_MOVE: Mapping[Move, Callable[[_MoveFacts], _Placed]] = {
    Move.KEEP: _keep,
    Move.CREATE: _create,
    Move.CLONE_INTO: _in_place,
    Move.CONVERT_TO_SHARED: _in_place,
    Move.DETACH_COPY: _in_place,
    Move.ATTACH_TO_POOL: _attach_to_pool,
    Move.SNAPSHOT_POOL: _snapshot_pool,
    Move.DETACH_FROM_POOL: _detach_from_pool,
}


def _add_copy_steps(f: _MoveFacts, placed: _Placed, move: Move, *, pending: bool) -> None:
    """A copied volume not filled by a CSI clone copies its source in (archiving what it held first
    on clone-into); `pending`: the transition's one-shot steps still need to run."""
    source = placed.source
    if f.request.mode is not Mode.COPIED or source is None or placed.clone_from is not None:
        return
    step_id = _step_id(f.kind, f.transition)
    if pending and (move is Move.CLONE_INTO or (move is Move.KEEP and "archive" in placed.extra)):
        archive = _archive_of(placed.place, f.kind, f.transition)
        placed.extra["archive"] = f.ctx.location(archive)
        placed.steps.append(
            Step(f"archive-{f.kind}", Script.VOLUME_ARCHIVE, (placed.place, archive, step_id))
        )
    if pending:
        placed.steps.append(Step(f"copy-{f.kind}", Script.VOLUME_COPY, (source, placed.place, step_id)))
    placed.extra["sourceLocation"] = f.ctx.location(source)


def _step_id(kind: VolumeKind, transition: str) -> str:
    """The one-shot id of a volume transition's steps: the marker `.foundry-step-<id>` records it."""
    return f"{kind}-{transition}"


def _archive_of(place: Place, kind: VolumeKind, transition: str) -> Place:
    return place.sibling("archive", f"{kind}-{transition}")
