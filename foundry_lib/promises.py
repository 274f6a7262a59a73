"""The three Kratix Promises as plain data, generated from the spec models (DESIGN §3, STYLE 2).

Each Promise carries its resource API as a CRD whose schema is the pydantic model's JSON schema made
structural and closed (see `crd_schema`): the API server rejects an unknown field under `spec`; status
stays free-form (Kratix replaces a status schema anyway). Every Promise is scheduled by the same
`destinationSelectors` (a tenant's routes, workloads and Secrets land on one cluster), names the
Promises it needs (`requiredPromises`) and carries the release version (`kratix.io/promise-version`).
The license Promise also ships, as `dependencies`, the standby page's namespace and Service its routes
point at (`manifests.standby`): Kratix writes them to every Destination the Promise schedules to.

The permission table at the top is the reviewable statement of what each pipeline may do.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel

from foundry_lib import kube
from foundry_lib.crd_schema import structural_schema
from foundry_lib.errors import UserError
from foundry_lib.manifests.standby import standby_dependencies
from foundry_lib.models import FoundryActivationRequestSpec, FoundryInstanceSpec, FoundryLicenseSpec
from foundry_lib.names import DNS1123_LABEL_PATTERN, MAX_LABEL
from foundry_lib.settings import PlatformSettings, env_key


class Action(StrEnum):
    CONFIGURE = "configure"
    DELETE = "delete"


_CORE_RESOURCES = frozenset({"secrets", "events"})  # every other resource is in our group, foundry.platform

# Exactly the API calls each pipeline makes, in the resource's own namespace: resource → verbs.
# (Kratix also grants every resource workflow access to its own kind; this table stands on its own.)
PERMISSIONS: Mapping[tuple[str, Action], Mapping[str, str]] = {
    ("foundry-instance", Action.CONFIGURE): {
        "foundryinstances": "list patch",  # patch: wake a pool owner this instance detached from
        "foundrylicenses": "get list patch",  # list: shared roots apart; patch: manual-reconciliation label
        "secrets": "create",  # the generated admin key (AlreadyExists = it exists; never read)
        "foundryinstances/status": "patch",
    },
    ("foundry-instance", Action.DELETE): {
        "foundryinstances": "list patch",  # list: pool dependents; patch: wake this instance's sources
        "foundrylicenses": "get patch",  # get: the switchover guard; patch: unroute the deleted instance
        "events": "create",  # the switchover guard's decisions, on the license
        "foundryactivationrequests": "list patch",  # wake open requests for it: they fail at once
        "foundryinstances/status": "patch",
    },
    ("foundry-license", Action.CONFIGURE): {
        "foundryinstances": "list patch",  # patch: the manual-reconciliation label
        "foundryinstances/status": "patch",  # isActive
        "events": "create",  # the switchover guard's decisions
        "foundrylicenses/status": "patch",
    },
    ("foundry-license", Action.DELETE): {
        "foundryinstances": "list",
        "foundrylicenses/status": "patch",
    },
    ("foundry-activation-request", Action.CONFIGURE): {
        "foundryinstances": "get",  # the named instance, and the routed one's player counts
        "foundrylicenses": "get patch",  # patch: an approval sets spec.activeInstanceName
        "foundryactivationrequests": "list",  # one open request per instance
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
    requires: tuple[str, ...] = ()  # Promises that must be installed (same release) before this one
    # Objects its workflows' outputs need on the Destination, shipped as Kratix `spec.dependencies`.
    dependencies: Callable[[PlatformSettings], list[dict[str, Any]]] | None = None


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
        status_doc="Written by the license pipeline: activeInstance, instanceInputs, instances, "
        "pendingSwitchover, conditions, message.",
        dependencies=standby_dependencies,  # its routes send non-active hostnames to the standby Service
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
        requires=("foundry-license",),
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
        requires=("foundry-instance",),
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


PROMISE_VERSION_LABEL = "kratix.io/promise-version"
# The label a platform team puts on the Destination where tenants' Secrets, routes and workloads live.
DEFAULT_DESTINATION_SELECTOR: Mapping[str, str] = {"foundry.platform/destination": "true"}


@dataclass(frozen=True)
class PromiseRelease:
    """What `make promises` stamps on every Promise: the package version (`0.1.0`, from the package
    metadata: one place) and the labels of the Destination every Promise schedules to. Without a
    version (the simulator), Promises carry no version label and require any version."""

    version: str | None = None
    destination_selector: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_DESTINATION_SELECTOR)
    )

    @property
    def promise_version(self) -> str | None:
        return f"v{self.version}" if self.version else None


def all_promises(image: str, release: PromiseRelease | None = None) -> dict[str, dict[str, Any]]:
    """Every Promise, keyed by its name, in a fixed order."""
    return {name: render_promise(name, image=image, release=release) for name in PROMISE_NAMES}


def render_promise(name: str, *, image: str, release: PromiseRelease | None = None) -> dict[str, Any]:
    """One `platform.kratix.io/v1alpha1` Promise: the CRD of its kind and its two workflows."""
    definition = next((p for p in PROMISES if p.name == name), None)
    if definition is None:
        raise KeyError(f"unknown Promise {name!r}; known: {', '.join(PROMISE_NAMES)}")
    release = release or PromiseRelease()
    labels = {"app.kubernetes.io/part-of": "foundry-platform"}
    version = release.promise_version
    if version:
        labels[PROMISE_VERSION_LABEL] = version
    spec: dict[str, Any] = {"api": _crd(definition)}
    if definition.dependencies is not None:
        # The pipelines' env defaults (`pipeline_env`) and these objects come from the same settings.
        spec["dependencies"] = definition.dependencies(PlatformSettings())
    spec["destinationSelectors"] = [{"matchLabels": dict(release.destination_selector)}]
    if definition.requires:
        spec["requiredPromises"] = [
            {"name": required} | ({"version": version} if version else {}) for required in definition.requires
        ]
    spec["workflows"] = {
        "resource": {action.value: [_pipeline(definition, action, image)] for action in Action}
    }
    return {
        "apiVersion": "platform.kratix.io/v1alpha1",
        "kind": "Promise",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
    }


_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_LABEL_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def parse_destination_selector(pairs: Sequence[str]) -> dict[str, str]:
    """`key=value` labels (as `--destination-selector` takes them, repeated or comma-separated) →
    matchLabels, checked as Kubernetes checks label keys and values, each problem named."""
    selector: dict[str, str] = {}
    for pair in (p for arg in pairs for p in arg.split(",")):
        key, sep, value = pair.partition("=")
        prefix, slash, name = key.rpartition("/")
        where = f"--destination-selector {pair!r}"
        if not sep:
            raise UserError(f"{where}: expected key=value, e.g. foundry.platform/destination=true")
        if (
            not name
            or len(name) > 63
            or not _LABEL_NAME.match(name)
            or (slash and (not prefix or len(prefix) > 253 or not _LABEL_PREFIX.match(prefix)))
        ):
            raise UserError(
                f"{where}: {key!r} is not a label key; allowed: an optional DNS subdomain prefix and '/', "
                "then 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric"
            )
        if len(value) > 63 or not _LABEL_NAME.match(value):
            raise UserError(
                f"{where}: {value!r} is not a label value; allowed: at most 63 letters, digits, '-', '_' "
                "or '.', starting and ending alphanumeric"
            )
        selector[key] = value
    return selector


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
