"""The three Kratix Promises as plain data, generated from the spec models (DESIGN §3, STYLE 2).

Each Promise carries its resource API as a CRD whose schema is the pydantic model's JSON schema made
structural (see `crd_schema`): every object under `spec` keeps unknown fields, so the pipeline sees a
typo and rejects it with a message naming the field instead of the API server pruning it silently.

The permission table at the top is the reviewable statement of what each pipeline may do.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel

from foundry_lib import kube
from foundry_lib.crd_schema import structural_schema
from foundry_lib.models import FoundryActivationRequestSpec, FoundryInstanceSpec, FoundryLicenseSpec
from foundry_lib.names import DNS1123_LABEL_PATTERN, MAX_LABEL
from foundry_lib.settings import PlatformSettings, env_key


class Action(StrEnum):
    CONFIGURE = "configure"
    DELETE = "delete"


_CORE_RESOURCES = frozenset({"secrets"})  # every other resource is in our group, foundry.platform

# Exactly the API calls each pipeline makes, in the resource's own namespace: resource → verbs.
# (Kratix also grants every resource workflow access to its own kind; this table stands on its own.)
PERMISSIONS: Mapping[tuple[str, Action], Mapping[str, str]] = {
    ("foundry-instance", Action.CONFIGURE): {
        "foundryinstances": "list patch",  # patch: wake a pool owner this instance detached from
        "foundrylicenses": "get list patch",  # list: shared roots apart; patch: manual-reconciliation label
        "secrets": "get create",  # the generated admin key
        "foundryinstances/status": "patch",
    },
    ("foundry-instance", Action.DELETE): {
        "foundryinstances": "list patch",  # list: pool dependents; patch: wake this instance's sources
        "foundrylicenses": "patch",  # unroute the deleted instance
        "foundryinstances/status": "patch",
    },
    ("foundry-license", Action.CONFIGURE): {
        "foundryinstances": "list patch",  # patch: the manual-reconciliation label
        "foundryinstances/status": "patch",  # isActive
        "foundrylicenses/status": "patch",
    },
    ("foundry-license", Action.DELETE): {
        "foundryinstances": "list",
        "foundrylicenses/status": "patch",
    },
    ("foundry-activation-request", Action.CONFIGURE): {
        "foundryinstances": "get",
        "foundryactivationrequests/status": "patch",
    },
    ("foundry-activation-request", Action.DELETE): {
        "foundryactivationrequests/status": "patch",
    },
}

# The same, in every namespace (Kratix `resourceNamespace: "*"`): a hostname routes to one instance
# platform-wide, so the license pipeline reads every license's routed hostnames and wakes a license
# waiting for a hostname it releases.
CLUSTER_PERMISSIONS: Mapping[tuple[str, Action], Mapping[str, str]] = {
    ("foundry-license", Action.CONFIGURE): {"foundrylicenses": "list patch"},
}


@dataclass(frozen=True)
class Column:
    name: str
    json_path: str
    type: str = "string"


@dataclass(frozen=True)
class PromiseDefinition:
    """What differs between the three Promises; everything else is rendered the same way."""

    name: str
    kind: kube.Kind
    short_names: tuple[str, ...]
    model: type[BaseModel]
    role: str  # console scripts foundry-<role>-<action>, containers <role>-<action>
    columns: tuple[Column, ...]
    status_doc: str
    catalog_actions: frozenset[Action] = frozenset()


_AGE = Column("Age", ".metadata.creationTimestamp", "date")

PROMISES: tuple[PromiseDefinition, ...] = (
    PromiseDefinition(
        name="foundry-license",
        kind=kube.FOUNDRY_LICENSE,
        short_names=("fl",),
        model=FoundryLicenseSpec,
        role="license",
        columns=(
            Column("Active", ".status.activeInstance"),
            Column("Domain", ".spec.baseDomain"),
            Column("Message", ".status.message"),
            _AGE,
        ),
        status_doc="Written by the license pipeline: activeInstance, instances, pendingSwitchover, "
        "conditions, message.",
    ),
    PromiseDefinition(
        name="foundry-instance",
        kind=kube.FOUNDRY_INSTANCE,
        short_names=("fi",),
        model=FoundryInstanceSpec,
        role="instance",
        columns=(
            Column("License", ".spec.licenseRef.name"),
            Column("Active", ".status.isActive", "boolean"),
            Column("Players", ".status.connectedPlayers", "integer"),
            Column("Version", ".status.foundryVersion.resolved"),
            Column("URL", ".status.url"),
            _AGE,
        ),
        status_doc="Instance pipeline: foundryVersion, volumes, hostname, url, conditions, message. "
        "License pipeline: isActive. Monitor: connectedPlayers, lastPlayerActivity, activeWorld, foundry.",
        catalog_actions=frozenset({Action.CONFIGURE}),
    ),
    PromiseDefinition(
        name="foundry-activation-request",
        kind=kube.FOUNDRY_ACTIVATION_REQUEST,
        short_names=("far",),
        model=FoundryActivationRequestSpec,
        role="activation",
        columns=(
            Column("Instance", ".spec.instanceRef.name"),
            Column("Phase", ".status.phase"),
            Column("Source", ".spec.requestedBy.source"),
            _AGE,
        ),
        status_doc="Written by the activation pipeline: phase (Pending, Approved, Denied, Expired, "
        "Completed), message.",
    ),
)
PROMISE_NAMES = tuple(p.name for p in PROMISES)

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


def all_promises(image: str) -> dict[str, dict[str, Any]]:
    """Every Promise, keyed by its name, in a fixed order."""
    return {name: render_promise(name, image=image) for name in PROMISE_NAMES}


def render_promise(name: str, *, image: str) -> dict[str, Any]:
    """One `platform.kratix.io/v1alpha1` Promise: the CRD of its kind and its two workflows."""
    definition = next((p for p in PROMISES if p.name == name), None)
    if definition is None:
        raise KeyError(f"unknown Promise {name!r}; known: {', '.join(PROMISE_NAMES)}")
    return {
        "apiVersion": "platform.kratix.io/v1alpha1",
        "kind": "Promise",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "foundry-platform"}},
        "spec": {
            "api": _crd(definition),
            "workflows": {
                "resource": {action.value: [_pipeline(definition, action, image)] for action in Action}
            },
        },
    }


def console_script(definition: PromiseDefinition, action: Action) -> str:
    return f"foundry-{definition.role}-{action.value}"


def pipeline_env(definition: PromiseDefinition, action: Action) -> list[dict[str, str]]:
    """Every platform setting with its default, so a platform team sees and edits them in one place."""
    env = {env_key(field): _env_value(info.default) for field, info in PlatformSettings.model_fields.items()}
    if action in definition.catalog_actions:
        env[env_key("catalog_overlay")] = CATALOG_FILE
    return [{"name": key, "value": value} for key, value in env.items()]


def _crd(definition: PromiseDefinition) -> dict[str, Any]:
    kind = definition.kind
    name_rule = {"type": "string", "maxLength": MAX_LABEL, "pattern": DNS1123_LABEL_PATTERN}
    schema = {
        "type": "object",
        "description": f"{kind.kind}: {(definition.model.__doc__ or '').strip()}",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object", "properties": {"name": name_rule}},
            "spec": structural_schema(definition.model),
            "status": {
                "type": "object",
                "description": definition.status_doc,
                "x-kubernetes-preserve-unknown-fields": True,
            },
        },
        "required": ["spec"],
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.plural}.{kind.group}"},
        "spec": {
            "group": kind.group,
            "scope": "Namespaced",
            "names": {
                "kind": kind.kind,
                "listKind": f"{kind.kind}List",
                "plural": kind.plural,
                "singular": kind.kind.lower(),
                "shortNames": list(definition.short_names),
                "categories": ["foundry"],
            },
            "versions": [
                {
                    "name": kind.version,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        {"name": c.name, "type": c.type, "jsonPath": c.json_path} for c in definition.columns
                    ],
                }
            ],
        },
    }


def _pipeline(definition: PromiseDefinition, action: Action, image: str) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": f"{definition.role}-{action.value}",
        "image": image,
        "command": [console_script(definition, action)],
        "imagePullPolicy": "IfNotPresent",
        "env": pipeline_env(definition, action),
        "securityContext": copy.deepcopy(_SECURITY_CONTEXT),  # no shared objects: YAML would alias them
        "resources": copy.deepcopy(_RESOURCES),
    }
    permissions = _rules(PERMISSIONS[(definition.name, action)])
    cluster_wide = CLUSTER_PERMISSIONS.get((definition.name, action), {})
    permissions += [{"resourceNamespace": "*", **rule} for rule in _rules(cluster_wide)]
    spec: dict[str, Any] = {"rbac": {"permissions": permissions}}
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


def _rules(permissions: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"apiGroups": ["" if r in _CORE_RESOURCES else kube.GROUP], "resources": [r], "verbs": verbs.split()}
        for r, verbs in permissions.items()
    ]


def _env_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)
