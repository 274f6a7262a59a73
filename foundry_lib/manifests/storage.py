"""Storage for an instance: claims (and NFS PersistentVolumes), pod volumes and mounts.

Three logical volumes: `config` (/data: Config, Logs, assets, container cache — always private),
`worlds` (/data/Data/worlds) and `plugins` (/data/Data/modules and /data/Data/systems). On the `pvc`
backend each gets its own claim; on `nfs` one statically bound, Retain-policy PersistentVolume per
root is mounted with a subPath per volume, so the kubelet creates the directories and deleting a
claim never deletes data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from foundry_lib.kube import KubeObject
from foundry_lib.manifests.labels import instance_labels
from foundry_lib.models.common import StorageBackend
from foundry_lib.names import bounded, persistent_volume_name, volume_claim_name

DATA_DIR = "/data"
WORLDS_DIR = "/data/Data/worlds"
# GitOps tools must never delete a claim (and with it a campaign) when its Work goes away.
KEEP_ON_PRUNE = {
    "kustomize.toolkit.fluxcd.io/prune": "disabled",
    "argocd.argoproj.io/sync-options": "Prune=false",
    "foundry.platform/retain": "true",
}
PLUGIN_DIRS = {"modules": "/data/Data/modules", "systems": "/data/Data/systems"}


@dataclass(frozen=True)
class StorageRequest:
    """Effective storage facts of one instance."""

    instance: str
    namespace: str
    license_name: str
    backend: StorageBackend
    storage_class: str | None
    worlds_size: str
    config_size: str
    plugins_size: str
    nfs_server: str | None
    nfs_instance_root: str
    retain_claims: bool = True


@dataclass(frozen=True)
class Placement:
    """Where one logical volume lives: a claim, a path inside it, and a location users can read."""

    claim: str
    sub_path: str | None
    location: str
    read_only: bool = False


@dataclass(frozen=True)
class StorageLayout:
    objects: list[KubeObject]
    volumes: list[dict[str, Any]]
    mounts: list[dict[str, Any]]
    placements: dict[str, Placement] = field(default_factory=dict)


def render_storage(req: StorageRequest) -> StorageLayout:
    if req.backend is StorageBackend.NFS:
        return _nfs_layout(req)
    return _pvc_layout(req)


def _pvc_layout(req: StorageRequest) -> StorageLayout:
    sizes = {"config": req.config_size, "worlds": req.worlds_size, "plugins": req.plugins_size}
    placements = {
        volume: Placement(
            claim=volume_claim_name(req.instance, volume),
            sub_path=None,
            location=f"pvc://{req.namespace}/{volume_claim_name(req.instance, volume)}",
        )
        for volume in sizes
    }
    objects = [
        _claim(req, placements[volume].claim, size, req.storage_class, volume)
        for volume, size in sizes.items()
    ]
    return StorageLayout(objects, _pod_volumes(placements), _mounts(placements), placements)


def _nfs_layout(req: StorageRequest) -> StorageLayout:
    if not req.nfs_server:
        # Settings validation reports this as a platform error before rendering; keep the core total.
        raise ValueError("nfs backend needs FOUNDRY_NFS_SERVER")
    claim = volume_claim_name(req.instance, "nfs")
    pv_name = persistent_volume_name(req.namespace, req.instance, "nfs")
    base = f"{req.namespace}/{req.instance}"
    placements = {
        volume: Placement(
            claim=claim,
            sub_path=f"{base}/{volume}",
            location=f"nfs://{req.nfs_server}{req.nfs_instance_root}/{base}/{volume}",
        )
        for volume in ("config", "worlds", "plugins")
    }
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": pv_name, "labels": instance_labels(req.instance, req.license_name, "storage")},
        "spec": {
            "capacity": {"storage": req.worlds_size},
            "accessModes": ["ReadWriteMany"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "mountOptions": ["nfsvers=4.1", "hard"],
            "nfs": {"server": req.nfs_server, "path": req.nfs_instance_root},
            "claimRef": {"namespace": req.namespace, "name": claim},
        },
    }
    pvc = _claim(req, claim, req.worlds_size, "", "storage", access="ReadWriteMany", volume_name=pv_name)
    return StorageLayout([pv, pvc], _pod_volumes(placements), _mounts(placements), placements)


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
        "namespace": req.namespace,
        "labels": instance_labels(req.instance, req.license_name, component),
    }
    if req.retain_claims:
        metadata["annotations"] = dict(KEEP_ON_PRUNE)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": spec}


def pod_volume_name(claim: str) -> str:
    """Pod volume names are DNS labels of their own; derive them from the claim, bounded."""
    return bounded("v", claim)


def _pod_volumes(placements: dict[str, Placement]) -> list[dict[str, Any]]:
    claims = sorted({(p.claim, p.read_only) for p in placements.values()})
    return [
        {
            "name": pod_volume_name(claim),
            "persistentVolumeClaim": {"claimName": claim, **({"readOnly": True} if ro else {})},
        }
        for claim, ro in claims
    ]


def _mount(place: Placement, path: str, sub: str | None) -> dict[str, Any]:
    sub_path = "/".join(p for p in (place.sub_path, sub) if p)
    mount: dict[str, Any] = {"name": pod_volume_name(place.claim), "mountPath": path}
    if sub_path:
        mount["subPath"] = sub_path
    if place.read_only:
        mount["readOnly"] = True
    return mount


def _mounts(placements: dict[str, Placement]) -> list[dict[str, Any]]:
    return [
        _mount(placements["config"], DATA_DIR, None),
        _mount(placements["worlds"], WORLDS_DIR, None),
        *(_mount(placements["plugins"], path, sub) for sub, path in PLUGIN_DIRS.items()),
    ]
