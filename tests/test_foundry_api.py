"""The Foundry API client against a local fake Foundry: real answers are read as Foundry, everything
else (slow, refused, redirect, HTML, 5xx, malformed JSON, JSON that is not Foundry) is unknown with a
reason, and never 0 players."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fake_foundry import (
    FakeFoundry,
    Reply,
    html,
    malformed,
    no_world,
    redirect,
    serve,
    server_error,
    slow,
    trickling,
    world,
)

from foundry_lib.adapters.foundry_api import FoundryClient
from foundry_lib.foundry_status import Activity, FoundryObservation, UnknownReason, parse_status


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeFoundry]:
    with serve() as server:
        yield server


@pytest.fixture(scope="module")
def client() -> Iterator[FoundryClient]:
    foundry = FoundryClient(timeout=0.5)
    yield foundry
    foundry.close()


KNOWN = [
    ("world with players", world(3), Activity.PLAYERS, 3, "campaign-alpha"),
    ("world, nobody on", world(0), Activity.IDLE, 0, "campaign-alpha"),
    ("setup screen, no world", no_world(), Activity.IDLE, 0, None),
]


@pytest.mark.parametrize(
    ("case", "reply", "activity", "players", "world_id"), KNOWN, ids=[k[0] for k in KNOWN]
)
def test_a_real_foundry_answer_is_read_with_its_players_and_world(
    fake: FakeFoundry,
    client: FoundryClient,
    case: str,
    reply: Reply,
    activity: Activity,
    players: int,
    world_id: str | None,
) -> None:
    name = case.replace(" ", "-").replace(",", "")
    fake.set("tabletop", name, reply)
    seen = client.status(f"{fake.url}/tabletop/{name}")
    assert (seen.activity, seen.players, seen.world, seen.version) == (activity, players, world_id, "13.351")
    assert seen.reachable and seen.reason is None


UNKNOWN = [
    ("slower than the timeout", slow(1.5), UnknownReason.TIMEOUT),
    ("trickling past the deadline", trickling(0.1), UnknownReason.TIMEOUT),
    ("redirect to a login page", redirect("/auth"), UnknownReason.REDIRECT),
    ("standby page in HTML", html(), UnknownReason.NOT_JSON),
    ("bad gateway", server_error(502), UnknownReason.SERVER_ERROR),
    ("service unavailable", server_error(503), UnknownReason.SERVER_ERROR),
    ("not found", Reply(code=404, content_type="text/plain", body=b"no"), UnknownReason.UNEXPECTED_STATUS),
    ("malformed JSON", malformed(), UnknownReason.MALFORMED_JSON),
    ("JSON without version", Reply(body=b'{"active": true, "users": 0}'), UnknownReason.NOT_FOUNDRY),
    ("JSON list", Reply(body=b"[1, 2]"), UnknownReason.NOT_FOUNDRY),
    (
        "users not a count",
        Reply(body=b'{"active": true, "version": "13.351", "users": "3"}'),
        UnknownReason.NOT_FOUNDRY,
    ),
    ("empty body", Reply(body=b""), UnknownReason.MALFORMED_JSON),
    (
        "huge body",
        Reply(body=b'{"version": "1", "pad": "' + b"x" * 70_000 + b'"}'),
        UnknownReason.NOT_FOUNDRY,
    ),
]


@pytest.mark.parametrize(("case", "reply", "reason"), UNKNOWN, ids=[u[0] for u in UNKNOWN])
def test_anything_but_a_foundry_answer_is_unknown_with_a_reason_never_zero_players(
    fake: FakeFoundry, client: FoundryClient, case: str, reply: Reply, reason: UnknownReason
) -> None:
    name = case.replace(" ", "-").replace(",", "")
    fake.set("tabletop", name, reply)
    seen = client.status(f"{fake.url}/tabletop/{name}")
    assert (seen.activity, seen.players, seen.reason) == (Activity.UNKNOWN, None, reason)
    assert not seen.reachable


def test_a_refused_connection_is_unknown_unreachable(client: FoundryClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: the connection is refused
        seen = client.status(f"http://127.0.0.1:{port}")
    assert (seen.activity, seen.reason, seen.detail) == (
        Activity.UNKNOWN,
        UnknownReason.UNREACHABLE,
        "connection refused",
    )


def test_the_client_asks_api_status_and_does_not_follow_a_redirect(
    fake: FakeFoundry, client: FoundryClient
) -> None:
    fake.set("tabletop", "moved", redirect("/tabletop/target"))
    fake.set("tabletop", "target", world(5))
    seen = client.status(f"{fake.url}/tabletop/moved/")
    assert seen.reason is UnknownReason.REDIRECT
    assert fake.requests["tabletop/moved"] == 1 and fake.requests["tabletop/target"] == 0


PARSED = [
    ("uptime kept", 200, "application/json", b'{"active":false,"version":"12.331","uptime":12.5}', 12.5),
    (
        "json with charset",
        200,
        "application/json; charset=utf-8",
        b'{"active":false,"version":"13.351"}',
        None,
    ),
    ("negative uptime ignored", 200, "application/json", b'{"active":false,"version":"1","uptime":-3}', None),
]


@pytest.mark.parametrize(("case", "code", "ctype", "body", "uptime"), PARSED, ids=[p[0] for p in PARSED])
def test_parse_status_reads_optional_fields_leniently(
    case: str, code: int, ctype: str, body: bytes, uptime: float | None
) -> None:
    seen = parse_status(code, ctype, body)
    assert seen.reachable and seen.uptime == uptime


def test_active_must_be_a_boolean() -> None:
    assert parse_status(200, "application/json", b'{"version": "13.351"}') == FoundryObservation(
        reason=UnknownReason.NOT_FOUNDRY, detail="active is not true or false"
    )
