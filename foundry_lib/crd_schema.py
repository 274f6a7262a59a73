"""Pydantic models as structural OpenAPI v3 schemas for CRDs.

The model's JSON schema is made structural: references inlined, optional `X | None` turned into `X`,
titles and defaults dropped (the model applies defaults; they are named in the description instead
so stored objects do not freeze a default the platform may change). Objects are closed: no
`x-kubernetes-preserve-unknown-fields`, so with the API server's strict field validation (kubectl's
default) `kubectl apply` rejects a typo such as `activeInstance: b` with its own error naming the
field, before any pipeline runs. Only a map the model declares free-form (`dict[str, Any]`) keeps
unknown fields; a `dict[str, X]` becomes `additionalProperties: X`. Cross-field rules the JSON schema
cannot express are CEL rules kept next to the models they mirror.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from foundry_lib.models.instance import Volume, VolumeSource
from foundry_lib.models.license import Activator


@dataclass(frozen=True)
class CelRule:
    rule: str
    message: str


# The models' cross-field validators, as CEL the API server checks before a pipeline runs.
CEL_RULES: Mapping[type[BaseModel], tuple[CelRule, ...]] = {
    Activator: (
        CelRule(
            "has(self.discordRoleId) != has(self.discordUserId)",
            "set exactly one of discordRoleId or discordUserId",
        ),
    ),
    VolumeSource: (CelRule("has(self.instance) != has(self.path)", "set exactly one of instance or path"),),
    Volume: (
        CelRule(
            "!has(self.source) || (has(self.mode) && self.mode != 'new')",
            "mode new takes no source (use copied or shared)",
        ),
        CelRule(
            "!has(self.mode) || self.mode != 'copied' || has(self.source)",
            "mode copied needs a source: {instance: <name>} or {path: <pool>}",
        ),
    ),
}
_CEL_BY_DEF = {model.__name__: rules for model, rules in CEL_RULES.items()}


def structural_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's validation JSON schema as a structural OpenAPI v3 schema (see module docstring)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return _convert(raw, raw.get("$defs", {}), model.__name__, "spec")


# Keys copied as they are; keys `_convert` handles or drops on purpose; anything else fails generation.
_BOUNDS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems")
_KEPT = ("format", "enum", "pattern", "required", *_BOUNDS)
_DROPPED = frozenset({"$defs", "title", "default", "additionalProperties"})
_HANDLED = _DROPPED | {"type", "description", "properties", "items", "const"}


def _convert(
    node: Mapping[str, Any], defs: Mapping[str, Any], def_name: str | None, path: str
) -> dict[str, Any]:
    """One schema node, references and nullable unions resolved, children converted recursively."""
    node, def_name = _resolve(node, defs, def_name, path)
    unknown = set(node) - set(_KEPT) - _HANDLED
    if unknown:  # a construct we cannot express structurally: fail generation, never emit it
        raise ValueError(f"{path}: unsupported JSON schema keys {sorted(unknown)}")
    out: dict[str, Any] = {"type": node.get("type"), "description": _describe(node)}
    out |= {key: copy.deepcopy(node[key]) for key in _KEPT if key in node}  # copies: YAML would alias
    if "const" in node:
        out["enum"] = [node["const"]]
    if "items" in node:
        out["items"] = _convert(node["items"], defs, None, f"{path}[]")
    if out["type"] == "object":
        props = node.get("properties", {})
        extra = node.get("additionalProperties")
        if props:
            out["properties"] = {
                key: _convert(child, defs, None, f"{path}.{key}") for key, child in props.items()
            }
        elif isinstance(extra, Mapping) and extra:
            out["additionalProperties"] = _convert(extra, defs, None, f"{path}.*")
        elif extra is not False:  # a free-form map (`dict[str, Any]`): the only place unknown keys live
            out["x-kubernetes-preserve-unknown-fields"] = True
        else:
            out["properties"] = {}
        rules = _CEL_BY_DEF.get(def_name or "", ())
        if rules:
            out["x-kubernetes-validations"] = [{"rule": r.rule, "message": r.message} for r in rules]
    return {key: value for key, value in out.items() if value not in (None, "")}


def _resolve(
    node: Mapping[str, Any], defs: Mapping[str, Any], def_name: str | None, path: str
) -> tuple[dict[str, Any], str | None]:
    """Inline `$ref` and unwrap `anyOf: [X, null]`; the referring node's own keys win."""
    siblings = {k: v for k, v in node.items() if k not in ("$ref", "anyOf")}
    if "$ref" in node:
        ref_name = str(node["$ref"]).rpartition("/")[2]
        target, _ = _resolve(defs[ref_name], defs, ref_name, path)
        return {**target, **siblings}, ref_name
    if "anyOf" in node:
        branches = [b for b in node["anyOf"] if b != {"type": "null"}]
        if len(branches) != 1:
            raise ValueError(f"{path}: only `X | None` unions can be expressed in a structural schema")
        target, target_def = _resolve(branches[0], defs, None, path)
        return {**target, **siblings}, target_def
    return dict(node), def_name


def _describe(node: Mapping[str, Any]) -> str:
    text = str(node.get("description") or "").strip()
    default = node.get("default")
    if isinstance(default, bool):
        shown = "true" if default else "false"
    elif isinstance(default, (str, int, float)) and default != "":
        shown = str(default)
    else:
        return text
    return f"{text} Default: {shown}.".strip()
