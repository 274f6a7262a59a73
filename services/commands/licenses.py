"""`license show|grant|revoke`: who owns a license, and the activator and user grants."""

from __future__ import annotations

from typing import Any

from foundry_lib.access import Action
from foundry_lib.kube import FOUNDRY_LICENSE
from foundry_lib.models.license import Activator
from services.commands.context import Context, Reply, UsageError, ownership_of, target

_LISTS = {"activator": "allowedActivators", "user": "allowedUsers"}


def show(ctx: Context, license_name: str) -> Reply:
    lic = ctx.get(FOUNDRY_LICENSE, license_name)
    ctx.require(Action.VIEW, target(ctx, lic))
    own = ownership_of(lic)
    st = lic.get("status") or {}
    lines = [
        f"**{license_name}**: owner {_mention_user(own.discord_user_id)}, "
        f"active {st.get('activeInstance') or 'none'}",
        f"activators: {_names(own.allowed_activators)}",
        f"users: {_names(own.allowed_users)}",
    ]
    instances = st.get("instances") or []
    if instances:
        lines.append("instances: " + ", ".join(f"{i.get('name')} ({i.get('state')})" for i in instances))
    return Reply("\n".join(lines))


def grant(
    ctx: Context, license_name: str, *, as_: str, user: str | None = None, role: str | None = None
) -> Reply:
    return _change(ctx, license_name, as_=as_, user=user, role=role, add=True)


def revoke(
    ctx: Context, license_name: str, *, as_: str, user: str | None = None, role: str | None = None
) -> Reply:
    return _change(ctx, license_name, as_=as_, user=user, role=role, add=False)


def _change(
    ctx: Context, license_name: str, *, as_: str, user: str | None, role: str | None, add: bool
) -> Reply:
    if as_ not in _LISTS:
        raise UsageError(f"--as {as_!r}: use activator or user")
    if (user is None) == (role is None):
        raise UsageError("give exactly one of --user ID or --role ID")
    try:
        entry = Activator.model_validate({"discordUserId": user} if user else {"discordRoleId": role})
    except ValueError:
        raise UsageError(f"{user or role!r} is not a Discord id (digits only)") from None
    lic = ctx.get(FOUNDRY_LICENSE, license_name)
    ctx.require(Action.MANAGE_LICENSE, target(ctx, lic))
    own = ownership_of(lic)
    field = "allowed_activators" if as_ == "activator" else "allowed_users"
    current: list[Activator] = list(getattr(own, field))
    who = f"<@{user}>" if user else f"<@&{role}>"
    if (entry in current) == add:
        return Reply(f"{who} {'already is' if add else 'is not'} an allowed {as_} of {license_name}")
    updated = [*current, entry] if add else [e for e in current if e != entry]
    raw: list[dict[str, Any]] = [e.model_dump(by_alias=True, exclude_none=True) for e in updated]
    ctx.kube.merge_patch(
        FOUNDRY_LICENSE, ctx.namespace, license_name, {"spec": {"ownership": {_LISTS[as_]: raw}}}
    )
    verb = "granted" if add else "revoked"
    ctx.audit(FOUNDRY_LICENSE, lic, "AccessGranted" if add else "AccessRevoked", f"{verb} {as_} to {who}")
    return Reply(f"{verb}: {who} {'is now' if add else 'is no longer'} an allowed {as_} of {license_name}")


def _mention_user(user: str | None) -> str:
    return f"<@{user}>" if user else "nobody"


def _names(grants: list[Activator]) -> str:
    return (
        ", ".join(
            f"<@{g.discord_user_id}>" if g.discord_user_id else f"<@&{g.discord_role_id}>" for g in grants
        )
        or "none"
    )
