"""The Foundry server itself: Deployment, Service and ServiceAccount (DESIGN §4).

Foundry locks its data directory and its LevelDB databases are single-writer, so one replica with
the Recreate strategy; the license is signed with the machine hostname, so a stable pod hostname.
The felddy/foundryvtt image holds no Foundry: its entrypoint installs the release named by
`FOUNDRY_VERSION` on every new container, from the account credentials or from `CONTAINER_CACHE`
(the platform's shared release cache, or a private one capped to one release). The entrypoint of
the catalog's image revisions exits on SIGTERM without waiting for Foundry, so a preStop hook stops
Foundry and waits for it (LevelDB flushed, lock released) before the kubelet signals the container;
the grace period covers that wait. Liveness only checks the port, so a long world migration that
keeps Foundry from answering HTTP never gets it restarted. Secrets reach it only via `secretKeyRef`.
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
DATA_DIR = "/data"
CACHE_DIR = "/data/container_cache"
RELEASE_CACHE_VOLUME = "release-cache"
# A private cache keeps only the release it runs: the config volume is not a download store.
PRIVATE_CACHE_RELEASES = "1"
# Foundry closes its world and flushes LevelDB within seconds; the hook waits at most this long, and
# the kubelet's grace period covers the hook plus the entrypoint's own exit.
STOP_WAIT_SECONDS = 100
TERMINATION_GRACE_SECONDS = STOP_WAIT_SECONDS + 20
# The image installs Foundry (a few hundred MB unpacked) into its writable layer on every start.
EPHEMERAL_REQUEST = "1Gi"
EPHEMERAL_LIMIT = "3Gi"

# POSIX sh for busybox (root-era images) and bash/dash (rootless images): no pgrep in either. Foundry
# is the process whose command line is `node resources/app/main…` (older launchers exec `node`, newer
# ones `/usr/local/bin/node`).
STOP_FOUNDRY = f"""\
for proc in /proc/[0-9]*; do
  cmd=$(tr '\\0' ' ' 2>/dev/null < "$proc/cmdline") || continue
  case "$cmd" in
    node\\ *resources/app/main* | */node\\ *resources/app/main*) pid=${{proc#/proc/}} ;;
    *) continue ;;
  esac
  kill -TERM "$pid" 2>/dev/null || continue
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt {STOP_WAIT_SECONDS} ]; do
    sleep 1
    waited=$((waited + 1))
  done
done
"""
# The runtime creates mount points (Data/worlds, Data/modules, …) owned by root; creating their
# parents first as uid 1000 keeps /data/Data writable for uploads at the Data root.
PREPARE_DATA = f"""\
mkdir -p {DATA_DIR}/Data {DATA_DIR}/Config {DATA_DIR}/Logs
[ -w {DATA_DIR}/Data ] || echo "warning: {DATA_DIR}/Data is not writable by uid $(id -u)" >&2
"""


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
    release_cache_claim: str | None = None
    timezone: str = "UTC"
    world: str | None = None


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
        # Behind a gateway the public address is FOUNDRY_HOSTNAME; discovery only delays the start.
        "FOUNDRY_IP_DISCOVERY": "false",
        "TZ": req.timezone,
        # options.json and admin.txt are rewritten from this env on every start: the spec wins.
        "CONTAINER_PRESERVE_CONFIG": "false",
        "CONTAINER_CACHE": CACHE_DIR,
    }
    if req.release_cache_claim is None:
        plain["CONTAINER_CACHE_SIZE"] = PRIVATE_CACHE_RELEASES
    if req.world:
        plain["FOUNDRY_WORLD"] = req.world
    return env + [{"name": k, "value": v} for k, v in plain.items()]


def container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "runAsUser": FOUNDRY_UID,
        "runAsGroup": FOUNDRY_UID,
    }


def _http_probe(period: int, failures: int, timeout: int = 5) -> dict[str, Any]:
    return {
        "httpGet": {"path": "/api/status", "port": "http"},
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": timeout,
    }


def _port_probe(period: int, failures: int) -> dict[str, Any]:
    """The kernel accepts connections while Foundry's event loop is busy migrating a world."""
    return {"tcpSocket": {"port": "http"}, "periodSeconds": period, "failureThreshold": failures}


def _ephemeral(request: str, limit: str) -> tuple[dict[str, str], dict[str, str]]:
    return {"ephemeral-storage": request}, {"ephemeral-storage": limit}


def _prepare_data(req: WorkloadRequest) -> list[dict[str, Any]]:
    """Creates /data's folders as uid 1000 before anything mounts into them; needs only /data."""
    data = [dict(m) for m in req.mounts if m.get("mountPath") == DATA_DIR]
    if not data:
        return []
    requests, limits = _ephemeral("16Mi", "64Mi")
    return [
        {
            "name": "prepare-data",
            "image": req.image,
            "imagePullPolicy": req.image_pull_policy,
            "command": ["sh", "-c", PREPARE_DATA],
            "securityContext": container_security(),
            "resources": {
                "requests": {"cpu": "10m", "memory": "16Mi", **requests},
                "limits": {"memory": "64Mi", **limits},
            },
            "volumeMounts": data,
        }
    ]


def _cache(req: WorkloadRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The platform's shared release cache (ReadWriteMany, read-write: the entrypoint writes there)."""
    if req.release_cache_claim is None:
        return [], []
    volume = {"name": RELEASE_CACHE_VOLUME, "persistentVolumeClaim": {"claimName": req.release_cache_claim}}
    return [volume], [{"name": RELEASE_CACHE_VOLUME, "mountPath": CACHE_DIR}]


def render_deployment(req: WorkloadRequest) -> KubeObject:
    name = workload_name(req.instance)
    labels = instance_labels(req.instance, req.license_name, "server")
    cache_volumes, cache_mounts = _cache(req)
    ephemeral_requests, ephemeral_limits = _ephemeral(EPHEMERAL_REQUEST, EPHEMERAL_LIMIT)
    container = {
        "name": "foundry",
        "image": req.image,
        "imagePullPolicy": req.image_pull_policy,
        "ports": [{"name": "http", "containerPort": FOUNDRY_PORT, "protocol": "TCP"}],
        "env": _env(req),
        "resources": {
            "requests": {"cpu": req.cpu, "memory": req.memory, **ephemeral_requests},
            "limits": {"memory": req.memory_limit, **ephemeral_limits},
        },
        "securityContext": container_security(),
        # Download, unpack and first start: up to 20 minutes before liveness applies.
        "startupProbe": _port_probe(period=10, failures=120),
        "readinessProbe": _http_probe(period=10, failures=3),
        "livenessProbe": _port_probe(period=30, failures=10),
        "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", STOP_FOUNDRY]}}},
        "volumeMounts": [*req.mounts, *cache_mounts],
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
        "volumes": [*req.volumes, *cache_volumes],
    }
    init_containers = [*_prepare_data(req), *req.init_containers]
    if init_containers:
        pod_spec["initContainers"] = init_containers
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
