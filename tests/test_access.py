"""The ownership and role policy: every action against every kind of principal, grants and revocations."""

from __future__ import annotations

import pytest

from foundry_lib.access import (
    RIGHTS,
    AccessSettings,
    Action,
    Principal,
    Role,
    Target,
    creator_annotation,
    creator_of,
    decide,
    parse_namespaces,
)
from foundry_lib.models.license import Activator, Ownership

SETTINGS = AccessSettings(admin_role="900", namespaces=frozenset({"team-a"}))
OWNERSHIP = Ownership(
    discord_user_id="1",
    allowed_activators=[Activator(discord_user_id="2"), Activator(discord_role_id="20")],
    allowed_users=[Activator(discord_user_id="3"), Activator(discord_role_id="30")],
)
TARGET = Target(namespace="team-a", license="main", ownership=OWNERSHIP, creator="4")

# Each kind of principal, and the actions it may take (everything else must be denied).
_VIEWER = {Action.VIEW, Action.REQUEST_ACTIVATION}
_ACTIVATE = _VIEWER | {Action.ACTIVATE, Action.DEACTIVATE, Action.APPROVE}
PRINCIPALS: list[tuple[str, Principal, set[Action]]] = [
    ("admin by role", Principal("99", frozenset({"900"})), set(Action)),
    ("license owner", Principal("1"), set(Action)),
    ("activator by user", Principal("2"), _ACTIVATE),
    ("activator by role", Principal("98", frozenset({"20"})), _ACTIVATE),
    ("allowed user by user", Principal("3"), _VIEWER | {Action.CREATE}),
    ("allowed user by role", Principal("97", frozenset({"30"})), _VIEWER | {Action.CREATE}),
    ("instance creator", Principal("4"), _VIEWER | {Action.UPDATE, Action.DELETE}),
    ("everyone else", Principal("5", frozenset({"77"})), _VIEWER),
    (
        "creator who is also an activator",
        Principal("4", frozenset({"20"})),
        _ACTIVATE | {Action.UPDATE, Action.DELETE},
    ),
]


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize(("case", "who", "allowed"), PRINCIPALS, ids=[p[0] for p in PRINCIPALS])
def test_every_action_for_every_principal(
    case: str, who: Principal, allowed: set[Action], action: Action
) -> None:
    decision = decide(action, who, TARGET, SETTINGS)
    assert decision.allowed is (action in allowed), (case, decision.reason)


@pytest.mark.parametrize("action", list(Action))
def test_nothing_is_visible_outside_the_served_namespaces(action: Action) -> None:
    elsewhere = Target(namespace="team-b", license="main", ownership=OWNERSHIP)
    for _, who, _ in PRINCIPALS:
        decision = decide(action, who, elsewhere, SETTINGS)
        assert not decision.allowed
        assert decision.reason == "namespace team-b is not served here"


@pytest.mark.parametrize(
    ("case", "ownership", "who", "action", "allowed"),
    [
        ("granted activator may activate", OWNERSHIP, Principal("2"), Action.ACTIVATE, True),
        ("revoked activator may not", Ownership(discord_user_id="1"), Principal("2"), Action.ACTIVATE, False),
        (
            "role grant revoked",
            Ownership(discord_user_id="1"),
            Principal("98", frozenset({"20"})),
            Action.APPROVE,
            False,
        ),
        ("granted user may create", OWNERSHIP, Principal("3"), Action.CREATE, True),
        ("revoked user may not", Ownership(discord_user_id="1"), Principal("3"), Action.CREATE, False),
        ("activator grant is not a user grant", OWNERSHIP, Principal("2"), Action.CREATE, False),
        ("user grant is not an activator grant", OWNERSHIP, Principal("3"), Action.ACTIVATE, False),
        ("license without owner: no one owns it", Ownership(), Principal("1"), Action.MANAGE_LICENSE, False),
    ],
)
def test_grants_and_revocations(
    case: str, ownership: Ownership, who: Principal, action: Action, allowed: bool
) -> None:
    target = Target(namespace="team-a", license="main", ownership=ownership)
    assert decide(action, who, target, SETTINGS).allowed is allowed, case


def test_without_an_admin_role_no_role_makes_an_admin() -> None:
    settings = AccessSettings(admin_role=None, namespaces=frozenset({"team-a"}))
    assert not decide(Action.DELETE, Principal("99", frozenset({"900"})), TARGET, settings).allowed


OWNER = "only the license owner <@1>"
ADMIN = "a Foundry admin (<@&900>)"


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (
            Action.ACTIVATE,
            f"{OWNER}, its activators or {ADMIN} can activate instances of license main",
        ),
        (
            Action.CREATE,
            f"{OWNER}, its allowed users or {ADMIN} can create instances under license main",
        ),
        (
            Action.DELETE,
            f"{OWNER}, the instance's creator <@4> or {ADMIN} can delete this instance of license main",
        ),
        (
            Action.MANAGE_LICENSE,
            f"{OWNER} or {ADMIN} can grant or revoke access to license main",
        ),
    ],
)
def test_denials_say_who_can(action: Action, reason: str) -> None:
    assert decide(action, Principal("5"), TARGET, SETTINGS).reason == reason


def test_allowed_decisions_name_the_roles() -> None:
    decision = decide(Action.ACTIVATE, Principal("4", frozenset({"20"})), TARGET, SETTINGS)
    assert decision.roles == {Role.ACTIVATOR}
    assert decision.reason == "allowed as activator"


def test_every_role_has_rights_and_everyone_may_view() -> None:
    assert set(RIGHTS) == set(Role)
    assert all({Action.VIEW, Action.REQUEST_ACTIVATION} <= rights for rights in RIGHTS.values())


@pytest.mark.parametrize(
    ("annotations", "creator"),
    [
        (creator_annotation(Principal("42")), "42"),
        ({"foundry.platform/created-by": "kubectl:alice"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_creator_is_read_back_from_the_annotation(
    annotations: dict[str, str] | None, creator: str | None
) -> None:
    assert creator_of(annotations) == creator


def test_namespaces_setting_is_a_comma_separated_list() -> None:
    assert parse_namespaces(" team-a, team-b ,,") == {"team-a", "team-b"}
