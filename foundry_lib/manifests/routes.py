"""Gateway API objects the license pipeline emits: one HTTPRoute per instance, ReferenceGrants.

The active instance's route points at its own Service; every other route points at the standby
page, with a request header telling the page which instance the visitor asked for.
Gateways differ in how long they let a response or a WebSocket live (Envoy Gateway cuts requests
at 15 s by default), so the platform may set `timeouts.request` on the active rule ("0s" = none);
routes attach to the listener the platform names (`sectionName`), e.g. its HTTPS listener.
"""

from __future__ import annotations

from dataclasses import dataclass

from foundry_lib.kube import KubeObject
from foundry_lib.manifests.labels import INSTANCE_LABEL, LICENSE_LABEL, PART_OF
from foundry_lib.manifests.workload import FOUNDRY_PORT
from foundry_lib.names import reference_grant_name, route_name, workload_name

GATEWAY_API = "gateway.networking.k8s.io"
INSTANCE_HEADER = "X-Foundry-Instance"


@dataclass(frozen=True)
class Gateway:
    name: str
    namespace: str
    section: str | None
    request_timeout: str | None = None


@dataclass(frozen=True)
class StandbyService:
    name: str
    namespace: str
    port: int


def _labels(license_name: str, instance: str | None = None) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "kratix",
        "app.kubernetes.io/component": "route",
        LICENSE_LABEL: license_name,
    }
    if instance:
        labels[INSTANCE_LABEL] = instance
    return labels


def render_route(
    *,
    instance: str,
    namespace: str,
    license_name: str,
    hostname: str,
    active: bool,
    gateway: Gateway,
    standby: StandbyService,
) -> KubeObject:
    parent: dict[str, str] = {"group": GATEWAY_API, "kind": "Gateway", "name": gateway.name}
    if gateway.namespace != namespace:
        parent["namespace"] = gateway.namespace
    if gateway.section:
        parent["sectionName"] = gateway.section
    rule: dict[str, object] = {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}
    if active:
        rule["backendRefs"] = [{"name": workload_name(instance), "port": FOUNDRY_PORT}]
        if gateway.request_timeout is not None:
            rule["timeouts"] = {"request": gateway.request_timeout}
    else:
        backend: dict[str, object] = {"name": standby.name, "port": standby.port}
        if standby.namespace != namespace:
            backend["namespace"] = standby.namespace
        rule["backendRefs"] = [backend]
        rule["filters"] = [
            {
                "type": "RequestHeaderModifier",
                "requestHeaderModifier": {
                    "set": [{"name": INSTANCE_HEADER, "value": f"{namespace}/{instance}"}]
                },
            }
        ]
    return {
        "apiVersion": f"{GATEWAY_API}/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": route_name(instance),
            "namespace": namespace,
            "labels": _labels(license_name, instance),
            "annotations": {"foundry.platform/state": "active" if active else "standby"},
        },
        "spec": {"parentRefs": [parent], "hostnames": [hostname], "rules": [rule]},
    }


def render_reference_grant(*, namespace: str, license_name: str, standby: StandbyService) -> KubeObject:
    """Lets this namespace's routes reach the standby Service in its own namespace (one per license)."""
    return {
        "apiVersion": f"{GATEWAY_API}/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {
            "name": reference_grant_name(namespace, license_name),
            "namespace": standby.namespace,
            "labels": _labels(license_name),
        },
        "spec": {
            "from": [{"group": GATEWAY_API, "kind": "HTTPRoute", "namespace": namespace}],
            "to": [{"group": "", "kind": "Service", "name": standby.name}],
        },
    }
