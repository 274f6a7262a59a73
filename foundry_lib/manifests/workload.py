"""The Foundry server itself: Deployment, Service and ServiceAccount (DESIGN §4).

Foundry locks its data directory and its LevelDB databases are single-writer, so one replica with
the Recreate strategy; the license is signed with the machine hostname, so a stable pod hostname;
it flushes on SIGTERM and migrates slowly, so a long grace period and a startup probe of 10 minutes.
Secrets reach the container only through `secretKeyRef`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from foundry_lib.kube import KubeObject
from foundry_lib.manifests.labels import instance_labels, selector_labels
from foundry_lib.models.common import SecretKeyRef
from foundry_lib.names import workload_name

FOUNDRY_PORT = 30000
FOUNDRY_UID = 1000
TERMINATION_GRACE_SECONDS = 90


@dataclass(frozen=True)
class WorkloadRequest:
    instance: str
    namespace: str
    license_name: str
    hostname: str
    image: str
    image_pull_policy: str
    version: str
    replicas: int
    proxy_ssl: bool
    proxy_port: int
    telemetry: bool
    cpu: str
    memory: str
    memory_limit: str
    license_key: SecretKeyRef
    admin_key: SecretKeyRef
    credentials_secret: str | None
    volumes: list[dict[str, Any]]
    mounts: list[dict[str, Any]]
    init_containers: list[dict[str, Any]] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)


def _secret_env(name: str, ref: SecretKeyRef) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}}


def _env(req: WorkloadRequest) -> list[dict[str, Any]]:
    env = [
        _secret_env("FOUNDRY_LICENSE_KEY", req.license_key),
        _secret_env("FOUNDRY_ADMIN_KEY", req.admin_key),
    ]
    if req.credentials_secret:
        env += [
            _secret_env("FOUNDRY_USERNAME", SecretKeyRef(name=req.credentials_secret, key="username")),
            _secret_env("FOUNDRY_PASSWORD", SecretKeyRef(name=req.credentials_secret, key="password")),
        ]
    plain = {
        "FOUNDRY_VERSION": req.version,
        "FOUNDRY_HOSTNAME": req.hostname,
        "FOUNDRY_PROXY_SSL": str(req.proxy_ssl).lower(),
        "FOUNDRY_PROXY_PORT": str(req.proxy_port),
        "FOUNDRY_TELEMETRY": str(req.telemetry).lower(),
        "CONTAINER_CACHE": "/data/container_cache",
    }
    return env + [{"name": k, "value": v} for k, v in plain.items()]


def container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "runAsUser": FOUNDRY_UID,
        "runAsGroup": FOUNDRY_UID,
    }


def _probe(period: int, failures: int, timeout: int = 5) -> dict[str, Any]:
    return {
        "httpGet": {"path": "/api/status", "port": "http"},
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": timeout,
    }


def render_deployment(req: WorkloadRequest) -> KubeObject:
    name = workload_name(req.instance)
    labels = instance_labels(req.instance, req.license_name, "server")
    container = {
        "name": "foundry",
        "image": req.image,
        "imagePullPolicy": req.image_pull_policy,
        "ports": [{"name": "http", "containerPort": FOUNDRY_PORT, "protocol": "TCP"}],
        "env": _env(req),
        "resources": {
            "requests": {"cpu": req.cpu, "memory": req.memory},
            "limits": {"memory": req.memory_limit},
        },
        "securityContext": container_security(),
        "startupProbe": _probe(period=10, failures=60),
        "readinessProbe": _probe(period=10, failures=3),
        "livenessProbe": _probe(period=30, failures=4),
        "volumeMounts": req.mounts,
    }
    pod_spec: dict[str, Any] = {
        "hostname": req.instance,
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": FOUNDRY_UID,
            "runAsGroup": FOUNDRY_UID,
            "fsGroup": FOUNDRY_UID,
            "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": req.volumes,
    }
    if req.init_containers:
        pod_spec["initContainers"] = req.init_containers
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": req.namespace,
            "labels": {**labels, "app.kubernetes.io/version": req.version},
            "annotations": {"foundry.platform/hostname": req.hostname, **req.annotations},
        },
        "spec": {
            "replicas": req.replicas,
            "revisionHistoryLimit": 3,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector_labels(req.instance)},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def render_service(req: WorkloadRequest) -> KubeObject:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": workload_name(req.instance),
            "namespace": req.namespace,
            "labels": instance_labels(req.instance, req.license_name, "server"),
        },
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(req.instance),
            "ports": [{"name": "http", "port": FOUNDRY_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def render_service_account(req: WorkloadRequest) -> KubeObject:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": workload_name(req.instance),
            "namespace": req.namespace,
            "labels": instance_labels(req.instance, req.license_name, "server"),
        },
        "automountServiceAccountToken": False,
    }
