"""`create`, `delete [--cancel]` and `update activate|deactivate|...`: the instance commands.

Each says what the platform will do, read back from status after the platform reacted (`settle`).
Changes of one spec field (`update version|auto-update|volumes|resources`) are in `spec_changes`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from foundry_lib.access import Action, creator_annotation, decide
from foundry_lib.conditions import rfc3339
from foundry_lib.durations import format_duration
from foundry_lib.errors import AlreadyExistsError
from foundry_lib.kube import API_VERSION, FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_lib.models.activation import FoundryActivationRequestSpec
from foundry_lib.names import dns1123_label_problem
from foundry_lib.scheduled_delete import DELETE_AT
from services.commands import spec_changes
from services.commands.context import Context, Reply, UsageError, instance_target, quoted, target
from services.commands.options import (
    NO_OPTIONS,
    InstanceOptions,
    describe_resources,
    describe_volume,
    resources_value,
    version_value,
    volumes_value,
)
from services.commands.spec_changes import platform_says, validate_spec

UPDATE_WORDS = ("activate", "deactivate", *spec_changes.WORDS)


def create(
    ctx: Context,
    name: str,
    license_name: str | None = None,
    version: str | None = None,
    options: InstanceOptions = NO_OPTIONS,
) -> Reply:
    problem = dns1123_label_problem(name)
    if problem:
        raise UsageError(f"instance name {quoted(name)}: {problem}")
    license_name = license_name or _only_license(ctx)
    license_obj = ctx.get(FOUNDRY_LICENSE, license_name)
    ctx.require(Action.CREATE, target(ctx, license_obj))
    spec: dict[str, Any] = {"licenseRef": {"name": license_name}}
    if version:
        spec["foundryVersion"] = version_value(version)
    if options.volumes_given:
        spec["volumes"] = volumes_value(options, {})
    if options.resources_given and (resources := resources_value(options, {})):
        spec["resources"] = resources
    validate_spec(spec)
    body = {
        "apiVersion": API_VERSION,
        "kind": FOUNDRY_INSTANCE.kind,
        "metadata": {"name": name, "namespace": ctx.namespace, "annotations": creator_annotation(ctx.who)},
        "spec": spec,
    }
    try:
        created = ctx.kube.create(FOUNDRY_INSTANCE, ctx.namespace, body)
    except AlreadyExistsError:
        raise UsageError(f"an instance named {name} already exists in {ctx.namespace}") from None
    what = f"created {name} under license {license_name}"
    ctx.audit(FOUNDRY_INSTANCE, created, "CreatedFromCommand", what + _chosen(spec))
    ctx.settle()
    return Reply(f"created {name} under license {license_name}; {platform_says(ctx, name)}")


def delete(ctx: Context, name: str, *, cancel: bool = False) -> Reply:
    instance, license_obj, tgt = instance_target(ctx, name)
    ctx.require(Action.DELETE, tgt)
    scheduled = ((instance.get("metadata") or {}).get("annotations") or {}).get(DELETE_AT)
    if cancel:
        if not scheduled:
            return Reply(f"{name} is not scheduled for deletion")
        ctx.kube.merge_patch(
            FOUNDRY_INSTANCE, ctx.namespace, name, {"metadata": {"annotations": {DELETE_AT: None}}}
        )
        ctx.audit(FOUNDRY_INSTANCE, instance, "DeletionCancelled", f"cancelled the deletion of {name}")
        return Reply(
            f"deletion of {name} cancelled; it stays in standby (`update {name} activate` routes it again)"
        )
    if scheduled:
        return Reply(
            f"{name} is already scheduled for deletion at {scheduled} (`delete {name} --cancel` undoes it)"
        )
    grace = ctx.settings.delete_grace
    at = rfc3339(ctx.now + grace)
    ctx.kube.merge_patch(
        FOUNDRY_INSTANCE, ctx.namespace, name, {"metadata": {"annotations": {DELETE_AT: at}}}
    )
    ctx.audit(FOUNDRY_INSTANCE, instance, "DeletionScheduled", f"scheduled the deletion of {name} at {at}")
    deactivating = _active(license_obj) == name
    if deactivating:
        _set_active(ctx, license_obj, "", f"deactivated {name} to delete it")
    ctx.settle()
    text = f"{name} will be deleted at {at} (in {_span(grace)}); `delete {name} --cancel` undoes it"
    if deactivating:
        text += f"\n{_license_says(ctx, license_obj, '')}"
    return Reply(text)


def update(
    ctx: Context, name: str, what: str, value: str | None = None, options: InstanceOptions = NO_OPTIONS
) -> Reply:
    instance, license_obj, tgt = instance_target(ctx, name)
    if what in spec_changes.WORDS:
        return spec_changes.change(ctx, instance, tgt, what, value, options)
    if what not in ("activate", "deactivate"):
        raise UsageError(f"update {quoted(what)}: use {', '.join(UPDATE_WORDS)}")
    if value is not None or options != NO_OPTIONS:
        raise UsageError(f"update {what} takes no value and no options")
    if what == "activate":
        if not decide(Action.ACTIVATE, ctx.who, tgt, ctx.settings.access).allowed:
            ctx.require(Action.REQUEST_ACTIVATION, tgt)
            return _request_activation(ctx, name, tgt.license)
        if _active(license_obj) == name:
            return Reply(f"{name} is already the active instance of license {tgt.license}")
        _set_active(ctx, license_obj, name, f"activated {name}")
        ctx.settle()
        return Reply(_license_says(ctx, license_obj, name))
    ctx.require(Action.DEACTIVATE, tgt)
    if _active(license_obj) != name:
        return Reply(f"{name} is not the active instance of license {tgt.license}")
    _set_active(ctx, license_obj, "", f"deactivated {name}")
    ctx.settle()
    return Reply(_license_says(ctx, license_obj, ""))


def _only_license(ctx: Context) -> str:
    """Without a license named: the one license the caller may create instances under, if only one."""
    ctx.served()
    names = [
        str(lic["metadata"]["name"])
        for lic in ctx.kube.list(FOUNDRY_LICENSE, ctx.namespace)
        if decide(Action.CREATE, ctx.who, target(ctx, lic), ctx.settings.access).allowed
    ]
    if len(names) != 1:
        choices = ", ".join(sorted(names)) or "none"
        raise UsageError(f"name the license to create it under (licenses you may use: {choices})")
    return names[0]


def _span(delta: timedelta) -> str:
    days, rest = divmod(delta, timedelta(days=1))
    return f"{days}d" if days and not rest else format_duration(delta)


def _chosen(spec: Mapping[str, Any]) -> str:
    """The volumes and resources a create set, for the audit Event: ` (worlds copied from ...)`."""
    parts = [describe_volume(k, v) for k, v in (spec.get("volumes") or {}).items()]
    if spec.get("resources"):
        parts.append(describe_resources(spec["resources"]))
    return f" ({'; '.join(parts)})" if parts else ""


def _active(license_obj: Mapping[str, Any]) -> str:
    return str((license_obj.get("spec") or {}).get("activeInstanceName") or "")


def _set_active(ctx: Context, license_obj: Mapping[str, Any], name: str, what: str) -> None:
    lic = str(license_obj["metadata"]["name"])
    ctx.kube.merge_patch(FOUNDRY_LICENSE, ctx.namespace, lic, {"spec": {"activeInstanceName": name}})
    ctx.audit(FOUNDRY_LICENSE, license_obj, "ActiveInstanceChanged", f"{what} (license {lic})")


def _license_says(ctx: Context, license_obj: Mapping[str, Any], wanted: str) -> str:
    """What the license pipeline decided: routed now, or waiting (players online, until when)."""
    lic = str(license_obj["metadata"]["name"])
    st = (ctx.kube.get(FOUNDRY_LICENSE, ctx.namespace, lic) or {}).get("status") or {}
    pending = st.get("pendingSwitchover") or {}
    if pending and str(pending.get("target") or "") == wanted:
        return f"waiting: {st.get('message') or 'players are online'}"
    if str(st.get("activeInstance") or "") == wanted:
        return (
            f"{wanted} is now active on license {lic}" if wanted else f"license {lic} routes no instance now"
        )
    return f"requested; license {lic} has not switched yet: {st.get('message') or 'no report yet'}"


def _request_activation(ctx: Context, name: str, license_name: str) -> Reply:
    """Someone who may only ask: a FoundryActivationRequest the license's activators approve."""
    digest = hashlib.sha256(f"{ctx.who.user_id}\0{ctx.now.isoformat()}".encode()).hexdigest()[:8]
    request_name = f"{name[:50]}-{digest}"
    spec = {
        "instanceRef": {"name": name},
        "requestedBy": {"source": "discord", "discordUserId": ctx.who.user_id},
        "reason": "asked with the vtt update command",
    }
    FoundryActivationRequestSpec.model_validate(spec)
    body = {
        "apiVersion": API_VERSION,
        "kind": FOUNDRY_ACTIVATION_REQUEST.kind,
        "metadata": {"name": request_name, "namespace": ctx.namespace},
        "spec": spec,
    }
    created = ctx.kube.create(FOUNDRY_ACTIVATION_REQUEST, ctx.namespace, body)
    ctx.audit(FOUNDRY_ACTIVATION_REQUEST, created, "ActivationRequested", f"asked to activate {name}")
    ctx.settle()
    done = ctx.kube.get(FOUNDRY_ACTIVATION_REQUEST, ctx.namespace, request_name) or {}
    phase = (done.get("status") or {}).get("message") or "waiting for the platform"
    return Reply(
        f"you may not activate {name} yourself (license {license_name}); "
        f"asked for it as {request_name}: {phase}"
    )
