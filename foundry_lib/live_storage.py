"""Storage changes a live instance cannot take: switching backend, shrinking or emptying a volume.

A backend switch (pvc ↔ nfs) would render the volumes somewhere else and drop the old ones from the
Work (with PVC retention `delete`, that deletes the data); a claim cannot shrink. The last accepted
values are the ones the instance pipeline recorded in `status.effective`; whatever changed them
(the instance, its license's defaults, the platform's default) the answer is the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from foundry_lib.effective import EffectiveSpec
from foundry_lib.errors import UserError
from foundry_lib.quantities import quantity

_ORIGIN = {
    "instance": "spec.storage",
    "license": "the license's spec.defaults.storage",
    "platform": "the platform default (Promise pipeline env)",
}


def _recorded(status: Mapping[str, Any], key: str) -> str | None:
    entry = (status.get("effective") or {}).get(key)
    value = entry.get("value") if isinstance(entry, Mapping) else None
    return str(value) if value else None


def check_storage_change(eff: EffectiveSpec, status: Mapping[str, Any]) -> None:
    """Refuse a backend switch or a worlds volume shrink against what the instance last ran with."""
    if not status.get("volumes"):
        return  # never rendered: nothing is live yet
    backend = _recorded(status, "storageBackend")
    wanted = eff.storage_backend.value.value
    if backend and backend != wanted:
        raise UserError(
            f"spec.storage.backend: this instance's data lives on {backend!r} and "
            f"{_ORIGIN[eff.storage_backend.origin]} now asks for {wanted!r}; the backend of a live "
            "instance cannot change (its volumes would be dropped). To move it, create a new instance "
            f"with storage.backend {wanted!r} and volumes "
            "worlds/plugins mode copied from this one (source.instance), then delete this one",
            reason="StorageBackendChange",
            field="spec.storage.backend",
        )
    size = _recorded(status, "storageSize")
    new_size = eff.worlds_size.value
    if size and _bytes(new_size) < _bytes(size):
        raise UserError(
            f"spec.storage.size: the worlds volume is {size} and {_ORIGIN[eff.worlds_size.origin]} now asks "
            f"for {new_size}; a volume cannot shrink (its data would not fit). Keep {size} or more",
            reason="StorageShrink",
            field="spec.storage.size",
        )


def _bytes(text: str) -> float:
    try:
        return float(quantity(text))
    except ValueError:
        return 0.0
