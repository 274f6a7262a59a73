"""Who may do what to licenses and instances: the ownership and role policy as one table (issue 14).

Pure: the caller gathers the license's ownership and the instance's creator and asks `decide`.
Every front end (the `vtt` CLI, the Discord bot) asks the same function, so a denial reads the same
everywhere and says who can do it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from foundry_lib.models.license import Activator, Ownership

CREATED_BY = "foundry.platform/created-by"
CREATOR_PREFIX = "discord:"


class Action(StrEnum):
    VIEW = "view"
    REQUEST_ACTIVATION = "request-activation"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    APPROVE = "approve"
    MANAGE_LICENSE = "manage-license"


class Role(StrEnum):
    """Why a principal holds a right; each grants the actions in `RIGHTS`."""

    ADMIN = "admin"
    OWNER = "owner"
    ACTIVATOR = "activator"
    USER = "user"
    CREATOR = "creator"
    EVERYONE = "everyone"


_EVERYONE = frozenset({Action.VIEW, Action.REQUEST_ACTIVATION})
RIGHTS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.OWNER: frozenset(Action),
    Role.ACTIVATOR: _EVERYONE | {Action.ACTIVATE, Action.DEACTIVATE, Action.APPROVE},
    Role.USER: _EVERYONE | {Action.CREATE},
    Role.CREATOR: _EVERYONE | {Action.UPDATE, Action.DELETE},
    Role.EVERYONE: _EVERYONE,
}

_VERBS: dict[Action, str] = {
    Action.VIEW: "view",
    Action.REQUEST_ACTIVATION: "request activation of",
    Action.CREATE: "create instances under",
    Action.UPDATE: "update",
    Action.DELETE: "delete",
    Action.ACTIVATE: "activate instances of",
    Action.DEACTIVATE: "deactivate instances of",
    Action.APPROVE: "approve activation requests for",
    Action.MANAGE_LICENSE: "grant or revoke access to",
}


@dataclass(frozen=True)
class Principal:
    """A person as Discord knows them: a user id and the guild role ids they hold."""

    user_id: str
    role_ids: frozenset[str] = frozenset()

    @property
    def mention(self) -> str:
        return f"<@{self.user_id}>"


@dataclass(frozen=True)
class AccessSettings:
    """FOUNDRY_DISCORD_ADMIN_ROLE and FOUNDRY_DISCORD_NAMESPACES, already parsed."""

    admin_role: str | None
    namespaces: frozenset[str]


@dataclass(frozen=True)
class Target:
    """What the action touches: a license (by its ownership) and, for instance actions, the instance's
    creator (`None` when the instance does not exist yet or was created outside the bot)."""

    namespace: str
    license: str
    ownership: Ownership = field(default_factory=Ownership)
    creator: str | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    roles: frozenset[Role] = frozenset()


def _matches(grants: Collection[Activator], who: Principal) -> bool:
    return any(g.discord_user_id == who.user_id or g.discord_role_id in who.role_ids for g in grants)


def roles_of(who: Principal, target: Target, settings: AccessSettings) -> frozenset[Role]:
    """Every role the principal holds on the target."""
    roles = {Role.EVERYONE}
    own = target.ownership
    if settings.admin_role and settings.admin_role in who.role_ids:
        roles.add(Role.ADMIN)
    if own.discord_user_id and own.discord_user_id == who.user_id:
        roles.add(Role.OWNER)
    if _matches(own.allowed_activators, who):
        roles.add(Role.ACTIVATOR)
    if _matches(own.allowed_users, who):
        roles.add(Role.USER)
    if target.creator and target.creator == who.user_id:
        roles.add(Role.CREATOR)
    return frozenset(roles)


def decide(action: Action, who: Principal, target: Target, settings: AccessSettings) -> Decision:
    """Allowed or not, and the sentence a front end shows: on denial, who can do it."""
    if target.namespace not in settings.namespaces:
        return Decision(False, f"namespace {target.namespace} is not served here")
    roles = roles_of(who, target, settings)
    granting = frozenset(r for r in roles if action in RIGHTS[r])
    if granting:
        return Decision(True, f"allowed as {', '.join(sorted(granting))}", granting)
    return Decision(
        False, f"only {_who_can(action, target, settings)} can {_VERBS[action]} {_object(action, target)}"
    )


def _who_can(action: Action, target: Target, settings: AccessSettings) -> str:
    owner = target.ownership.discord_user_id
    names = [f"the license owner <@{owner}>" if owner else "the license owner"]
    if action in RIGHTS[Role.ACTIVATOR]:
        names.append("its activators")
    if action in RIGHTS[Role.USER]:
        names.append("its allowed users")
    if action in RIGHTS[Role.CREATOR]:
        names.append(
            f"the instance's creator <@{target.creator}>" if target.creator else "the instance's creator"
        )
    names.append(f"a Foundry admin (<@&{settings.admin_role}>)" if settings.admin_role else "a Foundry admin")
    return ", ".join(names[:-1]) + " or " + names[-1]


def _object(action: Action, target: Target) -> str:
    if action in (Action.UPDATE, Action.DELETE):
        return f"this instance of license {target.license}"
    return f"license {target.license}"


def creator_annotation(who: Principal) -> dict[str, str]:
    """Recorded on an instance at creation, so its creator may later update and delete it."""
    return {CREATED_BY: CREATOR_PREFIX + who.user_id}


def creator_of(annotations: dict[str, str] | None) -> str | None:
    value = (annotations or {}).get(CREATED_BY, "")
    return value.removeprefix(CREATOR_PREFIX) if value.startswith(CREATOR_PREFIX) else None


def parse_namespaces(value: str) -> frozenset[str]:
    return frozenset(n.strip() for n in value.split(",") if n.strip())
