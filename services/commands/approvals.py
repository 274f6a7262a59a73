"""`approve|deny <request>`: an activator decides a FoundryActivationRequest (the Discord buttons).

The decision is written as `spec.decision` {approved, by: discord:<id>, roles, at}; the activation
pipeline re-checks the approver against the license and acts. The policy check here is the same
`Action.APPROVE` row of `foundry_lib.access`, so a forbidden presser learns who can.
"""

from __future__ import annotations

from dataclasses import dataclass

from foundry_lib.access import Action
from foundry_lib.activation import Phase
from foundry_lib.conditions import rfc3339
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, KubeObject
from services.commands.context import Context, Reply, UsageError, instance_target

_UNDECIDED = ("", Phase.PENDING.value)


@dataclass(frozen=True)
class Decided:
    """A decision the caller was allowed to make, and the request as the decision left it (what the
    posted approval message then shows). `fresh` is False when someone had decided it before."""

    reply: Reply
    request: KubeObject
    fresh: bool


def decide_request(ctx: Context, request_name: str, *, approved: bool) -> Reply:
    return decide(ctx, request_name, approved=approved).reply


def decide(ctx: Context, request_name: str, *, approved: bool) -> Decided:
    ctx.served()
    request = ctx.kube.get(FOUNDRY_ACTIVATION_REQUEST, ctx.namespace, request_name)
    if request is None:
        raise UsageError(f"there is no activation request {request_name} in namespace {ctx.namespace}")
    spec = request.get("spec") or {}
    instance = str((spec.get("instanceRef") or {}).get("name") or "")
    _, _, tgt = instance_target(ctx, instance)
    ctx.require(Action.APPROVE, tgt)
    earlier = spec.get("decision")
    if earlier:
        verdict = "approved" if earlier.get("approved") else "denied"
        text = f"request {request_name} was already {verdict} by {_mention(str(earlier.get('by')))}"
        return Decided(Reply(text), request, fresh=False)
    status = request.get("status") or {}
    phase = str(status.get("phase") or "")
    if phase not in _UNDECIDED:  # approved by the license's policy, expired, failed, folded: too late
        said = str(status.get("message") or "")
        text = f"request {request_name} is already {phase.lower()}" + (f": {said}" if said else "")
        return Decided(Reply(text), request, fresh=False)
    decision = {
        "approved": approved,
        "by": f"discord:{ctx.who.user_id}",
        "roles": sorted(ctx.who.role_ids),
        "at": rfc3339(ctx.now),
    }
    written = ctx.kube.merge_patch(
        FOUNDRY_ACTIVATION_REQUEST, ctx.namespace, request_name, {"spec": {"decision": decision}}
    )
    verb = "approved" if approved else "denied"
    ctx.audit(
        FOUNDRY_ACTIVATION_REQUEST,
        request,
        "ActivationApproved" if approved else "ActivationDenied",
        f"{verb} the activation of {instance}",
    )
    ctx.settle()
    reply = Reply(f"{ctx.who.mention} {verb} the activation of {instance} (request {request_name})")
    return Decided(reply, written, fresh=True)


def _mention(by: str) -> str:
    return f"<@{by.removeprefix('discord:')}>" if by.startswith("discord:") else by
