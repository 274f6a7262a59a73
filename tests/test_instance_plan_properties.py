"""Properties of the instance planner over generated requests: it refuses with a UserError or renders
objects that pass the real schemas — never a crash, never an empty or partial set of objects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from manifest_validation import validate_manifest

from foundry_lib.adapters.catalog_files import load_packaged_catalog
from foundry_lib.adapters.scripts import read_script
from foundry_lib.errors import UserError
from foundry_lib.instance_plan import InstanceFacts, plan_instance
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import parse_request
from foundry_lib.names import is_dns1123_label
from foundry_lib.settings import PlatformSettings
from foundry_lib.volumes import Script

CATALOG = load_packaged_catalog()
SCRIPTS = {s: read_script(s) for s in Script}
WITH_NFS = PlatformSettings.from_env({"FOUNDRY_NFS_SERVER": "nas.example.internal"})
WITHOUT_NFS = PlatformSettings.from_env({})
NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
EXPECTED_KINDS = {"ServiceAccount", "Deployment", "Service", "PersistentVolumeClaim"}

labels = st.from_regex(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)
versions = st.sampled_from(["latest", "13.x", "14.x", "12.x", "13.348", "13.351.0", "11.315", "14.359"])
volumes = st.sampled_from(
    [
        {"mode": "new"},
        {"mode": "copied", "source": {"instance": "sibling"}},
        {"mode": "shared"},
        {"mode": "shared", "source": {"instance": "sibling"}},
        {"mode": "shared", "source": {"path": "maps/common"}},
        {"mode": "copied", "source": {"path": "maps/common"}},
    ]
)


def _request(name: str, spec: dict[str, Any], created: str) -> Any:
    obj = {"metadata": {"name": name, "namespace": "tabletop", "creationTimestamp": created}, "spec": spec}
    return parse_request(obj, FoundryInstanceSpec)


@example(  # a pvc instance copying from a sibling on nfs, on a platform without an NFS server
    name="alpha",
    version="latest",
    backend="pvc",
    worlds={"mode": "copied", "source": {"instance": "sibling"}},
    plugins={"mode": "new"},
    scale_to_zero=False,
    shared_root=None,
    auto="none",
    platform=WITHOUT_NFS,
    sibling_backend="nfs",
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=labels,
    version=versions,
    backend=st.sampled_from(["pvc", "nfs"]),
    worlds=volumes,
    plugins=volumes,
    scale_to_zero=st.booleans(),
    shared_root=st.sampled_from([None, "/srv/foundry/shared/tabletop/guild"]),
    auto=st.sampled_from(["none", "build", "generation"]),
    platform=st.sampled_from([WITH_NFS, WITHOUT_NFS]),
    sibling_backend=st.sampled_from(["pvc", "nfs"]),
)
def test_every_request_is_refused_clearly_or_rendered_completely(
    name: str,
    version: str,
    backend: str,
    worlds: dict[str, Any],
    plugins: dict[str, Any],
    scale_to_zero: bool,
    shared_root: str | None,
    auto: str,
    platform: PlatformSettings,
    sibling_backend: str,
) -> None:
    lic_spec: dict[str, Any] = {
        "licenseSecretRef": {"name": "guild-license", "key": "licenseKey"},
        "credentialsSecretRef": {"name": "guild-account"},
        "baseDomain": "vtt.example.com",
        "standby": {"scaleToZero": scale_to_zero},
    }
    if shared_root:
        lic_spec["sharedNfsRoot"] = shared_root
    lic = parse_request(
        {"metadata": {"name": "guild", "namespace": "tabletop"}, "spec": lic_spec}, FoundryLicenseSpec
    )
    spec = {
        "licenseRef": {"name": "guild"},
        "foundryVersion": version,
        "autoUpdate": auto,
        "storage": {"backend": backend},
        "volumes": {"worlds": worlds, "plugins": plugins},
    }
    me = _request(name, spec, "2026-11-02T00:00:00Z")
    sibling = _request(
        "sibling",
        {
            "licenseRef": {"name": "guild"},
            "storage": {"backend": sibling_backend},
            "volumes": {"plugins": {"mode": "shared"}},
        },
        "2026-11-01T00:00:00Z",
    )
    siblings = [me] if name == "sibling" else [sibling, me]
    facts = InstanceFacts(me, lic, siblings, platform, CATALOG, SCRIPTS, NOW)
    try:
        outcome = plan_instance(facts)
    except UserError as err:
        assert err.message and len(err.message) < 2000
        return
    assert outcome.outputs is not None
    documents = [doc for docs in outcome.outputs.values() for doc in docs]
    assert {d["kind"] for d in documents} >= EXPECTED_KINDS
    for doc in documents:
        assert is_dns1123_label(doc["metadata"]["name"]) or doc["kind"] == "PersistentVolume"
        validate_manifest(doc)
    assert outcome.status["hostname"] and outcome.status["url"]
