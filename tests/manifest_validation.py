"""Validate what we emit against real schemas: Kubernetes' own (kubernetes-validate --strict) and the
Gateway API CRDs in ../shared/schemas (strict: unknown fields fail, as typos would be pruned silently)."""

from __future__ import annotations

import copy
import functools
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from conftest import shared_schema

KUBERNETES_VERSION = "1.33"
GATEWAY_SCHEMAS = {
    "HTTPRoute": "gateway-api-v1.6.1-httproutes.yaml",
    "ReferenceGrant": "gateway-api-v1.6.1-referencegrants.yaml",
}


def strict(schema: Any) -> Any:
    """Forbid properties a structural schema does not list (the API server would prune them)."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-validations")}
        listed = "properties" in out and "additionalProperties" not in out
        if listed and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


@functools.cache
def crd_schema(file_name: str, version: str) -> dict[str, Any]:
    crd = yaml.safe_load(shared_schema(file_name).read_text())
    for entry in crd["spec"]["versions"]:
        if entry["name"] == version:
            return strict(copy.deepcopy(entry["schema"]["openAPIV3Schema"]))  # type: ignore[no-any-return]
    raise AssertionError(f"{file_name} has no version {version}")


def validate_manifest(obj: dict[str, Any]) -> None:
    kind = obj["kind"]
    if kind in GATEWAY_SCHEMAS:
        version = obj["apiVersion"].rpartition("/")[2]
        jsonschema.validate(obj, crd_schema(GATEWAY_SCHEMAS[kind], version))
        return
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
