"""Where an instance's data lives: the storage context of every instance of its license, the pools
it mounts and whether it owns them, and the NFS server that any NFS place needs."""

from __future__ import annotations

from collections.abc import Sequence

from foundry_lib.effective import effective_spec
from foundry_lib.errors import UserError
from foundry_lib.instance_facts import InstanceFacts
from foundry_lib.instance_volumes import request_of
from foundry_lib.models.common import StorageBackend
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.pools import check_roots_apart, shared_pool_root
from foundry_lib.volume_places import Place, Root, StorageContext
from foundry_lib.volume_plan import VolumePlan
from foundry_lib.volumes import Mode, VolumeKind


def storage_contexts(facts: InstanceFacts, lic: FoundryLicenseSpec) -> dict[str, StorageContext]:
    """Storage context of every instance of the license, each with its own effective backend."""
    out = {}
    shared_root = shared_pool_root(
        lic.shared_nfs_root,
        facts.instance.namespace,
        facts.settings.shared_roots,
        field="the license's spec.sharedNfsRoot",
    )
    license_req = facts.license
    if license_req is not None:
        check_roots_apart(
            shared_root,
            license_req.name,
            license_req.creation_timestamp,
            facts.license_roots,
            field="the license's spec.sharedNfsRoot",
        )
    for inst in facts.siblings:
        backend = effective_spec(inst.spec, lic, facts.settings).storage_backend.value
        out[inst.name] = StorageContext(
            inst.namespace,
            inst.name,
            backend,
            facts.settings.nfs_server,
            facts.settings.nfs_instance_root,
            shared_root,
        )
    return out


def check_nfs(ctx: StorageContext, places: Sequence[Place]) -> None:
    """NFS places (this instance's, or a source's on NFS) need the platform's NFS server."""
    uses_nfs = ctx.backend is StorageBackend.NFS or any(p.root is not Root.CLAIM for p in places)
    if uses_nfs and not ctx.nfs_server:
        raise UserError(
            "this instance's storage (or a volume source of it) is on NFS, which needs the platform's NFS "
            "server (Promise pipeline env FOUNDRY_NFS_SERVER), and none is set; use storage.backend: pvc "
            "with sources on pvc, or ask the platform team",
            reason="PlatformMisconfigured",
            field="spec.storage.backend",
        )


def places_of(plans: Sequence[VolumePlan]) -> list[Place]:
    """Every place the plans mount or act on (a copy's source included)."""
    return [plan.place for plan in plans] + [
        a for p in plans for s in p.steps for a in s.args if isinstance(a, Place)
    ]


def pools_of(plans: Sequence[VolumePlan], ctx: StorageContext) -> dict[VolumeKind, str]:
    """The shared pools this instance mounts, by kind, as locations."""
    return {plan.kind: ctx.location(plan.place) for plan in plans if plan.status.get("mode") == Mode.SHARED}


def owns(inst: Request[FoundryInstanceSpec], kind: VolumeKind) -> bool:
    """Whether the spec asks this instance to own the pool of `kind` (shared without a source)."""
    return request_of(inst, kind).is_pool_owner
