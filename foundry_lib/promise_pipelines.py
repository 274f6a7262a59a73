"""Each Promise workflow's Kratix Pipeline: one container running the role's console script, with every
platform setting as `env` (the platform team's defaults, in one place), a least-privilege security
context, the release catalog mounted where a workflow resolves versions, and its RBAC permissions."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from enum import Enum
from typing import Any

from foundry_lib.pipeline_permissions import pipeline_permissions
from foundry_lib.promise_definitions import Action, PromiseDefinition
from foundry_lib.settings import PlatformSettings, env_key

PIPELINE_NAMES: Mapping[Action, str] = {Action.CONFIGURE: "render", Action.DELETE: "teardown"}
CATALOG_CONFIGMAP = "foundry-release-catalog"
CATALOG_MOUNT = "/etc/foundry/catalog"
CATALOG_FILE = f"{CATALOG_MOUNT}/releases.yaml"
_CATALOG_VOLUME = "release-catalog"
_SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
_RESOURCES = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}


def console_script(definition: PromiseDefinition, action: Action) -> str:
    return f"foundry-{definition.role}-{action.value}"


def pipeline_env(definition: PromiseDefinition, action: Action) -> list[dict[str, str]]:
    """Every platform setting with its default, so a platform team sees and edits them in one place."""
    env = {env_key(field): _env_value(info.default) for field, info in PlatformSettings.model_fields.items()}
    if action in definition.catalog_actions:
        env[env_key("catalog_overlay")] = CATALOG_FILE
    return [{"name": key, "value": value} for key, value in env.items()]


def render_pipeline(definition: PromiseDefinition, action: Action, image: str) -> dict[str, Any]:
    """One `platform.kratix.io/v1alpha1` Pipeline of the Promise's resource workflow for `action`."""
    container: dict[str, Any] = {
        "name": f"{definition.role}-{action.value}",
        "image": image,
        "command": [console_script(definition, action)],
        "imagePullPolicy": "IfNotPresent",
        "env": pipeline_env(definition, action),
        "securityContext": copy.deepcopy(_SECURITY_CONTEXT),  # no shared objects: YAML would alias them
        "resources": copy.deepcopy(_RESOURCES),
    }
    spec: dict[str, Any] = {"rbac": {"permissions": pipeline_permissions(definition.name, action)}}
    if action in definition.catalog_actions:
        container["volumeMounts"] = [{"name": _CATALOG_VOLUME, "mountPath": CATALOG_MOUNT, "readOnly": True}]
        spec["volumes"] = [
            {"name": _CATALOG_VOLUME, "configMap": {"name": CATALOG_CONFIGMAP, "optional": True}}
        ]
    spec["containers"] = [container]
    return {
        "apiVersion": "platform.kratix.io/v1alpha1",
        "kind": "Pipeline",
        "metadata": {"name": PIPELINE_NAMES[action]},
        "spec": spec,
    }


def _env_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)
