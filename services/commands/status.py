"""`status [instance]`: one instance in detail, or a summary of the caller's licenses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from foundry_lib.access import Action, Role, roles_of
from foundry_lib.conditions import condition_of
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_lib.scheduled_delete import DELETE_AT
from services.commands.context import Context, Reply, instance_target, license_of, target


def status(ctx: Context, instance: str | None = None) -> Reply:
    if instance:
        obj, _, tgt = instance_target(ctx, instance)
        ctx.require(Action.VIEW, tgt)
        return Reply(describe_instance(obj))
    return Reply(_summary(ctx))


def describe_instance(obj: Mapping[str, Any]) -> str:
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    st: Mapping[str, Any] = obj.get("status") or {}
    license_name = (spec.get("licenseRef") or {}).get("name", "")
    lines = [
        f"**{meta.get('name')}** (license {license_name}): {'active' if st.get('isActive') else 'standby'}"
    ]
    players = st.get("connectedPlayers")
    world = st.get("activeWorld")
    seen = "unknown" if players is None else f"{players} online"
    lines.append(f"players: {seen}" + (f", world {world}" if world else ""))
    version = st.get("foundryVersion") or {}
    if version:
        lines.append(f"version: {version.get('resolved')} (asked for {version.get('requested')})")
    update = condition_of(st, "UpdateAvailable")
    if update.get("status") == "True":
        lines.append(f"update available: {update.get('message')}")
    volumes = st.get("volumes") or {}
    if volumes:
        lines.append("volumes: " + ", ".join(f"{k} {_volume(v)}" for k, v in sorted(volumes.items())))
    if st.get("url"):
        lines.append(f"URL: {st['url']}")
    delete_at = (meta.get("annotations") or {}).get(DELETE_AT)
    if delete_at:
        lines.append(
            f"scheduled for deletion at {delete_at} (`delete {meta.get('name')} --cancel` undoes it)"
        )
    if st.get("message"):
        lines.append(f"platform: {st['message']}")
    return "\n".join(lines)


def _volume(value: object) -> str:
    if isinstance(value, Mapping):
        mode = value.get("mode") or value.get("state") or ""
        state = value.get("state") if value.get("mode") else ""
        return f"{mode} ({state})" if mode and state else str(mode or "")
    return str(value)


def _summary(ctx: Context) -> str:
    ctx.served()
    by_license: dict[str, list[str]] = defaultdict(list)
    for obj in ctx.kube.list(FOUNDRY_INSTANCE, ctx.namespace):
        by_license[license_of(obj)].append(str(obj["metadata"]["name"]))
    mine = []
    for lic in ctx.kube.list(FOUNDRY_LICENSE, ctx.namespace):
        roles = roles_of(ctx.who, target(ctx, lic), ctx.settings.access) - {Role.EVERYONE}
        if not roles:
            continue
        name = str(lic["metadata"]["name"])
        st = lic.get("status") or {}
        active = st.get("activeInstance") or "none"
        as_ = ", ".join(sorted(roles))
        line = f"**{name}** ({as_}): active {active}; {_instances(by_license[name], st)}"
        pending = st.get("pendingSwitchover")
        if pending:
            when = pending.get("deadline") or "when the players leave"
            line += f"; switching to {pending.get('target') or 'none'} at {when}"
        mine.append(line)
    if not mine:
        return f"{ctx.who.mention} has no licenses in {ctx.namespace}; `status INSTANCE` shows any instance."
    return "\n".join(mine)


def _instances(names: list[str], license_status: Mapping[str, Any]) -> str:
    """Every instance under the license with its routing state; one the license has not routed yet
    (still being prepared, or refused) says so: `status NAME` tells why."""
    if not names:
        return "no instances"
    routed = {str(i.get("name")): str(i.get("state") or "") for i in license_status.get("instances") or []}
    listed = ", ".join(f"{n} ({routed.get(n) or 'not routed yet'})" for n in sorted(names))
    return f"{len(names)} instance{'s' if len(names) != 1 else ''}: {listed}"
