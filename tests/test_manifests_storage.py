"""render_storage: the claims, NFS volumes, mounts and init containers an instance's data needs. A claim
is never deleted with its Work when the platform retains claims, NFS data sits on Retain volumes, and
other instances' claims are mounted, never emitted."""

from __future__ import annotations

from typing import Any

import pytest
from manifest_validation import validate_manifest

from foundry_lib.manifests.storage import KEEP_ON_PRUNE, StorageRequest, render_storage
from foundry_lib.models.common import StorageBackend
from foundry_lib.volume_places import Place, Root, StorageContext
from foundry_lib.volume_plan import Step, VolumePlan
from foundry_lib.volumes import Move, Script, VolumeKind

WORLDS, PLUGINS = VolumeKind.WORLDS, VolumeKind.PLUGINS
PVC = StorageContext("ns", "alpha", StorageBackend.PVC, None, "/srv/instances", None)
NFS = StorageContext("ns", "alpha", StorageBackend.NFS, "nas", "/srv/instances", "/srv/shared/ns")
SCRIPTS = {s: f"# {s}" for s in Script}


def _request(
    ctx: StorageContext, *, retain: bool = True, storage_class: str | None = "fast"
) -> StorageRequest:
    return StorageRequest(
        ctx=ctx,
        license_name="guild",
        storage_class=storage_class,
        worlds_size="10Gi",
        config_size="1Gi",
        plugins_size="2Gi",
        retain_claims=retain,
        image="felddy/foundryvtt:13.345.0",
        image_pull_policy="IfNotPresent",
        scripts=SCRIPTS,
    )


def _plans(
    ctx: StorageContext, worlds: Place | None = None, clone_from: str | None = None
) -> list[VolumePlan]:
    return [
        VolumePlan(WORLDS, Move.CREATE, worlds or ctx.private(WORLDS), (), {}, clone_from),
        VolumePlan(PLUGINS, Move.CREATE, ctx.private(PLUGINS), (), {}),
    ]


def _kinds(objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(o["kind"], o["metadata"]["name"]) for o in objects]


def test_pvc_backend_emits_one_claim_per_volume_with_its_size_and_class() -> None:
    layout = render_storage(_request(PVC), _plans(PVC), [])
    claims = {o["metadata"]["name"]: o for o in layout.objects}
    assert set(claims) == {"foundry-alpha-config", "foundry-alpha-worlds", "foundry-alpha-plugins"}
    sizes = {n: c["spec"]["resources"]["requests"]["storage"] for n, c in claims.items()}
    assert sizes == {
        "foundry-alpha-config": "1Gi",
        "foundry-alpha-worlds": "10Gi",
        "foundry-alpha-plugins": "2Gi",
    }
    assert all(c["spec"]["storageClassName"] == "fast" for c in claims.values())
    for obj in layout.objects:
        validate_manifest(obj)


@pytest.mark.parametrize(
    ("retain", "annotations", "reason"),
    [
        (True, KEEP_ON_PRUNE, "GitOps tools must never prune a claim with the campaign in it"),
        (False, None, "pvcRetention delete: claims go with the Work"),
    ],
)
def test_claims_are_kept_on_prune_when_the_platform_retains_them(
    retain: bool, annotations: dict[str, str] | None, reason: str
) -> None:
    layout = render_storage(_request(PVC, retain=retain), _plans(PVC), [])
    assert all(o["metadata"].get("annotations") == annotations for o in layout.objects), reason


def test_the_cluster_default_storage_class_is_used_when_none_is_given() -> None:
    layout = render_storage(_request(PVC, storage_class=None), _plans(PVC), [])
    assert all("storageClassName" not in o["spec"] for o in layout.objects)


def test_a_csi_clone_is_a_data_source_on_the_worlds_claim() -> None:
    layout = render_storage(_request(PVC), _plans(PVC, clone_from="foundry-beta-worlds"), [])
    worlds = next(o for o in layout.objects if o["metadata"]["name"] == "foundry-alpha-worlds")
    assert worlds["spec"]["dataSource"] == {"kind": "PersistentVolumeClaim", "name": "foundry-beta-worlds"}


def test_another_instances_claim_is_mounted_never_emitted() -> None:
    pool = Place(Root.CLAIM, "data", "foundry-beta-worlds")
    layout = render_storage(_request(PVC), _plans(PVC, worlds=pool), [])
    assert "foundry-beta-worlds" not in [o["metadata"]["name"] for o in layout.objects]
    claims = [v["persistentVolumeClaim"]["claimName"] for v in layout.volumes]
    assert "foundry-beta-worlds" in claims and "foundry-alpha-worlds" not in claims


def test_nfs_data_lives_on_retain_volumes_bound_to_this_instance() -> None:
    pool = Place(Root.SHARED, "beta/worlds")
    layout = render_storage(_request(NFS), _plans(NFS, worlds=pool), [])
    kinds = [k for k, _ in _kinds(layout.objects)]
    assert kinds == ["PersistentVolume", "PersistentVolumeClaim"] * 2, "one PV/PVC pair per NFS root used"
    volumes = [o for o in layout.objects if o["kind"] == "PersistentVolume"]
    assert [v["spec"]["nfs"] for v in volumes] == [
        {"server": "nas", "path": "/srv/instances"},
        {"server": "nas", "path": "/srv/shared/ns"},
    ]
    assert all(v["spec"]["persistentVolumeReclaimPolicy"] == "Retain" for v in volumes)
    assert all(v["spec"]["claimRef"]["namespace"] == "ns" for v in volumes), "bound to this namespace only"
    for obj in layout.objects:
        validate_manifest(obj)


def test_mounts_put_each_volume_where_foundry_reads_it() -> None:
    layout = render_storage(_request(NFS), _plans(NFS), [])
    by_path = {m["mountPath"]: m.get("subPath") for m in layout.mounts}
    assert by_path == {
        "/data": "ns/alpha/config",
        "/data/Data/worlds": "ns/alpha/worlds",
        "/data/Data/modules": "ns/alpha/plugins/modules",
        "/data/Data/systems": "ns/alpha/plugins/systems",
    }
    assert not any(m.get("readOnly") for m in layout.mounts), "LevelDB cannot be opened read-only"


def test_a_copy_step_reads_its_source_read_only_and_writes_its_target() -> None:
    source = Place(Root.CLAIM, "data", "foundry-beta-worlds")
    target = PVC.private(WORLDS)
    step = Step("copy-worlds", Script.VOLUME_COPY, (source, target, "worlds-20260501T120000Z"))
    layout = render_storage(_request(PVC), _plans(PVC), [step])
    (init,) = layout.init_containers
    assert init["name"] == "copy-worlds" and init["image"] == "felddy/foundryvtt:13.345.0"
    script, name, source_dir, target_dir, step_id = init["command"][2:]
    assert (script, name, step_id) == ("# volume-copy.sh", "volume-copy.sh", "worlds-20260501T120000Z")
    read_only = {m["mountPath"]: m.get("readOnly", False) for m in init["volumeMounts"]}
    assert source_dir.endswith("/data") and target_dir.endswith("/data")
    assert read_only == {source_dir.removesuffix("/data"): True, target_dir.removesuffix("/data"): False}
    assert init["securityContext"]["runAsNonRoot"] is True


def test_steps_run_in_the_order_given() -> None:
    a = Step(
        "archive-worlds",
        Script.VOLUME_ARCHIVE,
        (PVC.private(WORLDS), PVC.private(WORLDS).sibling("archive", "x"), "i"),
    )
    b = Step(
        "copy-worlds",
        Script.VOLUME_COPY,
        (Place(Root.CLAIM, "data", "foundry-beta-worlds"), PVC.private(WORLDS), "i"),
    )
    layout = render_storage(_request(PVC), _plans(PVC), [a, b])
    assert [c["name"] for c in layout.init_containers] == ["archive-worlds", "copy-worlds"]
