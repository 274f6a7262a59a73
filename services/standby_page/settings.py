"""What the platform team can tune on the standby page, and the clocks and name suffix tests inject."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _suffix() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True)
class Settings:
    """What the platform team can tune; clocks and the name suffix are injectable for tests."""

    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    start_timeout_seconds: float = 600.0
    client_burst: int = 5
    client_per_minute: float = 10.0
    instance_burst: int = 3
    instance_per_minute: float = 6.0
    max_body: int = 4096
    trust_forwarded_for: bool = False
    clock: Callable[[], datetime] = field(default_factory=lambda: _utcnow)
    monotonic: Callable[[], float] = field(default_factory=lambda: time.monotonic)
    suffix: Callable[[], str] = field(default_factory=lambda: _suffix)
