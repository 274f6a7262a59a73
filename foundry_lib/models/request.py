"""A resource request as the pipelines see it: metadata plus a validated spec.

Validation errors become one UserError whose message names every offending field path in the
camelCase the user wrote, says what was wrong and what is allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from foundry_lib.errors import UserError
from foundry_lib.names import dns1123_label_problem

S = TypeVar("S", bound=BaseModel)

# What a pattern means, in the words a user understands.
_PATTERN_HINTS = {
    "latest": "a Foundry version: an exact build like 13.348 or 13.348.0, a generation like 13.x, or latest",
    "(h|m|s)": "a duration like 90s, 15m or 1h30m",
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$": "empty or a DNS-1123 label: lower case letters, digits and '-', "
    "starting and ending with a letter or digit",
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?$": "a DNS-1123 label: lower case letters, digits and '-', "
    "starting and ending with a letter or digit",
    "(\\.[a-z0-9]": "a DNS name: lower case labels separated by dots",
    "(/[A-Za-z0-9._-]+)+": "an absolute path like /volume1/foundry/shared",
    "[0-9]{1,20}": "a Discord snowflake id (digits only)",
    "(Mi|Gi|Ti|M|G|T)$": "a storage size like 10Gi",
    "(Ki|Mi|Gi": "a memory size like 2Gi or 512Mi",
    "[0-9]{1,6}m|": "a CPU amount like 500m or 2",
    "[-._a-zA-Z0-9]": "a Secret key: letters, digits, '-', '_' and '.'",
}


@dataclass(frozen=True)
class Request(Generic[S]):
    """Metadata, validated spec and raw status of one resource."""

    name: str
    namespace: str
    spec: S
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    creation_timestamp: str = ""
    generation: int = 0
    status: Mapping[str, Any] = field(default_factory=dict)
    uid: str = ""
    deletion_timestamp: str = ""


def parse_request(obj: Mapping[str, Any], spec_model: type[S]) -> Request[S]:
    """Validate a raw object; raise UserError naming every bad field."""
    metadata = _mapping(obj.get("metadata"), "metadata")
    raw_name = metadata.get("name")
    name = raw_name if isinstance(raw_name, str) else ""
    problem = dns1123_label_problem(name)
    if problem:
        raise UserError(f"metadata.name: {problem}", reason="InvalidName", field="metadata.name")
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        raise UserError("spec: must be a mapping", field="spec")
    try:
        parsed = spec_model.model_validate(spec)
    except ValidationError as err:
        raise UserError(describe_validation_error(err), field=_first_field(err)) from None
    generation = metadata.get("generation") or 0
    if not isinstance(generation, int):
        raise UserError("metadata.generation: must be an integer", field="metadata.generation")
    return Request(
        name=name,
        namespace=str(metadata.get("namespace") or "default"),
        spec=parsed,
        labels=_mapping(metadata.get("labels"), "metadata.labels"),
        annotations=_mapping(metadata.get("annotations"), "metadata.annotations"),
        creation_timestamp=str(metadata.get("creationTimestamp") or ""),
        generation=generation,
        status=_mapping(obj.get("status"), "status"),
        uid=str(metadata.get("uid") or ""),
        deletion_timestamp=str(metadata.get("deletionTimestamp") or ""),
    )


def _mapping(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise UserError(f"{field}: must be a mapping", field=field)
    return dict(value)


def describe_validation_error(err: ValidationError, prefix: str = "spec") -> str:
    """`spec.foundryVersion: ...; spec.bogus: unknown field` — one clause per error, inputs not echoed."""
    return "; ".join(f"{_path(prefix, e['loc'])}: {_explain(e)}" for e in err.errors(include_input=False))


def _first_field(err: ValidationError) -> str:
    return _path("spec", err.errors()[0]["loc"])


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    """Field path in the user's spelling; odd keys (long, newlines, markup) are quoted and cut."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}"
        else:
            shown = part if len(part) <= 40 else part[:40] + "..."
            out += "[" + json.dumps(shown).replace("<", "\\u003c").replace(">", "\\u003e") + "]"
    return out


def _explain(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (not part of this resource's API)"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        for needle, hint in _PATTERN_HINTS.items():
            if needle in pattern:
                return f"must be {hint}"
        return f"must match {pattern}"
    if kind == "enum":
        return f"must be one of {error.get('ctx', {}).get('expected', '')}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
