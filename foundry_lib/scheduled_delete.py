"""Scheduled deletion: an instance annotated `foundry.platform/delete-at` is deleted once that time
passed. The `vtt delete` command sets the annotation (after a grace period, `--cancel` removes it);
the monitor's timer and the simulator, on its clock, delete what `due_deletions` names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from foundry_lib.activation_policy import parse_time
from foundry_lib.kube import deleting

DELETE_AT = "foundry.platform/delete-at"


def delete_at(obj: Mapping[str, Any]) -> datetime | None:
    """When the object is due; None when not scheduled or the value is unreadable (never guess)."""
    moment = parse_time(((obj.get("metadata") or {}).get("annotations") or {}).get(DELETE_AT))
    return moment if moment is not None and moment.tzinfo is not None else None


def due_deletions(objects: Iterable[Mapping[str, Any]], now: datetime) -> list[tuple[str, str]]:
    """(namespace, name) of every object whose scheduled deletion time has come, not yet deleting."""
    found = []
    for obj in objects:
        moment = delete_at(obj)
        if moment is not None and moment <= now and not deleting(obj):
            meta = obj.get("metadata") or {}
            found.append((str(meta.get("namespace") or "default"), str(meta.get("name") or "")))
    return sorted(found)
