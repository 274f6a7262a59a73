"""Storage objects, pod volumes, mounts and init containers for one instance.

Three logical volumes: `config` (/data: Config, Logs, assets, container cache — always private),
`worlds` (/data/Data/worlds) and `plugins` (/data/Data/modules, /data/Data/systems). On the `pvc`
backend each has its own claim (worlds and plugins keep their data under `data/`, with `archive/`
and `backups/` beside it on the same filesystem); on `nfs` one statically bound, Retain-policy
PersistentVolume per root is mounted with a subPath per place, so deleting a claim never deletes
data. Claims of other instances (copy sources, pools) are mounted, never emitted: one emitter each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from foundry_lib.kube import KubeObject
from foundry_lib.manifests.labels import instance_labels
from foundry_lib.manifests.workload import container_security
from foundry_lib.models.common import StorageBackend
from foundry_lib.names import bounded, persistent_volume_name, volume_claim_name
from foundry_lib.volume_places import Place, Root, StorageContext
from foundry_lib.volume_plan import Step, VolumePlan
from foundry_lib.volumes import Script, VolumeKind

DATA_DIR = "/data"
WORLDS_DIR = "/data/Data/worlds"
PLUGIN_DIRS = {"modules": "/data/Data/modules", "systems": "/data/Data/systems"}
STEP_MOUNT = "/mnt"
# GitOps tools must never delete a claim (and with it a campaign) when its Work goes away.
KEEP_ON_PRUNE = {
    "kustomize.toolkit.fluxcd.io/prune": "disabled",
    "argocd.argoproj.io/sync-options": "Prune=false",
    "foundry.platform/retain": "true",
}


@dataclass(frozen=True)
class StorageRequest:
    """Effective storage facts of one instance."""

    ctx: StorageContext
    license_name: str
    storage_class: str | None
    worlds_size: str
    config_size: str
    plugins_size: str
    retain_claims: bool
    image: str
    image_pull_policy: str
    scripts: Mapping[Script, str]


@dataclass(frozen=True)
class StorageLayout:
    objects: list[KubeObject]
    volumes: list[dict[str, Any]]
    mounts: list[dict[str, Any]]
    init_containers: list[dict[str, Any]]


def config_place(ctx: StorageContext) -> Place:
    if ctx.backend is StorageBackend.NFS:
        return Place(Root.INSTANCES, f"{ctx.namespace}/{ctx.instance}/config")
    return Place(Root.CLAIM, "", volume_claim_name(ctx.instance, "config"))


def root_claim(ctx: StorageContext, root: Root) -> str:
    """The claim this instance mounts for an NFS root (its own PV/PVC pair per root)."""
    return volume_claim_name(ctx.instance, "nfs" if root is Root.INSTANCES else "shared")


def _claim_of(ctx: StorageContext, place: Place) -> str:
    return place.claim if place.root is Root.CLAIM else root_claim(ctx, place.root)


def render_storage(req: StorageRequest, plans: Sequence[VolumePlan], steps: Sequence[Step]) -> StorageLayout:
    ctx = req.ctx
    by_kind = {p.kind: p for p in plans}
    places = [config_place(ctx), *(p.place for p in plans)]
    places += [a for s in steps for a in s.args if isinstance(a, Place)]
    objects: list[KubeObject] = []
    if ctx.backend is StorageBackend.PVC:
        objects += _own_claims(req, by_kind)
    for root in (Root.INSTANCES, Root.SHARED):
        if any(p.root is root for p in places):
            objects += _nfs_root(req, root)
    claims = sorted({_claim_of(ctx, p) for p in places})
    volumes = [{"name": pod_volume_name(c), "persistentVolumeClaim": {"claimName": c}} for c in claims]
    worlds, plugins = by_kind[VolumeKind.WORLDS], by_kind[VolumeKind.PLUGINS]
    mounts = [
        _mount(ctx, config_place(ctx), DATA_DIR),
        _mount(ctx, worlds.place, WORLDS_DIR),
        *(_mount(ctx, plugins.place, path, sub) for sub, path in PLUGIN_DIRS.items()),
    ]
    init = [_init_container(req, step) for step in steps]
    return StorageLayout(objects, volumes, mounts, init)


def pod_volume_name(claim: str) -> str:
    """Pod volume names are DNS labels of their own; derive them from the claim, bounded."""
    return bounded("v", claim)


def _mount(ctx: StorageContext, place: Place, path: str, sub: str = "") -> dict[str, Any]:
    """Always read-write: LevelDB (worlds and, since v11, module and system packs) cannot be opened
    read-only; pools are protected by exclusivity (one running member), not by mount flags."""
    mount: dict[str, Any] = {"name": pod_volume_name(_claim_of(ctx, place)), "mountPath": path}
    sub_path = "/".join(p for p in (place.path, sub) if p)
    if sub_path:
        mount["subPath"] = sub_path
    return mount


# Argument positions a script only reads: their claims are mounted read-only when nothing else is.
_READS = {
    Script.VOLUME_COPY: {0},
    Script.SNAPSHOT: {0},
    Script.VOLUME_ARCHIVE: set(),
    Script.VERSION_GUARD: {0},
}


def _init_container(req: StorageRequest, step: Step) -> dict[str, Any]:
    places = [(i, a) for i, a in enumerate(step.args) if isinstance(a, Place)]
    claims = sorted({_claim_of(req.ctx, a) for _, a in places})
    written = {_claim_of(req.ctx, a) for i, a in places if i not in _READS[step.script]}
    mount_of = {c: f"{STEP_MOUNT}/{i}" for i, c in enumerate(claims)}
    args = [
        f"{mount_of[_claim_of(req.ctx, a)]}/{a.path}".rstrip("/") if isinstance(a, Place) else a
        for a in step.args
    ]
    return {
        "name": step.name,
        "image": req.image,
        "imagePullPolicy": req.image_pull_policy,
        "command": ["sh", "-c", req.scripts[step.script], step.script.value, *args],
        # A refusal's last log line becomes the container's termination message: the pod status shows
        # it, so `kubectl describe` and the monitor can say why Foundry did not start.
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "securityContext": container_security(),
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi", "ephemeral-storage": "64Mi"},
            "limits": {"memory": "256Mi", "ephemeral-storage": "256Mi"},
        },
        "volumeMounts": [
            {"name": pod_volume_name(c), "mountPath": m, **({} if c in written else {"readOnly": True})}
            for c, m in mount_of.items()
        ],
    }


def _own_claims(req: StorageRequest, plans: Mapping[VolumeKind, VolumePlan]) -> list[KubeObject]:
    sizes = {"config": req.config_size, "worlds": req.worlds_size, "plugins": req.plugins_size}
    claims = []
    for volume, size in sizes.items():
        plan = plans.get(VolumeKind(volume)) if volume != "config" else None
        claim = _claim(req, volume_claim_name(req.ctx.instance, volume), size, req.storage_class, volume)
        if plan is not None and plan.clone_from:
            claim["spec"]["dataSource"] = {"kind": "PersistentVolumeClaim", "name": plan.clone_from}
        claims.append(claim)
    return claims


def _nfs_root(req: StorageRequest, root: Root) -> list[KubeObject]:
    ctx = req.ctx
    path = ctx.instance_root if root is Root.INSTANCES else ctx.shared_root
    if not ctx.nfs_server or not path:
        # Callers check settings and the license first; keep the core total.
        raise ValueError(f"an NFS {root} root needs an NFS server and a path")
    claim = root_claim(ctx, root)
    pv_name = persistent_volume_name(
        ctx.namespace, ctx.instance, "nfs" if root is Root.INSTANCES else "shared"
    )
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": pv_name, "labels": instance_labels(ctx.instance, req.license_name, "storage")},
        "spec": {
            "capacity": {"storage": req.worlds_size},
            "accessModes": ["ReadWriteMany"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "mountOptions": ["nfsvers=4.1", "hard"],
            "nfs": {"server": ctx.nfs_server, "path": path},
            "claimRef": {"namespace": ctx.namespace, "name": claim},
        },
    }
    pvc = _claim(req, claim, req.worlds_size, "", "storage", access="ReadWriteMany", volume_name=pv_name)
    return [pv, pvc]


def _claim(
    req: StorageRequest,
    name: str,
    size: str,
    storage_class: str | None,
    component: str,
    *,
    access: str = "ReadWriteOnce",
    volume_name: str | None = None,
) -> KubeObject:
    spec: dict[str, Any] = {"accessModes": [access], "resources": {"requests": {"storage": size}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    if volume_name:
        spec["volumeName"] = volume_name
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": req.ctx.namespace,
        "labels": instance_labels(req.ctx.instance, req.license_name, component),
    }
    if req.retain_claims:
        metadata["annotations"] = dict(KEEP_ON_PRUNE)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}
