"""The error tree every program turns into status and exit code in one place.

UserError: the request (or a transition it asks for) is invalid; publish the reason, change nothing.
TransientError: an outside system failed; retry later, change nothing.
Anything else is a bug. Messages never carry secret values.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from foundry_lib.outcome import RequestReconcile


class FoundryError(Exception):
    """Base of every error this project raises on purpose."""


class UserError(FoundryError):
    """A request the user must change. `reason` is a CamelCase condition reason.

    `nudges` are re-run requests that stay safe while refusing (they change nothing live), e.g. an
    instance over its license's limit asking the license to route it to the standby page.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: str = "InvalidRequest",
        field: str | None = None,
        nudges: tuple[RequestReconcile, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.field = field
        self.nudges = nudges


class WaitError(FoundryError):
    """Not an error in the request: something must happen first (a copy's source server must stop, a
    pool peer must stop). The runtime publishes the message, renders nothing (the previous Work stays)
    and asks Kratix to retry after `retry_after`."""

    def __init__(self, message: str, *, reason: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.retry_after = retry_after


class TransientError(FoundryError):
    """An outside system failed in a way a later retry may not."""


class NotFoundError(TransientError):
    """The Kubernetes API has no such object (callers usually turn this into a UserError)."""


class AlreadyExistsError(FoundryError):
    """Create found an object with that name already there."""
