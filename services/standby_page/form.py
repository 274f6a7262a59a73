"""The "Request Activation" form: read at most a bounded urlencoded body, and turn its fields into the
FoundryActivationRequest to create (control characters stripped, checked against the model)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError
from starlette.requests import Request

from foundry_lib.kube import KubeObject
from foundry_lib.models.activation import FoundryActivationRequestSpec

NAME_MAX, REASON_MAX = 100, 500
FORM_TYPE = "application/x-www-form-urlencoded"
_FIELDS = ("csrf", "displayName", "reason")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


async def read_form(request: Request, max_body: int) -> dict[str, str] | None:
    """The urlencoded form, read at most `max_body` bytes; None when larger or not a form. No body
    at all is an empty form (then the CSRF check refuses it, with the clearer message)."""
    if request.headers.get("content-length", "0") == "0" and "transfer-encoding" not in request.headers:
        return {}
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        return None
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > max_body:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_body:
            return None
    try:
        parsed = parse_qs(body.decode("utf-8"), max_num_fields=10, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    return {k: v[0] for k, v in parsed.items() if k in _FIELDS}


def activation_request(
    key: tuple[str, str], form: dict[str, str], suffix: Callable[[], str]
) -> KubeObject | None:
    """The FoundryActivationRequest to create for this instance, in its namespace; None when the
    form's fields do not fit the model. The name is the instance's plus a random suffix."""
    namespace, instance = key
    name = _CONTROL.sub("", form.get("displayName", "")).strip()
    reason = _CONTROL.sub("", form.get("reason", "")).strip()
    requested_by: dict[str, Any] = {"source": "standby-page"}
    if name:
        requested_by["displayName"] = name
    spec = {"instanceRef": {"name": instance}, "requestedBy": requested_by, "reason": reason}
    try:
        FoundryActivationRequestSpec.model_validate(spec)
    except ValidationError:
        return None
    return {"metadata": {"name": f"{instance[:50]}-{suffix()}", "namespace": namespace}, "spec": spec}
