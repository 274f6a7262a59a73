"""The error tree every program turns into status and exit code in one place.

UserError: the request (or a transition it asks for) is invalid; publish the reason, change nothing.
WaitError: nothing is wrong, but the workflow must wait (dependents, a running source); requeue.
TransientError: an outside system failed; requeue with backoff, change nothing.
ForbiddenError: the platform's RBAC refused a call; requeue and name the missing grant.
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


class ConflictError(TransientError):
    """The Kubernetes API refused a write because the object changed meanwhile (HTTP 409)."""


class AlreadyExistsError(FoundryError):
    """Create found an object with that name already there."""


class ForbiddenError(FoundryError):
    """The Kubernetes API refused the pipeline's credentials (401) or a verb on a resource (403).

    Not transient (the same call fails until someone fixes the Promise RBAC) and not the user's
    request: the platform is misconfigured. `verb` and `resource` are RBAC terms (`list`,
    `foundryinstances/status`), so the message says exactly which grant is missing.
    """

    def __init__(self, verb: str, resource: str, namespace: str | None, *, status: int = 403) -> None:
        self.verb = verb
        self.resource = resource
        self.namespace = namespace  # None: a cluster-wide call
        self.status = status
        where = f"in namespace {namespace}" if namespace else "across all namespaces"
        if status == 401:
            message = (
                f"the Kubernetes API rejected the pipeline's credentials (HTTP 401) when it tried to {verb} "
                f"{resource} {where}: check the pipeline's service account token"
            )
        else:
            message = (
                f"the pipeline's service account may not {verb} {resource} {where}: "
                "grant it in the Promise RBAC"
            )
        super().__init__(message)
        self.message = message
