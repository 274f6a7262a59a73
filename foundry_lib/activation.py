"""The FoundryActivationRequest workflow: one open request per instance, decided by the license's policy.

Phases (status `phase`, each with a `message` a player can read):

    Pending ──approve──▶ Approved ──license routes it──▶ Completed
       │                    └──instance deleted / license switched elsewhere──▶ Failed
       ├──denied by an approver──▶ Denied        ├──requestTTL passed──▶ Expired
       ├──another request for the instance is open──▶ Folded (`foldedInto` names it)
       └──instance deleted──▶ Failed

Approval sets the license's `spec.activeInstanceName` (effect SetActiveInstance), so the license's
switchover guard still decides when the switch happens. Waiting is level-triggered with `retryAfter`:
a Pending request runs again when the policy could next approve it or when it expires, an Approved
one every monitor interval until the license routes its instance. Finished phases never change;
the monitor deletes finished requests after the retention period (`expired_requests`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from foundry_lib.activation_policy import idleness, parse_time, refusal
from foundry_lib.conditions import condition, condition_of, rfc3339
from foundry_lib.durations import parse_duration
from foundry_lib.errors import UserError
from foundry_lib.kube import deleting
from foundry_lib.models.activation import FoundryActivationRequestSpec
from foundry_lib.models.license import Approval, FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.outcome import Outcome, SetActiveInstance, WorkflowControl
from foundry_lib.settings import PlatformSettings


class Phase(StrEnum):
    PENDING = "Pending"
    APPROVED = "Approved"
    DENIED = "Denied"
    EXPIRED = "Expired"
    COMPLETED = "Completed"
    FAILED = "Failed"
    FOLDED = "Folded"


OPEN = frozenset({Phase.PENDING, Phase.APPROVED})
FINISHED = frozenset({Phase.DENIED, Phase.EXPIRED, Phase.COMPLETED, Phase.FAILED, Phase.FOLDED})
MAX_WAIT = timedelta(minutes=5)
_OWN_KEYS = ("phase", "message", "expiresAt", "decidedAt", "finishedAt", "foldedInto")


@dataclass(frozen=True)
class ActivationFacts:
    request: Request[FoundryActivationRequestSpec]
    instance: Mapping[str, Any] | None  # the raw FoundryInstance it names, None when absent
    license: Request[FoundryLicenseSpec] | None  # that instance's license, as last accepted
    license_now: Mapping[str, Any]  # the same license as the API holds it now (edits not yet accepted)
    routed: Mapping[str, Any] | None  # the raw instance the license routes now (its player counts)
    requests: Sequence[Mapping[str, Any]]  # every FoundryActivationRequest of the namespace, raw
    settings: PlatformSettings
    now: datetime


def plan_activation(facts: ActivationFacts) -> Outcome:
    request = facts.request
    previous = request.status
    phase = _phase(previous.get("phase"))
    if phase in FINISHED:
        return Outcome(outputs=None, status={k: previous[k] for k in _OWN_KEYS if k in previous})
    target = request.spec.instance_ref.name
    if facts.instance is None or deleting(facts.instance):
        if phase in OPEN:
            return _finish(facts, Phase.FAILED, f"{target} was deleted, so it cannot be activated")
        gone = "there is no" if facts.instance is None else "being deleted:"
        raise UserError(
            f"spec.instanceRef.name: {gone} FoundryInstance {target!r} in namespace {request.namespace!r}",
            reason="InstanceNotFound",
            field="spec.instanceRef.name",
        )
    lic = facts.license
    if lic is None:
        named = ((facts.instance.get("spec") or {}).get("licenseRef") or {}).get("name")
        raise UserError(
            f"spec.instanceRef.name: FoundryInstance {target!r} belongs to FoundryLicense {named!r}, "
            "which does not exist",
            reason="LicenseNotFound",
            field="spec.instanceRef.name",
        )
    holder = open_request(facts.requests, target)
    if holder is not None and holder != request.name:
        message = f"a request to activate {target} is already open ({holder}); this one joins it"
        return _finish(facts, Phase.FOLDED, message, extra={"foldedInto": holder})
    if lic.status.get("activeInstance") == target:
        return _finish(facts, Phase.COMPLETED, f"{target} is live")
    if phase is Phase.APPROVED:
        return _approved(facts, lic)
    return _pending(facts, lic)


def _approved(facts: ActivationFacts, lic: Request[FoundryLicenseSpec]) -> Outcome:
    """Approved earlier: wait for the license to route the instance, unless it was sent elsewhere."""
    target, desired = facts.request.spec.instance_ref.name, wanted(facts.license_now)
    if desired != target:
        instead = f"to {desired}" if desired else "to no instance"
        return _finish(facts, Phase.FAILED, f"the license was switched {instead} before {target} went live")
    refused = _license_refusal(facts.license_now)
    if refused:
        return _finish(facts, Phase.FAILED, f"the license cannot switch to {target}: {refused}")
    note = str(lic.status.get("message") or "").strip()
    message = f"approved; {target} goes live once the switch is done" + (f" ({note})" if note else "")
    return _open(facts, Phase.APPROVED, message, _backoff(facts, facts.request.status))


def _pending(facts: ActivationFacts, lic: Request[FoundryLicenseSpec]) -> Outcome:
    request, now = facts.request, facts.now
    target, decision = request.spec.instance_ref.name, request.spec.decision
    refused = ""
    if decision is not None:
        why = refusal(decision, lic.spec.ownership, facts.settings.discord_admin_role)
        if why is None and decision.approved:
            return _approve(facts, lic, f"approved by {decision.by}")
        if why is None:
            return _finish(facts, Phase.DENIED, f"denied by {decision.by}", extra={"decidedAt": rfc3339(now)})
        refused = f"; {why}"
    expires = expires_at(facts)
    if now >= expires:
        return _finish(facts, Phase.EXPIRED, f"nobody approved activating {target} in time" + refused)
    policy = lic.spec.activation
    if policy.approval is Approval.AUTO:
        return _approve(facts, lic, "approved automatically")
    by_person = f"the license owner or an allowed activator can approve it until {expires:%H:%M} UTC"
    if policy.approval is Approval.AUTO_WHEN_IDLE:
        live = str(lic.status.get("activeInstance") or "")
        if not live:
            return _approve(facts, lic, "approved: no instance is live")
        idle = idleness(
            live,
            (facts.routed or {}).get("status") or {},
            now=now,
            idle_for=parse_duration(policy.idle_for),
            interval=_interval(facts),
        )
        if idle.idle:
            return _approve(facts, lic, f"approved: {idle.why}")
        quiet = f"approved once it has had no players for {policy.idle_for}"
        message = f"waiting: {idle.why}; {quiet}, or {by_person}"
        recheck = idle.recheck_at if idle.known else max(idle.recheck_at, _backoff(facts, request.status))
        return _open(facts, Phase.PENDING, message + refused, min(recheck, expires))
    message = f"waiting for approval: {by_person}"
    return _open(facts, Phase.PENDING, message + refused, expires)


def _approve(facts: ActivationFacts, lic: Request[FoundryLicenseSpec], why: str) -> Outcome:
    target = facts.request.spec.instance_ref.name
    switch = SetActiveInstance(lic.namespace, lic.name, target)
    effects = (switch,) if wanted(facts.license_now) != target else ()
    message = f"{why}; {target} goes live once the switch is done"
    outcome = _open(facts, Phase.APPROVED, message, facts.now + _interval(facts))
    status = {**outcome.status, "decidedAt": rfc3339(facts.now)}
    return Outcome(outputs=None, status=status, control=outcome.control, effects=effects)


def _open(facts: ActivationFacts, phase: Phase, message: str, recheck: datetime) -> Outcome:
    """Still open: say so, and run again at `recheck` (Kratix `retryAfter`, no polling loop)."""
    status = _status(facts, phase, message)
    delay = max(timedelta(seconds=math.ceil((recheck - facts.now).total_seconds())), timedelta(seconds=1))
    return Outcome(outputs=None, status=status, control=WorkflowControl(retry_after=delay, message=message))


def _finish(
    facts: ActivationFacts, phase: Phase, message: str, *, extra: Mapping[str, str] | None = None
) -> Outcome:
    status = {**_status(facts, phase, message), **(extra or {}), "finishedAt": rfc3339(facts.now)}
    return Outcome(outputs=None, status=status)


def _status(facts: ActivationFacts, phase: Phase, message: str) -> dict[str, Any]:
    kept = {k: facts.request.status[k] for k in ("decidedAt",) if k in facts.request.status}
    ok = phase is not Phase.FAILED
    return {
        "phase": phase.value,
        "message": message,
        "expiresAt": rfc3339(expires_at(facts)),
        **kept,
        "conditions": [condition("Accepted", ok, phase.value, message, facts.now)],
    }


def expires_at(facts: ActivationFacts) -> datetime:
    """Creation time plus the license's requestTTL (the first run's time when the API gave none)."""
    ttl = parse_duration(facts.license.spec.activation.request_ttl) if facts.license else timedelta()
    created = parse_time(facts.request.creation_timestamp)
    if created is not None:
        return created + ttl
    recorded = parse_time(facts.request.status.get("expiresAt"))
    return recorded if recorded is not None else facts.now + ttl


def wanted(license_now: Mapping[str, Any]) -> str | None:
    """The license's `spec.activeInstanceName` as it stands now, accepted or not."""
    name = (license_now.get("spec") or {}).get("activeInstanceName")
    return str(name) if name else None


def _license_refusal(license_now: Mapping[str, Any]) -> str | None:
    """The license pipeline's message when it refused the license's current spec (say, the approved
    instance is beyond restrictions.maxInstances): the switch will not happen until someone fixes it."""
    status = license_now.get("status") or {}
    retry = status.get("retry")
    waiting_for = retry.get("reason") if isinstance(retry, Mapping) and retry.get("attempts") else None
    for c in status.get("conditions") or []:
        if not isinstance(c, Mapping) or c.get("type") != "Accepted" or c.get("status") != "False":
            continue
        if c.get("reason") != waiting_for:  # a requeued wait (say, players still connected) is no refusal
            return str(c.get("message") or c.get("reason"))
    return None


def _backoff(facts: ActivationFacts, status: Mapping[str, Any]) -> datetime:
    """When a request that waits on something it cannot foresee (the license's switch, a monitor that
    stopped reporting) looks again: one monitor interval at first, then as long as it has waited so
    far (since its decision, or since it was created), at most MAX_WAIT — each look is a Kratix Job."""
    since = parse_time(status.get("decidedAt")) or parse_time(facts.request.creation_timestamp)
    waited = facts.now - since if since is not None else timedelta()
    return facts.now + min(max(_interval(facts), waited), max(MAX_WAIT, _interval(facts)))


def _interval(facts: ActivationFacts) -> timedelta:
    return facts.settings.monitor_interval_delta


def open_request(requests: Iterable[Mapping[str, Any]], instance: str) -> str | None:
    """The one open request for `instance`: the oldest Pending or Approved one, else the oldest not yet
    decided (no phase). Every request's run computes the same answer, so two requests racing agree."""
    open_ones, new_ones = [], []
    for obj in requests:
        meta = obj.get("metadata") or {}
        if deleting(obj) or ((obj.get("spec") or {}).get("instanceRef") or {}).get("name") != instance:
            continue
        key = (str(meta.get("creationTimestamp") or ""), str(meta.get("name") or ""))
        status = obj.get("status") or {}
        phase = _phase(status.get("phase"))
        if phase in OPEN:
            open_ones.append(key)
        elif phase is None and not _refused(status):
            new_ones.append(key)
    chosen = min(open_ones or new_ones, default=None)
    return chosen[1] if chosen else None


def requests_to_wake(requests: Iterable[Mapping[str, Any]], instance: str) -> list[str]:
    """Open requests (Pending, Approved) naming `instance`, sorted: the instance's delete workflow
    wakes them, so they fail at once with a message instead of at their next look."""
    return sorted(
        str((obj.get("metadata") or {}).get("name"))
        for obj in requests
        if not deleting(obj)
        and ((obj.get("spec") or {}).get("instanceRef") or {}).get("name") == instance
        and _phase((obj.get("status") or {}).get("phase")) in OPEN
    )


def expired_requests(
    objects: Iterable[Mapping[str, Any]], now: datetime, retention: timedelta
) -> list[tuple[str, str]]:
    """(namespace, name) of every finished request older than `retention` since it finished: what the
    monitor's timer (and the simulator, on its clock) deletes. Open requests are never deleted."""
    found = []
    for obj in objects:
        meta, status = obj.get("metadata") or {}, obj.get("status") or {}
        if deleting(obj) or _phase(status.get("phase")) not in FINISHED:
            continue
        finished = parse_time(status.get("finishedAt")) or parse_time(meta.get("creationTimestamp"))
        if finished is not None and now - finished >= retention:
            found.append((str(meta.get("namespace") or "default"), str(meta.get("name") or "")))
    return sorted(found)


def _refused(status: Mapping[str, Any]) -> bool:
    """Refused (invalid, or its instance is missing): it never opens, so it holds nothing."""
    return condition_of(status, "Accepted").get("status") == "False"


def _phase(value: object) -> Phase | None:
    try:
        return Phase(str(value)) if value else None
    except ValueError:
        return None
