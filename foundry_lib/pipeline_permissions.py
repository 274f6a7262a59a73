"""Exactly the API calls each Promise workflow makes: the reviewable statement of what each pipeline
may do, rendered as the Kratix Pipeline's `rbac.permissions`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from foundry_lib import kube
from foundry_lib.promise_definitions import Action

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


def pipeline_permissions(promise: str, action: Action) -> list[dict[str, Any]]:
    """One workflow's `rbac.permissions`: its namespaced rules, then its cluster-wide ones."""
    permissions = _rules(PERMISSIONS[(promise, action)])
    cluster_wide = CLUSTER_PERMISSIONS.get((promise, action), {})
    return permissions + [{"resourceNamespace": "*", **rule} for rule in _rules(cluster_wide)]


def _rules(permissions: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"apiGroups": ["" if r in _CORE_RESOURCES else kube.GROUP], "resources": [r], "verbs": verbs.split()}
        for r, verbs in permissions.items()
    ]
