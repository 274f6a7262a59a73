"""Facts the pipelines read from the Kubernetes API, parsed into validated requests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from foundry_lib.errors import UserError
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeAPI
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request, parse_request


def load_license(kube: KubeAPI, namespace: str, name: str) -> Request[FoundryLicenseSpec] | None:
    """The license, None when absent; an invalid license is the user's to fix, said as such."""
    obj = kube.get(FOUNDRY_LICENSE, namespace, name)
    if obj is None or _deleting(obj):
        return None
    try:
        return parse_request(obj, FoundryLicenseSpec)
    except UserError as err:
        raise UserError(
            f"FoundryLicense {name!r} is invalid, fix it first: {err.message}",
            reason="LicenseInvalid",
            field="spec.licenseRef.name",
        ) from err


def instances_of(kube: KubeAPI, namespace: str, license_name: str) -> list[Request[FoundryInstanceSpec]]:
    """Valid, not-deleting instances that reference the license (invalid ones deploy nothing)."""
    found = []
    for obj in kube.list(FOUNDRY_INSTANCE, namespace):
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
