"""The standby page's pure rules: which instance a Host names, and what its page says."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standby_world import host, instance_obj, license_obj

from services.standby_page.view import Cluster, host_of, open_request, page_of

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("beta.games.example.com", "beta.games.example.com"),
        ("Beta.Games.Example.COM", "beta.games.example.com"),
        ("beta.games.example.com:8443", "beta.games.example.com"),
        ("beta.games.example.com.", "beta.games.example.com"),
        (None, None),
        ("", None),
        ("beta.games.example.com:https", None),
        ("<script>", None),
        ("a b.example.com", None),
        ("-beta.example.com", None),
        ("x" * 64 + ".example.com", None),
        ("a." * 130 + "com", None),
        ("beta.example.com\r\nX-Evil: 1", None),
        ("user@beta.example.com", None),
        ("[::1]:80", None),
    ],
)
def test_host_of_accepts_only_dns_names(header: str | None, expected: str | None) -> None:
    assert host_of(header) == expected


def request_obj(name: str, instance: str, phase: str | None, created: str, by: str = "") -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "tabletop", "creationTimestamp": created},
        "spec": {"instanceRef": {"name": instance}, "requestedBy": {"source": "kubectl", "displayName": by}},
    }
    if phase:
        obj["status"] = {"phase": phase}
    return obj


def world(**changes: Any) -> Cluster:
    lic = license_obj("guild", "tabletop", active="alpha", routes={"alpha": "active", "beta": "standby"})
    alpha = instance_obj("alpha", "tabletop", "guild", active=True, players=3)
    beta = instance_obj("beta", "tabletop", "guild", active=False)
    for target, patch in changes.items():
        obj = {"lic": lic, "alpha": alpha, "beta": beta}[target]
        obj["status"].update(copy.deepcopy(patch))
    return Cluster.of([alpha, beta], [lic], [])


def test_the_license_routing_names_the_instance_of_a_host() -> None:
    lic = license_obj("guild", "tabletop", active="alpha", routes={"alpha": "active", "beta": "standby"})
    lic["status"]["instances"][1]["hostname"] = "tonight.games.example.com"  # spec.hostname override
    alpha = instance_obj("alpha", "tabletop", "guild", active=True)
    beta = instance_obj("beta", "tabletop", "guild", active=False)
    cluster = Cluster.of([alpha, beta], [lic], [])
    assert cluster.find("tonight.games.example.com") == ("tabletop", "beta")
    assert cluster.find(host("alpha")) == ("tabletop", "alpha")
    assert cluster.find(host("beta")) is None  # the instance's stale own hostname does not claim it


@pytest.mark.parametrize(
    ("case", "state", "owner"),
    [
        ("a hostname another instance already holds is not routed", "hostname-taken", ("tabletop", "alpha")),
        (
            "over the license's limit: the instance's own status still finds it",
            "over-limit",
            ("tabletop", "beta"),
        ),
    ],
)
def test_only_routed_entries_claim_a_hostname(case: str, state: str, owner: tuple[str, str]) -> None:
    lic = license_obj("guild", "tabletop", active="alpha", routes={"alpha": "active", "beta": state})
    lic["status"]["instances"][1]["hostname"] = host("beta") if state == "over-limit" else host("alpha")
    alpha = instance_obj("alpha", "tabletop", "guild", active=True, created="2026-11-01T00:00:00Z")
    beta = instance_obj("beta", "tabletop", "guild", active=False, created="2026-11-02T00:00:00Z")
    cluster = Cluster.of([beta, alpha], [lic], [])
    claimed = host("beta") if state == "over-limit" else host("alpha")
    assert cluster.find(claimed) == owner, case


def test_the_first_claimant_across_namespaces_keeps_a_hostname() -> None:
    old = instance_obj("beta", "tabletop", "guild", active=False, created="2026-11-01T00:00:00Z")
    new = instance_obj("beta", "rivals", "rival", active=False, created="2026-11-05T00:00:00Z")
    licenses = [
        license_obj("guild", "tabletop", active="", routes={}),
        license_obj("rival", "rivals", active="", routes={}),
    ]
    assert Cluster.of([new, old], licenses, []).find(host("beta")) == ("tabletop", "beta")


def test_an_instance_without_its_license_is_not_served() -> None:
    orphan = instance_obj("beta", "tabletop", "gone", active=False)
    assert Cluster.of([orphan], [], []).find(host("beta")) is None


@pytest.mark.parametrize(
    ("case", "changes", "requests", "expected"),
    [
        ("on standby, may ask", {}, [], ("standby", True, None)),
        ("open request: no second form", {}, [("r1", "Pending")], ("standby", False, "Pending")),
        ("a request nobody read yet is Pending", {}, [("r1", None)], ("standby", False, "Pending")),
        ("denied: may ask again", {}, [("r1", "Denied")], ("standby", True, "Denied")),
        ("approved: starting", {}, [("r1", "Approved")], ("starting", False, "Approved")),
        (
            "completed long ago, back on standby: not shown",
            {},
            [("r1", "Completed")],
            ("standby", True, None),
        ),
        (
            "routed but not answering: starting",
            {"lic": {"activeInstance": "beta"}, "beta": {"isActive": True}},
            [],
            ("starting", False, None),
        ),
        (
            "routed and answering: ready",
            {"lic": {"activeInstance": "beta"}, "beta": {"isActive": True, "foundry": {"reachable": True}}},
            [("r1", "Completed")],
            ("ready", False, "Completed"),
        ),
        (
            "the license's guard holds a switch to it: switching",
            {"lic": {"pendingSwitchover": {"target": "beta", "players": 3}}},
            [],
            ("switching", False, None),
        ),
        (
            "over the license's limit: unavailable, no form",
            {"lic": {"instances": [{"name": "beta", "state": "over-limit", "hostname": host("beta")}]}},
            [],
            ("unavailable", False, None),
        ),
    ],
)
def test_page_states(
    case: str,
    changes: dict[str, Any],
    requests: list[tuple[str, str | None]],
    expected: tuple[str, bool, str | None],
) -> None:
    cluster = world(**changes)
    for i, (name, phase) in enumerate(requests):
        cluster.add_request(request_obj(name, "beta", phase, f"2026-11-28T19:0{i}:00Z"))
    page = page_of(cluster, ("tabletop", "beta"), starting_since=NOW, now=NOW, start_timeout_seconds=600)
    assert (page.state, page.can_request, page.request_phase) == expected, case


def test_a_start_past_the_timeout_fails() -> None:
    cluster = world(lic={"activeInstance": "beta"}, beta={"isActive": True})
    key = ("tabletop", "beta")
    early = page_of(
        cluster, key, starting_since=NOW, now=NOW + timedelta(seconds=600), start_timeout_seconds=600
    )
    late = page_of(
        cluster, key, starting_since=NOW, now=NOW + timedelta(seconds=601), start_timeout_seconds=600
    )
    assert (early.state, late.state) == ("starting", "failed")


def test_the_newest_open_request_wins_over_finished_ones() -> None:
    reqs = [
        request_obj("old", "beta", "Pending", "2026-11-28T18:00:00Z"),
        request_obj("done", "beta", "Denied", "2026-11-28T19:00:00Z"),
    ]
    assert open_request(reqs) is reqs[0]
    assert open_request(reqs[1:]) is reqs[1]
    assert open_request([]) is None


@pytest.mark.parametrize(
    ("pending", "players", "expected"),
    [
        (
            {"target": "beta", "deadline": "2026-11-28T21:15:00Z", "players": 3, "reason": "GracePeriod"},
            3,
            "alpha has 3 players; switching when they leave or at 21:15 UTC",
        ),
        (
            {"target": "beta", "deadline": None, "players": 1},
            1,
            "alpha has 1 player; switching when they leave",
        ),
        ({"target": "beta", "players": 2}, 5, "alpha has 2 players; switching when they leave"),
        ({"target": "beta"}, 0, "alpha is live; switching now"),
        ({"target": "gamma"}, 3, None),
        ({"target": ""}, 3, None),
        ("garbage", 3, None),
    ],
)
def test_a_pending_switchover_says_what_will_happen(pending: Any, players: int, expected: str | None) -> None:
    cluster = world(lic={"pendingSwitchover": pending}, alpha={"connectedPlayers": players})
    cluster.add_request(request_obj("r1", "beta", "Approved", "2026-11-28T19:00:00Z"))
    page = page_of(cluster, ("tabletop", "beta"), starting_since=NOW, now=NOW, start_timeout_seconds=600)
    assert page.switchover == expected


def test_the_page_json_names_only_this_instance_and_the_live_one() -> None:
    cluster = world()
    cluster.add_request(
        request_obj("secret-request-name", "beta", "Pending", "2026-11-28T19:00:00Z", by="Mo")
    )
    shown = str(
        page_of(cluster, ("tabletop", "beta"), starting_since=NOW, now=NOW, start_timeout_seconds=1).as_json()
    )
    for hidden in ("tabletop", "guild", "secret-request-name", "secret-ish"):
        assert hidden not in shown
    assert "'beta'" in shown and "'alpha'" in shown and "'Mo'" in shown


@given(st.text(max_size=300))
def test_any_host_header_names_a_known_instance_exactly_or_nothing(header: str) -> None:
    cluster = world()
    parsed = host_of(header)
    assert parsed is None or (len(parsed) <= 253 and parsed == parsed.lower())
    found = cluster.find(parsed) if parsed else None
    assert found is None or header.lower().rstrip(".").split(":")[0].rstrip(".") in (
        host("alpha"),
        host("beta"),
    )
