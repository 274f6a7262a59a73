"""Which instances a license admits under `restrictions.maxInstances` (DESIGN §2).

One rule read by both planners: the instance pipeline (is this one admitted, or stopped/refused?) and
the license pipeline (which instances are routed, which are over the limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request


def admitted(siblings: Sequence[Request[Any]], limit: int | None, routed: str | None = None) -> set[str]:
    """The names admitted under the license's limit: the routed instance, then the oldest (creation
    time, then name); when the limit is lowered the newest beyond it leave, never the routed one."""
    order = sorted(siblings, key=lambda r: (r.name != routed, r.creation_timestamp, r.name))
    return {r.name for r in (order if limit is None else order[:limit])}


def admitted_by(license_req: Request[FoundryLicenseSpec], instances: Sequence[Request[Any]]) -> set[str]:
    """`admitted` with the license's own limit and its routed instance (`status.activeInstance`)."""
    routed = license_req.status.get("activeInstance") or None
    return admitted(instances, license_req.spec.restrictions.max_instances, str(routed) if routed else None)
