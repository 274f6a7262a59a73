"""Where an instance's worlds and plugins can live, and how status records it.

A `Place` is a directory on one of three roots: the platform's NFS instance root, the license's
shared NFS root (pools), or a PersistentVolumeClaim. Every place has a location string recorded in
status (`nfs://server/abs/path`, `pvc://namespace/claim/path`), so later runs and other instances
(dependents, copies) find the data where it really is, even after platform defaults change.
`StorageContext` turns places into locations and back, for one instance, and refuses a recorded
location that is not on this platform's roots nor a claim of the instance's namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from foundry_lib.errors import UserError
from foundry_lib.models.common import StorageBackend
from foundry_lib.names import volume_claim_name
from foundry_lib.volumes import VolumeKind


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
