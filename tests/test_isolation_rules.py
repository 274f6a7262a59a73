"""The pure rules behind tenant isolation, table by table: hostnames, shared roots, pools, quantities."""

from __future__ import annotations

import pytest

from foundry_lib.errors import UserError
from foundry_lib.hostname_claims import LicenseRoutes, taken_elsewhere, waiting_for
from foundry_lib.hostnames import check_hostname
from foundry_lib.pools import LicenseRoot, check_roots_apart, same_pool, shared_pool_root
from foundry_lib.quantities import quantity
from foundry_lib.settings import PlatformSettings


@pytest.mark.parametrize(
    ("name", "allowed", "problem"),
    [
        ("alpha.vtt.example.com", (), None),
        ("alpha.vtt.example.com", ("example.com",), None),
        ("example.com", ("example.com",), None),
        ("alpha.example.org", ("example.com",), "not under a domain this platform serves"),
        ("badexample.com", ("example.com",), "not under a domain"),
        ("10.0.0.1", (), "IP address"),
        ("a" * 64 + ".example.com", (), "64 characters long"),
        (("a" * 63 + ".") * 4 + "com", (), "at most 253"),
        ("a..b.com", (), "label ''"),
    ],
)
def test_hostnames_the_platform_serves(name: str, allowed: tuple[str, ...], problem: str | None) -> None:
    if problem is None:
        assert check_hostname(name, allowed, "spec.hostname") == name
        return
    with pytest.raises(UserError) as caught:
        check_hostname(name, allowed, "spec.hostname")
    assert problem in caught.value.message and caught.value.field == "spec.hostname"


def _lic(ns: str, created: str, routed: set[str], waiting: frozenset[str] = frozenset()) -> LicenseRoutes:
    return LicenseRoutes(created, ns, "guild", frozenset(routed), frozenset(waiting))


@pytest.mark.parametrize(
    ("mine", "theirs", "taken"),
    [
        pytest.param(set(), {"h"}, {"h"}, id="someone else routes it: taken"),
        pytest.param({"h"}, {"h"}, set(), id="both route it, I am older: mine"),
        pytest.param({"h"}, set(), set(), id="only I route it"),
    ],
)
def test_the_first_claimant_keeps_a_hostname(mine: set[str], theirs: set[str], taken: set[str]) -> None:
    me, other = _lic("red", "2026-01-01T00:00:00Z", mine), _lic("blue", "2026-02-01T00:00:00Z", theirs)
    assert taken_elsewhere(me, [me, other]) == taken


def test_a_license_that_lets_a_hostname_go_wakes_the_ones_waiting_for_it() -> None:
    me = _lic("red", "1", {"h"})
    waiting, other = _lic("blue", "2", set(), frozenset({"h"})), _lic("green", "3", set(), frozenset({"x"}))
    assert waiting_for({"h"}, me, [me, waiting, other]) == [("blue", "guild")]


@pytest.mark.parametrize(
    ("root", "ok"),
    [
        ("/srv/shared/red", True),
        ("/srv/shared/red/guild", True),
        ("/srv/shared/redder", False),
        ("/srv/shared", False),
        ("/srv/shared/blue/red", False),
        ("/srv/shared/red/../blue", False),
    ],
)
def test_a_shared_root_lies_in_its_namespaces_folder(root: str, ok: bool) -> None:
    if ok:
        assert shared_pool_root(root, "red", ("/srv/shared",)) == root
    else:
        with pytest.raises(UserError, match=r"spec\.sharedNfsRoot"):
            shared_pool_root(root, "red", ("/srv/shared",))


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("/x/a", "/x/a", True),
        ("/x/a", "/x/a/b", True),
        ("/x/a", "/x/ab", False),
        ("/x/a", None, False),
        ("pvc://ns/foundry-alpha-worlds/data", "pvc://ns/foundry-alpha-worlds/data/", True),
        ("nfs://nas/srv/shared/ns/pool", "nfs://nas/srv/shared/ns/pool/worlds", True),
        ("nfs://nas/srv/shared/ns/pool", "nfs://nas/srv/shared/ns/pool-2", False),
        ("pvc://ns/foundry-alpha-worlds/data", "pvc://ns/foundry-beta-worlds/data", False),
        ("", "pvc://ns/foundry-alpha-worlds/data", False),
    ],
)
def test_a_folder_and_its_parent_are_one_pool(a: str, b: str | None, same: bool) -> None:
    assert same_pool(a, b) is same and same_pool(b, a) is same


def test_the_older_license_keeps_its_shared_root() -> None:
    older = LicenseRoot("2026-01-01T00:00:00Z", "guild", "/s/red/guild")
    check_roots_apart("/s/red/guild", "guild", older.created, [older])  # itself
    check_roots_apart("/s/red/party", "party", "2026-02-01T00:00:00Z", [older])  # beside it
    with pytest.raises(UserError, match="license 'guild'"):
        check_roots_apart("/s/red/guild/x", "party", "2026-02-01T00:00:00Z", [older])
    younger = LicenseRoot("2026-02-01T00:00:00Z", "party", "/s/red/guild/x")
    check_roots_apart("/s/red/guild", "guild", older.created, [younger])  # the older is never refused


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"FOUNDRY_SHARED_NFS_ROOTS": "/a,/a/b"}, "overlap"),
        ({"FOUNDRY_SHARED_NFS_ROOTS": "relative"}, "absolute"),
        ({"FOUNDRY_SHARED_NFS_ROOTS": "/srv/foundry"}, "FOUNDRY_NFS_INSTANCE_ROOT"),
        ({"FOUNDRY_ALLOWED_BASE_DOMAINS": "example.com,1.2.3.4"}, "IP address"),
    ],
)
def test_isolation_settings_are_checked(env: dict[str, str], problem: str) -> None:
    with pytest.raises(UserError) as caught:
        PlatformSettings.from_env(env)
    assert problem in caught.value.message and next(iter(env)) in caught.value.message


def test_isolation_settings_parse() -> None:
    settings = PlatformSettings.from_env(
        {"FOUNDRY_SHARED_NFS_ROOTS": "/a, /b", "FOUNDRY_ALLOWED_BASE_DOMAINS": "Example.com,vtt.example.org"}
    )
    assert settings.shared_roots == ("/a", "/b")
    assert settings.base_domains == ("example.com", "vtt.example.org")


@pytest.mark.parametrize(
    ("text", "value"),
    [("512Mi", 512 * 2**20), ("1k", 1000), ("0", 0), ("500m", 0.5), ("1.5", 1.5), ("2Gi", 2 * 2**30)],
)
def test_quantities_read_as_numbers(text: str, value: float) -> None:
    assert float(quantity(text)) == value
