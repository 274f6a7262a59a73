"""Facts the pipelines read from the Kubernetes API, parsed into validated requests.

Other resources are read as last accepted (`accepted_view`): a refused edit of a license or instance
reaches nobody. Pool peers are read raw, valid or not: a server runs whatever its spec says now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from foundry_lib.accepted import accepted_view
from foundry_lib.errors import UserError
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeAPI, KubeObject
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request, parse_request
from foundry_lib.running import Peer


def load_license(kube: KubeAPI, namespace: str, name: str) -> Request[FoundryLicenseSpec] | None:
    """The license as last accepted, None when absent; an invalid license is the user's to fix."""
    obj = kube.get(FOUNDRY_LICENSE, namespace, name)
    if obj is None or _deleting(obj):
        return None
    try:
        return parse_request(accepted_view(obj), FoundryLicenseSpec)
    except UserError as err:
        raise UserError(
            f"FoundryLicense {name!r} is invalid, fix it first: {err.message}",
            reason="LicenseInvalid",
            field="spec.licenseRef.name",
        ) from err


def instances_of(kube: KubeAPI, namespace: str, license_name: str) -> list[Request[FoundryInstanceSpec]]:
    """Not-deleting instances that reference the license, as last accepted (never accepted and
    invalid ones deploy nothing)."""
    return _of_license(kube.list(FOUNDRY_INSTANCE, namespace), license_name)


def instances_and_deleting(
    kube: KubeAPI, namespace: str, license_name: str
) -> tuple[list[Request[FoundryInstanceSpec]], list[Request[FoundryInstanceSpec]]]:
    """The license's instances (as `instances_of`) and, from the same list, those being deleted (the
    license keeps routing its routed instance while that instance's delete waits for its players)."""
    objects = kube.list(FOUNDRY_INSTANCE, namespace)
    going = [obj for obj in objects if _deleting(obj)]
    deleting = []
    for raw in going:
        obj = accepted_view(raw)
        if ((obj.get("spec") or {}).get("licenseRef") or {}).get("name") != license_name:
            continue
        try:
            deleting.append(parse_request(obj, FoundryInstanceSpec))
        except UserError:
            continue
    return _of_license(objects, license_name), deleting


def instances_and_peers(
    kube: KubeAPI, namespace: str, license_name: str
) -> tuple[list[Request[FoundryInstanceSpec]], list[Peer]]:
    """The license's instances (as `instances_of`) and every not-deleting instance of the namespace
    with its raw status, valid or not (a server runs whatever its spec says now), from one list."""
    objects = kube.list(FOUNDRY_INSTANCE, namespace)
    peers = [
        Peer(str((obj.get("metadata") or {}).get("name")), dict(obj.get("status") or {}))
        for obj in objects
        if not _deleting(obj)
    ]
    return _of_license(objects, license_name), peers


def _of_license(objects: list[KubeObject], license_name: str) -> list[Request[FoundryInstanceSpec]]:
    found = []
    for raw in objects:
        obj = accepted_view(raw)
        if _deleting(obj) or ((obj.get("spec") or {}).get("licenseRef") or {}).get("name") != license_name:
            continue
        try:
            found.append(parse_request(obj, FoundryInstanceSpec))
        except UserError:
            continue
    return found


def with_self(
    siblings: list[Request[FoundryInstanceSpec]], me: Request[FoundryInstanceSpec]
) -> list[Request[FoundryInstanceSpec]]:
    """The sibling list with this run's own object in place of the API's copy."""
    return [s for s in siblings if s.name != me.name] + [me]


def _deleting(obj: Mapping[str, Any]) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))
