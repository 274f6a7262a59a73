"""Where an instance's worlds and plugins live, and what must happen to them before Foundry starts.

A `Place` is a directory on one of three roots: the platform's NFS instance root, the license's
shared NFS root (pools), or a PersistentVolumeClaim. Every place has a location string recorded in
status (`nfs://server/abs/path`, `pvc://namespace/claim/path`), so later runs and other instances
(dependents, copies) find the data where it really is, even after platform defaults change.
Steps (archive, copy, snapshot) run as init containers with the scripts in foundry_lib/data. Each is
a one-shot tied to the transition that asked for it: it carries the transition's id, leaves a
`.foundry-step-<id>` marker on the volume it protects (so it never runs twice, even when someone removes
an archive or a copy marker), and is rendered only until Foundry has started after it (`steps_done`).
A CSI clone claim renders the same `dataSource` on every run: a PVC spec is immutable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from foundry_lib.errors import UserError
from foundry_lib.models.common import StorageBackend
from foundry_lib.names import volume_claim_name
from foundry_lib.volumes import Mode, Move, ObservedVolume, Script, VolumeKind, VolumeRequest, decide_move


class Root(StrEnum):
    INSTANCES = "instances"  # platform NFS instance root (one PV per instance, same export path)
    SHARED = "shared"  # the license's sharedNfsRoot
    CLAIM = "claim"  # a PersistentVolumeClaim of the namespace


@dataclass(frozen=True, order=True)
class Place:
    root: Root
    path: str  # relative to the root; "" is the root itself
    claim: str = ""  # for Root.CLAIM

    def sibling(self, folder: str, leaf: str) -> Place:
        """`<parent>/<folder>/<leaf>`: archives and backups stay on the same filesystem (atomic mv)."""
        parent = self.path.rpartition("/")[0]
        return replace(self, path="/".join(p for p in (parent, folder, leaf) if p))


@dataclass(frozen=True)
class Step:
    """One init container: a script and its arguments (places are mounted, strings passed as is)."""

    name: str
    script: Script
    args: tuple[Place | str, ...]


@dataclass(frozen=True)
class StorageContext:
    """The facts that turn places into locations and back, for one instance."""

    namespace: str
    instance: str
    backend: StorageBackend
    nfs_server: str | None
    instance_root: str
    shared_root: str | None

    def private(self, kind: VolumeKind) -> Place:
        if self.backend is StorageBackend.NFS:
            return Place(Root.INSTANCES, f"{self.namespace}/{self.instance}/{kind}")
        return Place(Root.CLAIM, "data", volume_claim_name(self.instance, str(kind)))

    def pool_home(self, kind: VolumeKind) -> Place:
        """Where a volume created as a pool owner lives: under the license's shared root if it has one."""
        if self.backend is StorageBackend.NFS and self.shared_root:
            return Place(Root.SHARED, f"{self.instance}/{kind}")
        return self.private(kind)

    def location(self, place: Place) -> str:
        if place.root is Root.CLAIM:
            return f"pvc://{self.namespace}/{place.claim}/{place.path}".rstrip("/")
        base = self.instance_root if place.root is Root.INSTANCES else self.shared_root
        return f"nfs://{self.nfs_server}{base}/{place.path}"

    def parse(self, location: str, field: str) -> Place:
        """A recorded location back into a place this instance can mount; refuse anything foreign."""
        pvc_prefix = f"pvc://{self.namespace}/"
        if location.startswith(pvc_prefix):
            claim, _, path = location.removeprefix(pvc_prefix).partition("/")
            return Place(Root.CLAIM, path, claim)
        for root, base in ((Root.INSTANCES, self.instance_root), (Root.SHARED, self.shared_root)):
            prefix = f"nfs://{self.nfs_server}{base}/"
            if base and self.nfs_server and location.startswith(prefix):
                return Place(root, location.removeprefix(prefix))
        raise UserError(
            f"{field}: the recorded location {location!r} is not on this platform's NFS roots "
            f"({self.instance_root}, {self.shared_root or 'no sharedNfsRoot'}) nor a claim of namespace "
            f"{self.namespace!r}; the platform configuration changed under existing data, "
            "ask the platform team",
            reason="VolumeLocationUnknown",
            field=field,
        )


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


def stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


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
    field = f"status.volumes.{kind}"
    observed = ObservedVolume.from_status(observed_raw, field=field)
    move = decide_move(kind, observed, request, dependents=dependents)
    current = ctx.parse(observed.location, field) if observed else None
    steps: list[Step] = []
    extra: dict[str, Any] = {}
    clone_from: str | None = None
    since = observed.since if observed and move is Move.KEEP else now.strftime("%Y-%m-%dT%H:%M:%SZ")
    transition = stamp(now) if move is not Move.KEEP else _since_stamp(observed_raw, now)
    if move is Move.KEEP:
        assert current is not None
        place = current
        extra = {
            k: observed_raw[k]
            for k in ("archive", "archiveOf", "sourceLocation", "stamp", "cloneFrom")
            if observed_raw and k in observed_raw
        }
        clone_from = str(extra["cloneFrom"]) if extra.get("cloneFrom") else None
        if "archiveOf" in extra and not steps_done:
            of, to = (ctx.parse(str(extra[k]), field) for k in ("archiveOf", "archive"))
            steps.append(Step(f"archive-{kind}", Script.VOLUME_ARCHIVE, (of, to, _step_id(kind, transition))))
        if request.mode is Mode.COPIED:
            source = (
                ctx.parse(str(extra.get("sourceLocation") or ""), field)
                if extra.get("sourceLocation")
                else source
            )
    elif move is Move.CREATE:
        if request.mode is Mode.SHARED:
            place = source if source is not None else ctx.pool_home(kind)
        else:
            place = ctx.private(kind)
            if request.mode is Mode.COPIED and source is not None and csi_clone and source.root is Root.CLAIM:
                clone_from = source.claim if place.root is Root.CLAIM else None
        if clone_from:
            extra["cloneFrom"] = clone_from
    elif move in (Move.CLONE_INTO, Move.CONVERT_TO_SHARED, Move.DETACH_COPY):
        assert current is not None
        place = current
    elif move is Move.ATTACH_TO_POOL:
        assert current is not None and source is not None
        place = source
        archive = _archive_of(current, kind, transition)
        extra.update(archive=ctx.location(archive), archiveOf=ctx.location(current))
        steps.append(
            Step(f"archive-{kind}", Script.VOLUME_ARCHIVE, (current, archive, _step_id(kind, transition)))
        )
    elif move is Move.SNAPSHOT_POOL:
        assert current is not None
        private = ctx.private(kind)
        leaf = private.path.rpartition("/")[2]
        place = private if private != current else private.sibling("", f"{leaf}-copy-{transition}")
    else:  # DETACH_FROM_POOL: the owner keeps its data in place, a dependent gets a fresh private volume
        assert observed is not None and current is not None
        place = current if observed.is_pool_owner else ctx.private(kind)
    pending = move is not Move.KEEP or not steps_done
    if request.mode is Mode.COPIED and source is not None and clone_from is None:
        step_id = _step_id(kind, transition)
        if pending and (move is Move.CLONE_INTO or (move is Move.KEEP and "archive" in extra)):
            archive = _archive_of(place, kind, transition)
            extra["archive"] = ctx.location(archive)
            steps.append(Step(f"archive-{kind}", Script.VOLUME_ARCHIVE, (place, archive, step_id)))
        if pending:
            steps.append(Step(f"copy-{kind}", Script.VOLUME_COPY, (source, place, step_id)))
        extra["sourceLocation"] = ctx.location(source)
    if steps or move is not Move.KEEP:
        extra["stamp"] = transition
    new_observed = ObservedVolume(
        mode=request.mode,
        source_instance=request.source_instance,
        source_path=request.source_path,
        location=ctx.location(place),
        since=since,
    )
    return VolumePlan(kind, move, place, tuple(steps), {**new_observed.to_status(), **extra}, clone_from)


def _step_id(kind: VolumeKind, transition: str) -> str:
    """The one-shot id of a volume transition's steps: the marker `.foundry-step-<id>` records it."""
    return f"{kind}-{transition}"


def _archive_of(place: Place, kind: VolumeKind, transition: str) -> Place:
    return place.sibling("archive", f"{kind}-{transition}")
