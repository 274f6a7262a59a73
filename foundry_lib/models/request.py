"""A resource request as the pipelines see it: metadata plus a validated spec.

Validation errors become one UserError whose message names every offending field path in the
camelCase the user wrote, says what was wrong and what is allowed.
"""

from __future__ import annotations

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


def parse_request(obj: Mapping[str, Any], spec_model: type[S]) -> Request[S]:
    """Validate a raw object; raise UserError naming every bad field."""
    metadata = obj.get("metadata") or {}
    name = str(metadata.get("name") or "")
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
    return Request(
        name=name,
        namespace=str(metadata.get("namespace") or "default"),
        spec=parsed,
        labels=dict(metadata.get("labels") or {}),
        annotations=dict(metadata.get("annotations") or {}),
        creation_timestamp=str(metadata.get("creationTimestamp") or ""),
        generation=int(metadata.get("generation") or 0),
        status=dict(obj.get("status") or {}),
    )


def describe_validation_error(err: ValidationError, prefix: str = "spec") -> str:
    """`spec.foundryVersion: ...; spec.bogus: unknown field` — one clause per error, inputs not echoed."""
    return "; ".join(f"{_path(prefix, e['loc'])}: {_explain(e)}" for e in err.errors(include_input=False))


def _first_field(err: ValidationError) -> str:
    return _path("spec", err.errors()[0]["loc"])


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _is_union_tag(part):
            out += f".{part}"
    return out


def _is_union_tag(part: str) -> bool:
    # pydantic names union branches in loc (`str`, `literal['']`, `function-after[...]`).
    return part in {"str", "int", "bool"} or part.startswith(("literal[", "function-", "constrained-str"))


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
