"""Spec schemas are closed: only a map the model declares free-form keeps unknown keys."""

from __future__ import annotations

from typing import Any

import pytest

from foundry_lib.crd_schema import structural_schema
from foundry_lib.models.common import SpecModel


class Inner(SpecModel):
    size: str | None = None


class Sample(SpecModel):
    inner: Inner = Inner()
    labels: dict[str, str] = {}
    extra: dict[str, Any] = {}
    nested: dict[str, Inner] = {}


SCHEMA = structural_schema(Sample)
CASES = [
    ("spec", SCHEMA, {"type": "object", "closed": True}),
    ("nested-model", SCHEMA["properties"]["inner"], {"type": "object", "closed": True}),
    ("string-map", SCHEMA["properties"]["labels"], {"type": "object", "values": {"type": "string"}}),
    ("free-form-map", SCHEMA["properties"]["extra"], {"type": "object", "free": True}),
    ("model-map", SCHEMA["properties"]["nested"], {"type": "object", "values-closed": True}),
]


def _shape(node: dict[str, Any]) -> dict[str, Any]:
    shape: dict[str, Any] = {"type": node["type"]}
    if node.get("x-kubernetes-preserve-unknown-fields"):
        shape["free"] = True
    elif "properties" in node:
        shape["closed"] = True
    values = node.get("additionalProperties")
    if isinstance(values, dict):
        if values.get("type") == "object":
            shape["values-closed"] = "properties" in values and not values.get(
                "x-kubernetes-preserve-unknown-fields"
            )
        else:
            shape["values"] = {"type": values["type"]}
    return shape


@pytest.mark.parametrize(("node", "shape"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_objects_are_closed_unless_the_model_says_free_form(
    node: dict[str, Any], shape: dict[str, Any]
) -> None:
    assert _shape(node) == shape
