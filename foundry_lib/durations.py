"""Duration strings as users write them (`15m`, `1h30m`, `90s`) and as Kratix reads them."""

from __future__ import annotations

import re
from datetime import timedelta

DURATION_PATTERN = r"^([0-9]{1,6}(h|m|s))+$"
# Platform settings may also count days (`7d`); resource specs keep to what Kratix reads (h, m, s).
DAYS_DURATION_PATTERN = r"^([0-9]{1,6}(d|h|m|s))+$"
_PART = re.compile(r"([0-9]{1,6})(d|h|m|s)")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str, *, days: bool = False) -> timedelta:
    """`1h30m` → 90 minutes; with `days`, `7d` → a week (platform settings only: Kratix and resource
    specs know no days). The caller has validated the syntax against the matching pattern."""
    if re.fullmatch(DAYS_DURATION_PATTERN if days else DURATION_PATTERN, text) is None:
        raise ValueError(f"{text!r} is not a duration like 15m, 1h30m or 90s")
    return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text)))


def format_duration(delta: timedelta) -> str:
    """90 minutes → `1h30m`; at least one second (Kratix rejects a zero retryAfter)."""
    total = max(1, int(delta.total_seconds()))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((hours, "h"), (minutes, "m"), (seconds, "s")) if v]
    return "".join(parts)
