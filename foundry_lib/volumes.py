"""Volume modes of a FoundryInstance and the only moves allowed between them.

Worlds and plugins each live in a volume that is `new` (private, fresh), `copied` (private, filled once
from a source) or `shared` (a pool under the license's shared root: owner without a source, dependent
with one). A mode change must never delete or overwrite data, so every (observed, desired) pair is
decided here, from a table, before anything is rendered; the pipeline acts on the returned `Move`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from foundry_lib.errors import UserError
from foundry_lib.pool_paths import validate_pool_path


class Mode(StrEnum):
    NEW = "new"
    COPIED = "copied"
    SHARED = "shared"


class VolumeKind(StrEnum):
    WORLDS = "worlds"
    PLUGINS = "plugins"


class Script(StrEnum):
    """Shell scripts in foundry_lib/data that act on volumes inside the pod (see adapters.scripts)."""

    VOLUME_COPY = "volume-copy.sh"
    VOLUME_ARCHIVE = "volume-archive.sh"
    SNAPSHOT = "snapshot.sh"
    VERSION_GUARD = "version-guard.sh"


class Move(StrEnum):
    """What the pipeline does to a volume this run."""

    CREATE = "create"  # first run: new → empty, copied → copy from source, shared → publish or attach
    KEEP = "keep"  # same mode and source: render as before (copy steps are idempotent)
    CLONE_INTO = "clone-into"  # new → copied: archive the private data, then copy the source in
    CONVERT_TO_SHARED = "convert-to-shared"  # new → shared owner: publish the private volume in place
    ATTACH_TO_POOL = "attach-to-pool"  # new → shared dependent: archive the private data, mount the pool
    DETACH_COPY = "detach-copy"  # copied → new: same data, the relation to the source is dropped
    SNAPSHOT_POOL = "snapshot-pool"  # shared → copied: copy the source into a private volume, pool untouched
    DETACH_FROM_POOL = "detach-from-pool"  # shared → new: owner keeps its data, a dependent gets a fresh one
    REFUSE = "refuse"  # never chosen: marks a table entry that decide_move turns into an error


TABLE: Mapping[tuple[Mode | None, Mode], Move] = {
    (None, Mode.NEW): Move.CREATE,
    (None, Mode.COPIED): Move.CREATE,
    (None, Mode.SHARED): Move.CREATE,
    (Mode.NEW, Mode.NEW): Move.KEEP,
    (Mode.NEW, Mode.COPIED): Move.CLONE_INTO,
    (Mode.NEW, Mode.SHARED): Move.CONVERT_TO_SHARED,
    (Mode.COPIED, Mode.NEW): Move.DETACH_COPY,
    (Mode.COPIED, Mode.COPIED): Move.KEEP,
    (Mode.COPIED, Mode.SHARED): Move.REFUSE,
    (Mode.SHARED, Mode.NEW): Move.DETACH_FROM_POOL,
    (Mode.SHARED, Mode.COPIED): Move.SNAPSHOT_POOL,
    (Mode.SHARED, Mode.SHARED): Move.KEEP,
}
"""Every (observed mode or None on creation, desired mode) pair. Guards in decide_move refine it:
same-mode source changes are refused, new → shared with a source attaches instead of publishing, and
a pool owner with dependents cannot leave its pool (to new or copied): that would strand them."""

_WITH_SOURCE: Mapping[Move, Move] = {Move.CONVERT_TO_SHARED: Move.ATTACH_TO_POOL}
"""A move that becomes another when the desired shared volume names a source (a dependent, not an owner)."""

_REFUSED_BECAUSE: Mapping[tuple[Mode, Mode], str] = {
    (Mode.COPIED, Mode.SHARED): "a copy cannot become or join a pool in place, "
    "detach it first (copied → new), then convert it (new → shared)",
}

_DESCRIPTION: Mapping[Move, str] = {
    Move.KEEP: "keep it as it is, with the same source",
    Move.CLONE_INTO: "clone a source into this instance; the current data is archived, never deleted",
    Move.CONVERT_TO_SHARED: "without a source: publish this volume as a pool in place; "
    "with a source: attach to that pool, the current data is archived",
    Move.DETACH_COPY: "detach the copy: same data, the relation to the source is dropped",
    Move.SNAPSHOT_POOL: "snapshot the pool into a private copy; the pool is untouched",
    Move.DETACH_FROM_POOL: "a dependent detaches to a fresh volume; "
    "the owner keeps the data privately once no other instance depends on the pool",
}


class VolumeTransitionError(UserError):
    """A requested volume change that could lose or overwrite data; nothing was changed."""

    def __init__(self, kind: VolumeKind, message: str) -> None:
        super().__init__(message, reason="VolumeTransitionRefused", field=f"spec.volumes.{kind}")


@dataclass(frozen=True)
class VolumeRequest:
    """What spec.volumes.<kind> asks for."""

    mode: Mode
    source_instance: str | None = None
    source_path: str | None = None

    @property
    def is_pool_owner(self) -> bool:
        return self.mode is Mode.SHARED and self.source_instance is None and self.source_path is None


@dataclass(frozen=True)
class ObservedVolume:
    """What status.volumes.<kind> says the volume is: written by the instance pipeline only."""

    mode: Mode
    source_instance: str | None
    source_path: str | None
    location: str
    since: str

    @property
    def is_pool_owner(self) -> bool:
        return self.mode is Mode.SHARED and self.source_instance is None and self.source_path is None

    @classmethod
    def from_status(
        cls, d: Mapping[str, Any] | None, *, field: str = "status.volumes"
    ) -> ObservedVolume | None:
        """Read one status entry; None (or {}) means the volume was never created."""
        if not d:
            return None
        try:
            source = d.get("source") or {}
            return cls(
                mode=Mode(d["mode"]),
                source_instance=_optional_str(source.get("instance")),
                source_path=_optional_str(source.get("path")),
                location=str(d["location"]),
                since=str(d.get("since", "")),
            )
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise UserError(
                f"{field}: cannot read the recorded volume state ({exc!r}); "
                "restore it from a backup or ask the platform team",
                reason="VolumeStatusUnreadable",
                field=field,
            ) from exc

    def to_status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": str(self.mode)}
        if self.source_instance is not None:
            out["source"] = {"instance": self.source_instance}
        elif self.source_path is not None:
            out["source"] = {"path": self.source_path}
        out["location"] = self.location
        out["since"] = self.since
        return out


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _describe(mode: Mode | None, source_instance: str | None, source_path: str | None) -> str:
    if mode is None:
        return "nothing (creation)"
    if source_instance is not None:
        return f"{mode} (source instance {source_instance!r})"
    if source_path is not None:
        return f"{mode} (source path {source_path!r})"
    return f"{mode} (pool owner)" if mode is Mode.SHARED else str(mode)


def allowed_moves(current: Mode | None) -> list[str]:
    """Human-readable list of the targets allowed from `current`, for refusal messages."""
    return [
        f"{to} ({_DESCRIPTION.get(move, 'create it')})"
        for (frm, to), move in TABLE.items()
        if frm == current and move is not Move.REFUSE
    ]


def decide_move(
    kind: VolumeKind,
    observed: ObservedVolume | None,
    desired: VolumeRequest,
    *,
    dependents: Sequence[str] = (),
) -> Move:
    """The move that takes `observed` to `desired`, or VolumeTransitionError if it could lose data.

    `dependents` are the other instances attached to this instance's pool of this kind; they are only
    consulted when this instance owns a pool.
    """
    current = None if observed is None else observed.mode
    move = TABLE[(current, desired.mode)]
    if observed is None:
        return move
    frm = _describe(observed.mode, observed.source_instance, observed.source_path)
    to = _describe(desired.mode, desired.source_instance, desired.source_path)

    allowed = "; ".join(allowed_moves(observed.mode))

    def refuse(why: str) -> VolumeTransitionError:
        return VolumeTransitionError(
            kind,
            f"spec.volumes.{kind}: cannot change from {frm} to {to}: {why}. "
            f"Allowed from {current}: {allowed}.",
        )

    if move is Move.REFUSE:
        raise refuse(_REFUSED_BECAUSE[(observed.mode, desired.mode)])
    same_source = (observed.source_instance, observed.source_path) == (
        desired.source_instance,
        desired.source_path,
    )
    if move is Move.KEEP and not same_source:
        raise refuse(
            "changing the source in place would overwrite or hide this volume's data; "
            "move to new first, then to the mode you want with the new source"
        )
    if move in _WITH_SOURCE and not desired.is_pool_owner:
        return _WITH_SOURCE[move]
    if move in (Move.DETACH_FROM_POOL, Move.SNAPSHOT_POOL) and observed.is_pool_owner and dependents:
        names = ", ".join(sorted(dependents))
        raise refuse(
            f"other instances depend on this pool ({names}); they must detach first (mode new or copied)"
        )
    return move


def validate_sources(
    kind: VolumeKind,
    request: VolumeRequest,
    *,
    instance: str,
    edges: Mapping[str, str | None] | None = None,
) -> None:
    """Check request.source against the mode and the other instances' sources.

    copied needs exactly one of source.instance / source.path, new forbids a source, shared takes at
    most one. A source instance is never the instance itself, and following source instances
    (`edges`: instance → its source instance, for this kind) must not loop back.
    """
    field = f"spec.volumes.{kind}.source"
    given = [
        name
        for name, value in (("instance", request.source_instance), ("path", request.source_path))
        if value is not None
    ]
    if request.mode is Mode.NEW and given:
        raise UserError(
            f"{field}: mode new takes no source; remove source or choose mode copied or shared", field=field
        )
    if len(given) > 1:
        raise UserError(f"{field}: give either source.instance or source.path, not both", field=field)
    if request.mode is Mode.COPIED and not given:
        raise UserError(
            f"{field}: mode copied needs a source: {{instance: <name>}} or {{path: <pool path>}}", field=field
        )
    if request.source_path is not None:
        validate_pool_path(request.source_path, f"{field}.path")
    if request.source_instance is None:
        return
    if not request.source_instance:
        raise UserError(f"{field}.instance: must name another instance of the same license", field=field)
    if request.source_instance == instance:
        raise UserError(f"{field}.instance: {instance!r} cannot use itself as a source", field=field)
    graph = dict(edges or {})
    graph[instance] = request.source_instance
    cycle = find_cycle(instance, graph)
    if cycle is not None:
        raise UserError(
            f"{field}.instance: sources form a cycle ({' → '.join(cycle)}); "
            "one of these instances must use mode new or a pool path",
            field=field,
        )


def attached_to(owner: str, state: Mapping[str, Any] | None) -> bool:
    """Whether a volume, as a spec or status entry (`{mode, source: {instance}}`), mounts `owner`'s pool."""
    if not state:
        return False
    return bool(state.get("mode") == Mode.SHARED and (state.get("source") or {}).get("instance") == owner)


def find_cycle(start: str, edges: Mapping[str, str | None]) -> list[str] | None:
    """Follow instance → source from `start`; the walked path up to the first repeat, or None.

    ["a", "b", "a"] means a uses b which uses a. An unknown or source-less instance ends the chain.
    """
    path = [start]
    seen = {start}
    node: str | None = start
    while node is not None:
        node = edges.get(node)
        if node is None:
            return None
        path.append(node)
        if node in seen:
            return path
        seen.add(node)
    return None


def mermaid_diagram() -> str:
    """TABLE as a Mermaid stateDiagram for the docs; refused pairs become notes."""
    lines = ["stateDiagram-v2"]
    for (frm, to), move in TABLE.items():
        if move is Move.REFUSE:
            continue
        label = f"{move} / {_WITH_SOURCE[move]} (with a source)" if move in _WITH_SOURCE else move
        lines.append(f"    {'[*]' if frm is None else frm} --> {to} : {label}")
    for (frm, to), why in _REFUSED_BECAUSE.items():
        lines.append(f"    note right of {frm} : {frm} → {to} refused ({why})")
    lines.append("    note left of shared : changing source in place is refused")
    return "\n".join(lines) + "\n"
