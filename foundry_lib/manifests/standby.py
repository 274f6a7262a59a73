"""What the license pipeline's routes need on the Destination: the standby page's namespace and Service.

The license Promise ships them as Kratix Promise dependencies, so every Destination its routes land
on gets them (a dependencies Work per Promise, scheduled to every Destination matching the Promise's
`destinationSelectors`) and nobody applies them by hand on the right cluster. They are the only
emitter of these two objects (DESIGN rule 1): `deploy/` runs the standby page's pods in that
namespace but does not declare the namespace or the Service.

Deleting the Promise deletes its dependencies Work, and the GitOps agent prunes what the Work held:
the namespace is marked never-prune for Flux and Argo CD, so uninstalling never takes the services
(or anything a site keeps there, like the Gateway) with it.
"""

from __future__ import annotations

from typing import Any

from foundry_lib.manifests.labels import PART_OF
from foundry_lib.settings import PlatformSettings

STANDBY_APP = (
    "foundry-standby"  # the standby page pods' app.kubernetes.io/name (deploy/services/standby-page)
)
STANDBY_PORT_NAME = "http"  # the standby page container's named port
# GitOps agents leave an object with these annotations in place when it disappears from the source.
PRUNE_DISABLED = {
    "kustomize.toolkit.fluxcd.io/prune": "disabled",
    "argocd.argoproj.io/sync-options": "Prune=false",
}


def standby_dependencies(settings: PlatformSettings) -> list[dict[str, Any]]:
    """The standby page's namespace and Service, where FOUNDRY_STANDBY_SERVICE_* say the routes send
    non-active hostnames."""
    namespace = settings.standby_service_namespace
    labels = {"app.kubernetes.io/part-of": PART_OF}
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": namespace,
                "labels": {**labels, "pod-security.kubernetes.io/enforce": "restricted"},
                "annotations": dict(PRUNE_DISABLED),
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": settings.standby_service_name,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/name": STANDBY_APP, **labels},
            },
            "spec": {
                "selector": {"app.kubernetes.io/name": STANDBY_APP},
                "ports": [
                    {
                        "name": STANDBY_PORT_NAME,
                        "port": settings.standby_service_port,
                        "targetPort": STANDBY_PORT_NAME,
                    }
                ],
            },
        },
    ]
