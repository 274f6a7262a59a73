"""Status conditions in the Kubernetes shape; Kratix merges them by `type`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def condition(kind: str, ok: bool, reason: str, message: str, now: datetime) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if ok else "False",
        "reason": reason,
        "message": message,
        "lastTransitionTime": rfc3339(now),
    }


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def condition_of(status: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    """The status's condition of this type, or {} when it has none (Kratix keeps one per type)."""
    for cond in status.get("conditions") or []:
        if isinstance(cond, Mapping) and cond.get("type") == kind:
            return cond
    return {}
