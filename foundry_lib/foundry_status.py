"""What a Foundry server's `GET /api/status` answer means: players present, confirmed zero, or unknown.

Foundry answers `/api/status` without credentials, in two shapes (DESIGN §4): with a world
`{"active": true, "version": "13.351", "world": "<id>", "system": "dnd5e", "systemVersion": "...",
"users": 3, "uptime": 1234.5}`, without one `{"active": false, "version": "13.351"}`. Something else
may answer in Foundry's place (a proxy, the standby page, a login redirect), so an answer counts as
Foundry only when it is a 200 JSON object with a `version`; everything else is *unknown* with a reason,
never "0 players": only a confirmed zero may let anyone disconnect a group.

Pure: the adapter (`foundry_lib.adapters.foundry_api`) hands over the HTTP facts it received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum


class Activity(StrEnum):
    """The three activity states; only IDLE (a confirmed zero) counts as idle."""

    PLAYERS = "players"
    IDLE = "idle"
    UNKNOWN = "unknown"


class UnknownReason(StrEnum):
    """Why an observation is unknown; the monitor publishes it in `status.foundry.reason`."""

    TIMEOUT = "Timeout"
    UNREACHABLE = "Unreachable"  # refused, reset, DNS: no HTTP answer at all
    REDIRECT = "Redirect"  # a login or standby page answering in Foundry's place
    SERVER_ERROR = "ServerError"  # 5xx
    UNEXPECTED_STATUS = "UnexpectedStatus"  # any other non-200
    NOT_JSON = "NotJSON"  # HTML or another content type
    MALFORMED_JSON = "MalformedJSON"
    NOT_FOUNDRY = "NotFoundry"  # JSON, but no `version`, or fields of the wrong type
    NOT_RUNNING = "NotRunning"  # its pipeline stopped the server (status replicas 0): not asked


@dataclass(frozen=True)
class FoundryObservation:
    """One answer of one server. `reason` is set exactly when Foundry did not answer as Foundry."""

    reason: UnknownReason | None = None
    detail: str = ""
    version: str | None = None
    active: bool = False
    world: str | None = None
    system: str | None = None
    users: int | None = None
    uptime: float | None = None

    @property
    def reachable(self) -> bool:
        return self.reason is None

    @property
    def players(self) -> int | None:
        """Connected players: a count when Foundry answered (0 without a world), None when unknown."""
        if not self.reachable:
            return None
        return self.users if self.active else 0

    @property
    def activity(self) -> Activity:
        players = self.players
        if players is None:
            return Activity.UNKNOWN
        return Activity.PLAYERS if players > 0 else Activity.IDLE


def unknown(reason: UnknownReason, detail: str = "") -> FoundryObservation:
    return FoundryObservation(reason=reason, detail=detail)


def parse_status(status_code: int, content_type: str, body: bytes) -> FoundryObservation:
    """The observation for one HTTP answer (redirects are not followed: a 3xx is an answer)."""
    if 300 <= status_code < 400:
        return unknown(UnknownReason.REDIRECT, f"HTTP {status_code}")
    if status_code >= 500:
        return unknown(UnknownReason.SERVER_ERROR, f"HTTP {status_code}")
    if status_code != 200:
        return unknown(UnknownReason.UNEXPECTED_STATUS, f"HTTP {status_code}")
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return unknown(UnknownReason.NOT_JSON, f"Content-Type {media or 'missing'}")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return unknown(UnknownReason.MALFORMED_JSON, "the body is not valid JSON")
    return _from_json(data)


def _from_json(data: object) -> FoundryObservation:
    if not isinstance(data, dict) or not isinstance(data.get("version"), str) or not data["version"]:
        return unknown(UnknownReason.NOT_FOUNDRY, "no version in the answer")
    active = data.get("active")
    if not isinstance(active, bool):
        return unknown(UnknownReason.NOT_FOUNDRY, "active is not true or false")
    if not active:
        return FoundryObservation(version=data["version"], uptime=_number(data.get("uptime")))
    users = data.get("users")
    if isinstance(users, bool) or not isinstance(users, int) or users < 0:
        return unknown(UnknownReason.NOT_FOUNDRY, "a world is active but users is not a count")
    return FoundryObservation(
        version=data["version"],
        active=True,
        world=_text(data.get("world")),
        system=_text(data.get("system")),
        users=users,
        uptime=_number(data.get("uptime")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)
