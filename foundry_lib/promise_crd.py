"""A Promise's resource API: the CRD of its kind, whose `spec` schema is the pydantic model's JSON
schema made structural and closed (see `crd_schema`), so the API server rejects an unknown field under
`spec`. Status stays free-form (Kratix replaces a status schema anyway) and is documented instead;
printer columns make `kubectl get` show what matters."""

from __future__ import annotations

from typing import Any

from foundry_lib.crd_schema import structural_schema
from foundry_lib.names import DNS1123_LABEL_PATTERN, MAX_LABEL
from foundry_lib.promise_definitions import PromiseDefinition


def render_crd(definition: PromiseDefinition) -> dict[str, Any]:
    """The `apiextensions.k8s.io/v1` CustomResourceDefinition of the Promise's kind."""
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
