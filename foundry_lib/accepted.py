"""The last accepted spec of a resource: what everyone else reads while an edit is refused.

A resource's own configure pipeline records, on every run it renders, `status.accepted` =
`{generation, spec}` (owned by that pipeline; a refused run writes only message and conditions, so the
record stays). Readers of another resource (the license reading its instances, an instance reading its
license or a source) take `accepted_view`: the recorded spec when the object's generation moved past it
(a refused or not yet processed edit), else the object as is. So a refused edit changes nothing anywhere,
and the resource's own run (which sees the edit) wakes the others once it is accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

ACCEPTED = "accepted"


def accepted_record(spec: BaseModel, generation: int) -> dict[str, Any]:
    """The status value recording this run's spec (of metadata.generation `generation`) as accepted."""
    return {"generation": generation, "spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True)}


def accepted_view(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object with its last accepted spec, when its current generation was not (yet) accepted."""
    record = (obj.get("status") or {}).get(ACCEPTED)
    if not isinstance(record, Mapping) or not isinstance(record.get("spec"), Mapping):
        return obj
    generation = (obj.get("metadata") or {}).get("generation") or 0
    if record.get("generation") == generation:
        return obj
    return {**obj, "spec": dict(record["spec"])}
