"""render_deployment, render_service and render_service_account: what the cluster runs for an
instance. Secrets only by reference, one server at a time, a stable selector, the felddy image's env."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from manifest_validation import validate_manifest

from foundry_lib.manifests.workload import (
    WorkloadRequest,
    render_deployment,
    render_service,
    render_service_account,
)
from foundry_lib.models.common import SecretKeyRef

REQ = WorkloadRequest(
    instance="alpha",
    namespace="ns",
    license_name="guild",
    hostname="alpha.vtt.example.com",
    image="felddy/foundryvtt:13.345.0",
    image_pull_policy="IfNotPresent",
    version="13.345",
    replicas=1,
    proxy_ssl=True,
    proxy_port=443,
    telemetry=False,
    cpu="500m",
    memory="1Gi",
    memory_limit="2Gi",
    license_key=SecretKeyRef(name="guild-license", key="key"),
    admin_key=SecretKeyRef(name="alpha-admin", key="adminKey"),
    credentials_secret=None,
    volumes=[{"name": "v-config", "persistentVolumeClaim": {"claimName": "foundry-alpha-config"}}],
    mounts=[{"name": "v-config", "mountPath": "/data"}],
)


def _container(req: WorkloadRequest) -> dict[str, Any]:
    container: dict[str, Any] = render_deployment(req)["spec"]["template"]["spec"]["containers"][0]
    return container


def _env(req: WorkloadRequest) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in _container(req)["env"]}


def test_every_object_passes_the_kubernetes_schemas() -> None:
    for obj in (render_deployment(REQ), render_service(REQ), render_service_account(REQ)):
        validate_manifest(obj)


@pytest.mark.parametrize(
    ("variable", "expected", "reason"),
    [
        (
            "FOUNDRY_LICENSE_KEY",
            {"secretKeyRef": {"name": "guild-license", "key": "key"}},
            "a reference, never the key",
        ),
        (
            "FOUNDRY_ADMIN_KEY",
            {"secretKeyRef": {"name": "alpha-admin", "key": "adminKey"}},
            "a reference, never the key",
        ),
        ("FOUNDRY_VERSION", "13.345", "the resolved version"),
        ("FOUNDRY_HOSTNAME", "alpha.vtt.example.com", "links Foundry builds point at the routed hostname"),
        ("FOUNDRY_PROXY_SSL", "true", "the gateway terminates TLS"),
        ("FOUNDRY_PROXY_PORT", "443", ""),
        ("CONTAINER_PRESERVE_CONFIG", "false", "the spec wins over edits in options.json"),
        ("TZ", "UTC", ""),
    ],
)
def test_the_server_gets_its_settings_from_env(variable: str, expected: Any, reason: str) -> None:
    assert _env(REQ)[variable] == expected, reason


@pytest.mark.parametrize(
    ("change", "present", "absent", "reason"),
    [
        (
            {"credentials_secret": "foundry-login"},
            {"FOUNDRY_USERNAME", "FOUNDRY_PASSWORD"},
            set(),
            "download credentials by reference",
        ),
        ({}, set(), {"FOUNDRY_USERNAME", "FOUNDRY_PASSWORD", "FOUNDRY_WORLD"}, "nothing asked, nothing set"),
        ({"world": "curse-of-strahd"}, {"FOUNDRY_WORLD"}, set(), "the world launched on start"),
        (
            {"release_cache_claim": "releases"},
            set(),
            {"CONTAINER_CACHE_SIZE"},
            "a shared cache is never trimmed per pod",
        ),
        ({}, {"CONTAINER_CACHE_SIZE"}, set(), "a private cache keeps one release"),
    ],
)
def test_optional_env(change: dict[str, Any], present: set[str], absent: set[str], reason: str) -> None:
    env = _env(replace(REQ, **change))
    assert present <= set(env) and not absent & set(env), reason


def test_credentials_come_from_the_named_secret() -> None:
    env = _env(replace(REQ, credentials_secret="foundry-login"))
    assert env["FOUNDRY_USERNAME"] == {"secretKeyRef": {"name": "foundry-login", "key": "username"}}
    assert env["FOUNDRY_PASSWORD"] == {"secretKeyRef": {"name": "foundry-login", "key": "password"}}


@pytest.mark.parametrize(("replicas", "reason"), [(1, "serving"), (0, "stopped on standby, data kept")])
def test_one_server_at_a_time_recreated_never_rolled(replicas: int, reason: str) -> None:
    spec = render_deployment(replace(REQ, replicas=replicas))["spec"]
    assert spec["replicas"] == replicas, reason
    assert spec["strategy"] == {"type": "Recreate"}, "two servers on one LevelDB corrupt it"


def test_the_selector_does_not_change_with_the_version() -> None:
    old, new = render_deployment(REQ), render_deployment(replace(REQ, version="14.359"))
    assert old["spec"]["selector"] == new["spec"]["selector"]
    assert render_service(REQ)["spec"]["selector"] == old["spec"]["selector"]["matchLabels"]
    assert new["metadata"]["labels"]["app.kubernetes.io/version"] == "14.359"


def test_the_pod_runs_unprivileged_without_a_service_account_token() -> None:
    pod = render_deployment(REQ)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert _container(REQ)["securityContext"]["allowPrivilegeEscalation"] is False
    assert render_service_account(REQ)["automountServiceAccountToken"] is False


def test_resources_and_mounts_are_what_was_asked() -> None:
    container = _container(REQ)
    assert container["resources"]["requests"]["cpu"] == "500m"
    assert container["resources"]["requests"]["memory"] == "1Gi"
    assert container["resources"]["limits"]["memory"] == "2Gi"
    assert {"name": "v-config", "mountPath": "/data"} in container["volumeMounts"]


def test_data_folders_are_prepared_before_the_volume_steps() -> None:
    step = {"name": "copy-worlds", "image": "x"}
    pod = render_deployment(replace(REQ, init_containers=[step]))["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["prepare-data", "copy-worlds"]


def test_the_service_exposes_foundrys_port_by_name_inside_the_cluster() -> None:
    service = render_service(REQ)
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 30000, "targetPort": "http", "protocol": "TCP"}
    ]
    assert service["metadata"]["name"] == render_deployment(REQ)["metadata"]["name"]
