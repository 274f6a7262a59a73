"""Where a tenant's shared pools may live, and which pool a volume mounts (DESIGN §2 rule 9).

A license's `sharedNfsRoot` must lie at or below `<allowed root>/<namespace>` for one of the
platform's FOUNDRY_SHARED_NFS_ROOTS (which never overlap each other nor the instance root), so two
namespaces can never resolve to the same or nested folders. Inside it, a pool is identified by
(namespace, owner instance, kind); `pool_key` is the one answer to "which pool is this?".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from foundry_lib.errors import UserError
from foundry_lib.pool_paths import is_within, validate_root
from foundry_lib.volume_places import Place, Root, StorageContext
from foundry_lib.volumes import Mode, VolumeRequest


def allowed_homes(namespace: str, allowed_roots: Sequence[str]) -> list[str]:
    return [f"{root.rstrip('/')}/{namespace}" for root in allowed_roots]


def shared_pool_root(
    root: str | None, namespace: str, allowed_roots: Sequence[str], field: str = "spec.sharedNfsRoot"
) -> str | None:
    """The license's shared root when it is normalised and inside this namespace's part of an allowed
    root; a UserError naming the allowed folders otherwise."""
    if root is None:
        return None
    validate_root(root, field)
    homes = allowed_homes(namespace, allowed_roots)
    if not any(is_within(root, home) for home in homes):
        raise UserError(
            f"{field}: {root!r} is outside the folders this platform allows for namespace {namespace!r}: "
            f"{', '.join(homes)} (FOUNDRY_SHARED_NFS_ROOTS, one folder per namespace below each); use "
            "one of them or a folder below it",
            reason="SharedRootNotAllowed",
            field=field,
        )
    return root


def mounts_same_pool(owner: Mapping[str, Any] | None, other: Mapping[str, Any] | None) -> bool:
    """Whether `other` (a status.volumes entry) mounts the pool `owner` (a pool owner's entry) publishes,
    by whatever route it attached (source.instance or source.path): the same (or nested) location."""
    if not owner or not other or owner.get("mode") != "shared" or other.get("mode") != "shared":
        return False
    if owner.get("source"):
        return False  # a dependent publishes nothing: others on its pool depend on the owner
    return same_pool(str(owner.get("location") or ""), str(other.get("location") or ""))


def same_pool(a: str | None, b: str | None) -> bool:
    """Two pool locations are one pool when equal or nested (a folder and its parent share data)."""
    if not a or not b:
        return False
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def pool_key(
    ctx: StorageContext, req: VolumeRequest, *, own_home: Place, source_home: Place | None
) -> str | None:
    """Which pool a volume request mounts, as its location (None: not shared, or nothing resolvable).

    An owner mounts its own home, a dependent by instance the owner's home, a dependent by path the
    folder under the shared root: a path naming another instance's pool folder is that same pool.
    """
    if req.mode is not Mode.SHARED:
        return None
    if req.source_path is not None:
        if not (ctx.shared_root and ctx.nfs_server):
            return None
        return ctx.location(Place(Root.SHARED, req.source_path))
    if req.source_instance is not None:
        return None if source_home is None else ctx.location(source_home)
    return ctx.location(own_home)


@dataclass(frozen=True, order=True)
class LicenseRoot:
    """Another license's shared root, ordered oldest first."""

    created: str
    name: str
    root: str

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> LicenseRoot | None:
        meta, root = obj.get("metadata") or {}, (obj.get("spec") or {}).get("sharedNfsRoot")
        if not isinstance(root, str) or not root:
            return None
        return cls(str(meta.get("creationTimestamp") or ""), str(meta.get("name") or ""), root)


def check_roots_apart(
    root: str | None,
    name: str,
    created: str,
    others: Sequence[LicenseRoot],
    field: str = "spec.sharedNfsRoot",
) -> None:
    """Licenses of one namespace keep their pools apart: a root equal to, inside or around an older
    license's root would let instances of two licenses (each with its own active server) open one
    pool. The older license keeps its folder; the younger is refused, naming it."""
    if root is None:
        return
    for other in sorted(others):
        if (
            other.name != name
            and same_pool(root, other.root)
            and (other.created, other.name) < (created, name)
        ):
            raise UserError(
                f"{field}: {root!r} overlaps the sharedNfsRoot {other.root!r} of license {other.name!r} in "
                "this namespace; each license needs its own folder (beside the other, not inside it)",
                reason="SharedRootOverlaps",
                field=field,
            )
