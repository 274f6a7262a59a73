"""Which license holds a hostname platform-wide: the first one to route it (DESIGN §2 rule 9).

Every license records the hostnames it routes in `status.instances` (state other than
`hostname-taken`/`hostname-refused`), and the license pipeline writes that together with the routes,
so the recorded states are the routes that are applied. A hostname another license routes is taken;
if two licenses route one (they ran at the same time), the older license keeps it. A license that
stops routing a hostname wakes the licenses waiting for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

UNROUTED = ("hostname-taken", "hostname-refused")


@dataclass(frozen=True, order=True)
class LicenseRoutes:
    """One license's hostnames, as its status records them; ordered oldest first."""

    created: str
    namespace: str
    name: str
    routed: frozenset[str] = frozenset()
    waiting: frozenset[str] = frozenset()  # hostnames it was refused because another license has them

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> LicenseRoutes:
        meta = obj.get("metadata") or {}
        return cls.from_status(
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
            str(meta.get("creationTimestamp") or ""),
            obj.get("status") or {},
        )

    @classmethod
    def from_status(cls, namespace: str, name: str, created: str, status: Mapping[str, Any]) -> LicenseRoutes:
        entries = [e for e in status.get("instances") or [] if isinstance(e, Mapping) and e.get("hostname")]
        return cls(
            created=created,
            namespace=namespace,
            name=name,
            routed=frozenset(str(e["hostname"]) for e in entries if e.get("state") not in UNROUTED),
            waiting=frozenset(str(e["hostname"]) for e in entries if e.get("state") == "hostname-taken"),
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


def taken_elsewhere(me: LicenseRoutes, others: Iterable[LicenseRoutes]) -> set[str]:
    """Hostnames another license holds: it routes them and either this license does not yet, or both
    do and the other is older (creation time, then namespace and name)."""
    taken = set()
    for other in others:
        if other.key == me.key:
            continue
        for hostname in other.routed:
            if hostname not in me.routed or other < me:
                taken.add(hostname)
    return taken


def waiting_for(
    released: set[str], me: LicenseRoutes, others: Iterable[LicenseRoutes]
) -> list[tuple[str, str]]:
    """(namespace, name) of the other licenses refused a hostname this license no longer routes."""
    return sorted(o.key for o in others if o.key != me.key and o.waiting & released)
