"""What the standby page knows and shows: pure functions over raw objects, no I/O, no clock.

`Cluster` indexes instances by the hostname the license pipeline routed (license status
`instances[].hostname`, else the instance's own status `hostname`), so a Host header finds at most one
instance platform-wide. `page_of` turns one instance, its license and its activation requests into a
`Page`: only this instance's name and the live instance's name ever leave this module (no namespace, no
other object names, no message written by someone else).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from foundry_lib.kube import KubeObject

FINISHED_PHASES = frozenset({"Denied", "Expired", "Completed", "Failed"})
ROUTED_STATES = frozenset({"active", "standby"})
MAX_HOST = 253
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$"
)

# What a player reads for each phase of their request (the workflow's own message may name others).
PHASE_TEXT = {
    "Pending": "Your request is waiting for approval.",
    "Approved": "Approved: the server is being switched over.",
    "Denied": "The request was denied.",
    "Expired": "The request expired before anyone decided.",
    "Completed": "Done: the server is live.",
    "Failed": "The request could not be completed.",
}


def host_of(header: str | None) -> str | None:
    """The DNS name in a Host header (port and trailing dot dropped, lower case), or None when the
    header is missing, oversized or not a DNS name."""
    if not header or len(header) > MAX_HOST + 7:
        return None
    name, _, port = header.rpartition(":") if ":" in header else (header, "", "")
    if port and not port.isdigit():
        return None
    name = name.rstrip(".").lower()
    return name if _HOST.match(name) else None


def _key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _status(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    status = (obj or {}).get("status")
    return status if isinstance(status, Mapping) else {}


def _spec(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    spec = (obj or {}).get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _created(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


def requested_instance(request: Mapping[str, Any]) -> str:
    ref = _spec(request).get("instanceRef")
    return str(ref.get("name") or "") if isinstance(ref, Mapping) else ""


def phase_of(request: Mapping[str, Any]) -> str:
    """A request's phase; one the workflow has not looked at yet is Pending."""
    return str(_status(request).get("phase") or "Pending")


@dataclass
class Cluster:
    """Instances, licenses and activation requests, indexed for the page."""

    instances: dict[tuple[str, str], KubeObject] = field(default_factory=dict)
    licenses: dict[tuple[str, str], KubeObject] = field(default_factory=dict)
    requests: dict[tuple[str, str], list[KubeObject]] = field(default_factory=dict)
    hosts: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        instances: Iterable[KubeObject],
        licenses: Iterable[KubeObject],
        requests: Iterable[KubeObject],
    ) -> Cluster:
        cluster = cls()
        for inst in sorted(instances, key=lambda o: (_created(o), _key(o))):
            cluster.instances[_key(inst)] = inst
        for lic in licenses:
            cluster.licenses[_key(lic)] = lic
        for req in requests:
            cluster.add_request(req)
        cluster.hosts = _hosts(cluster.instances, cluster.licenses)
        return cluster

    def add_request(self, request: KubeObject) -> None:
        namespace, _ = _key(request)
        self.requests.setdefault((namespace, requested_instance(request)), []).append(request)

    def find(self, host: str) -> tuple[str, str] | None:
        return self.hosts.get(host)


def _hosts(
    instances: Mapping[tuple[str, str], KubeObject], licenses: Mapping[tuple[str, str], KubeObject]
) -> dict[str, tuple[str, str]]:
    """Hostname → instance. The license pipeline's routing wins; an instance's own status hostname
    fills in for instances no license status lists yet. First claimant (oldest instance) keeps a name."""
    claims: dict[str, tuple[str, str]] = {}
    routed: dict[tuple[str, str], str] = {}
    for (namespace, _), lic in sorted(licenses.items()):
        for entry in _status(lic).get("instances") or []:
            if isinstance(entry, Mapping) and entry.get("state") in ROUTED_STATES and entry.get("hostname"):
                routed[(namespace, str(entry.get("name")))] = str(entry["hostname"]).lower()
    for key, inst in instances.items():  # oldest first
        if license_key(key, inst) not in licenses:
            continue
        hostname = routed.get(key) or str(_status(inst).get("hostname") or "").lower()
        if hostname and hostname not in claims:
            claims[hostname] = key
    return claims


def license_key(key: tuple[str, str], instance: Mapping[str, Any]) -> tuple[str, str]:
    ref = _spec(instance).get("licenseRef")
    return key[0], str(ref.get("name") or "") if isinstance(ref, Mapping) else ""


@dataclass(frozen=True)
class Page:
    """Everything the page and /status.json show; every field is safe to show a stranger."""

    instance: str
    state: str  # standby | switching | starting | ready | failed | unavailable
    version: str | None
    url: str | None
    live: str | None
    live_players: int | None
    request_phase: str | None
    request_text: str | None
    requested_by: str | None
    can_request: bool
    switchover: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "state": self.state,
            "ready": self.state == "ready",
            "url": self.url if self.state == "ready" else None,
            "version": self.version,
            "live": {"name": self.live, "players": self.live_players} if self.live else None,
            "request": {"phase": self.request_phase, "text": self.request_text, "by": self.requested_by}
            if self.request_phase
            else None,
            "canRequest": self.can_request,
            "switchover": self.switchover,
        }


def open_request(requests: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The newest request not yet finished, else the newest finished one (so a player sees why)."""
    ordered = sorted(requests, key=_created, reverse=True)
    live = [r for r in ordered if phase_of(r) not in FINISHED_PHASES]
    return live[0] if live else (ordered[0] if ordered else None)


def page_of(
    cluster: Cluster,
    key: tuple[str, str],
    *,
    starting_since: datetime | None,
    now: datetime,
    start_timeout_seconds: float,
) -> Page:
    """The page of one instance. `starting_since` is when the page first saw it active but not
    answering (the caller keeps that memory); past `start_timeout_seconds` the page says it failed."""
    inst = cluster.instances[key]
    status = _status(inst)
    lic_status = _status(cluster.licenses.get(license_key(key, inst)))
    name = key[1]
    entry = _entry(lic_status, name)
    live = str(lic_status.get("activeInstance") or "") or None
    active = live == name or status.get("isActive") is True
    foundry = status.get("foundry")
    answering = isinstance(foundry, Mapping) and bool(foundry.get("reachable"))
    request = open_request(cluster.requests.get(key, []))
    phase = phase_of(request) if request is not None else None
    if active and answering:
        state = "ready"
    elif not active and _switching_to(lic_status, name):
        state = "switching"  # the license's switchover guard waits for the live instance's players
    elif active or phase == "Approved":
        waited = (now - starting_since).total_seconds() if starting_since else 0.0
        state = "failed" if waited > start_timeout_seconds else "starting"
    elif entry is not None and entry.get("state") in ROUTED_STATES:
        state = "standby"
    else:
        state = "unavailable"  # over the license's limit, or its hostname is another's
    versions = status.get("foundryVersion")
    version = (versions.get("resolved") if isinstance(versions, Mapping) else None) or (entry or {}).get(
        "version"
    )
    if phase == "Completed" and state != "ready":  # done long ago; the instance is back on standby
        request, phase = None, None
    live_players = _players(cluster, (key[0], live)) if live else None
    open_phase = phase if phase is not None and phase not in FINISHED_PHASES else None
    return Page(
        instance=name,
        state=state,
        version=str(version) if version else None,
        url=_url(status),
        live=live,
        live_players=live_players,
        request_phase=phase,
        request_text=PHASE_TEXT.get(phase or ""),
        requested_by=_display_name(request) if request is not None else None,
        can_request=state == "standby" and open_phase is None,
        switchover=_switchover(lic_status, name, live, live_players) if state == "switching" else None,
    )


def _display_name(request: Mapping[str, Any]) -> str | None:
    by = _spec(request).get("requestedBy")
    name = by.get("displayName") if isinstance(by, Mapping) else None
    return str(name)[:100] if name else None


def _entry(lic_status: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    for entry in lic_status.get("instances") or []:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            return entry
    return None


def _players(cluster: Cluster, key: tuple[str, str]) -> int | None:
    """Connected players the monitor saw on an instance; None when unknown."""
    players = _status(cluster.instances.get(key)).get("connectedPlayers")
    return players if isinstance(players, int) and not isinstance(players, bool) else None


def _url(status: Mapping[str, Any]) -> str | None:
    url = str(status.get("url") or "")
    return url if url.startswith(("https://", "http://")) else None


def _switching_to(lic_status: Mapping[str, Any], name: str) -> bool:
    """Whether the license's switchover guard is holding a switch to this instance."""
    pending = lic_status.get("pendingSwitchover")
    return isinstance(pending, Mapping) and pending.get("target") == name


def _switchover(
    lic_status: Mapping[str, Any], name: str, live: str | None, players: int | None
) -> str | None:
    """What will happen before this instance goes live, from the license's pendingSwitchover
    (`target`, `deadline`, `players`: written by the license pipeline's switchover guard)."""
    pending = lic_status.get("pendingSwitchover")
    if not isinstance(pending, Mapping) or not live or live == name or pending.get("target") != name:
        return None
    counted = pending.get("players")
    if isinstance(counted, int) and not isinstance(counted, bool):
        players = counted
    who = f"{live} has {players} player{'s' if players != 1 else ''}" if players else f"{live} is live"
    deadline = _time(pending.get("deadline") or pending.get("switchAt") or pending.get("until"))
    when = f"switching when they leave or at {deadline}" if deadline else "switching when they leave"
    return f"{who}; {when}" if players else f"{who}; switching now"


def _time(value: object) -> str | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.strftime("%H:%M UTC")
