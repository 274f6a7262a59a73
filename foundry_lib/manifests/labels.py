"""Labels every rendered object carries, so platform teams can select and audit them."""

from __future__ import annotations

PART_OF = "foundry-platform"
LICENSE_LABEL = "foundry.platform/license"
INSTANCE_LABEL = "app.kubernetes.io/instance"


def selector_labels(instance: str) -> dict[str, str]:
    """Stable across versions: a Deployment's selector can never change."""
    return {"app.kubernetes.io/name": "foundryvtt", INSTANCE_LABEL: instance}


def instance_labels(instance: str, license_name: str, component: str) -> dict[str, str]:
    return {
        **selector_labels(instance),
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "kratix",
        LICENSE_LABEL: license_name,
    }
