"""What keeps the internet-facing page safe: signed per-session CSRF tokens, rate limits, start timing.

Everything takes the clock as a parameter, so tests drive time directly.
"""

from __future__ import annotations

import hashlib
import secrets
import statistics
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "standby_session"


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


class Csrf:
    """A token signs (session id, hostname): it works for one browser session on one instance page,
    and only for `max_age` seconds."""

    def __init__(self, secret: str, *, max_age: int = 3600) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="standby-page-csrf")
        self._max_age = max_age

    def token(self, session: str, host: str) -> str:
        return self._signer.dumps([_digest(session), host])

    def valid(self, token: str | None, session: str | None, host: str) -> bool:
        if not token or not session or len(token) > 512:
            return False
        try:
            signed = self._signer.loads(token, max_age=self._max_age)
        except BadSignature:  # SignatureExpired is one too
            return False
        return bool(signed == [_digest(session), host])


def _digest(session: str) -> str:
    """The token carries a digest of the session id, not the id (a token is in the page's HTML)."""
    return hashlib.sha256(session.encode()).hexdigest()[:32]


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimit:
    """A token bucket per key: `burst` at once, then `per_minute`. Keys beyond `max_keys` evict the
    least recently used, so a flood of new client addresses cannot grow memory without bound."""

    burst: int
    per_minute: float
    max_keys: int = 10_000
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)

    def allow(self, key: str, now: float) -> bool:
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_minute / 60)
        bucket.at = now
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True


@dataclass
class StartTimes:
    """When the page first saw each instance starting, and how long past starts took until it answered
    (kept in memory: a restart of the page forgets, which only hides the estimate for a while)."""

    since: dict[tuple[str, str], datetime] = field(default_factory=dict)
    took: list[float] = field(default_factory=list)
    keep: int = 50

    def observe(self, key: tuple[str, str], starting: bool, ready: bool, now: datetime) -> datetime | None:
        """Record what the page sees now; return when the current start began (None: not starting)."""
        if starting:
            return self.since.setdefault(key, now)
        began = self.since.pop(key, None)
        if ready and began is not None:
            self.took = [*self.took, (now - began).total_seconds()][-self.keep :]
        return None

    def typical_seconds(self) -> float | None:
        return statistics.median(self.took) if self.took else None
