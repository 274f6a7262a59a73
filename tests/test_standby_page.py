"""The standby page over real HTTP (uvicorn), against the simulator's KubeAPI: what players see, and
what hostile clients cannot do (waking by GET, floods, forged forms, odd hosts, other tenants)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from standby_world import host, served, tabletop

from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from services.standby_page.app import create_app
from services.standby_page.guard import Csrf
from services.standby_page.settings import Settings
from services.standby_page.store import KubeStore

BETA, DELTA, ALPHA = host("beta", "tabletop"), host("delta", "rivals"), host("alpha", "tabletop")
SECRET = "test-secret-" + "x" * 20


class Page:
    """One browser-like client of the page on one Host."""

    def __init__(self, port: int, hostname: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.http = requests.Session()
        self.host = hostname

    def get(self, path: str = "/", **headers: str) -> requests.Response:
        return self.http.get(self.base + path, headers={"Host": self.host, **headers}, allow_redirects=False)

    def token(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.get().text)
        assert match, "the page has no form"
        return match[1]

    def post(self, data: dict[str, str] | str, **headers: str) -> requests.Response:
        return self.http.post(
            self.base + "/request", data=data, headers={"Host": self.host, **headers}, allow_redirects=False
        )


@pytest.fixture
def kube(tmp_path: Path) -> MemoryKube:
    memory = MemoryKube(ClusterState(tmp_path))
    tabletop(memory)
    return memory


@pytest.fixture
def port(kube: MemoryKube) -> Iterator[int]:
    store = KubeStore(kube, interval=3600)
    store.refresh()
    with served(create_app(store, Settings(secret=SECRET))) as bound:
        yield bound


def requests_made(kube: MemoryKube) -> list[dict[str, Any]]:
    return kube.list_all(FOUNDRY_ACTIVATION_REQUEST)


def test_standby_page_shows_the_instance_the_live_one_its_players_and_the_form(port: int) -> None:
    page = Page(port, BETA).get()
    assert page.status_code == 200
    assert 'id="instance">beta<' in page.text
    assert 'data-state="standby"' in page.text
    assert 'id="live">alpha<' in page.text and 'id="players">3<' in page.text
    assert 'id="version">13.351<' in page.text
    assert "Request Activation" in page.text and 'id="ask" method="post"' in page.text


def test_status_json_says_the_same_without_markup(port: int) -> None:
    status = Page(port, BETA).get("/status.json").json()
    assert status["instance"] == "beta" and status["state"] == "standby" and status["canRequest"] is True
    assert status["live"] == {"name": "alpha", "players": 3}
    assert status["ready"] is False and status["url"] is None


def test_the_live_instance_is_ready_and_says_where_to_go(port: int) -> None:
    status = Page(port, ALPHA).get("/status.json").json()
    assert (status["state"], status["ready"], status["url"]) == ("ready", True, f"https://{ALPHA}")
    assert status["canRequest"] is False


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("HEAD", "/"), ("GET", "/status.json"), ("GET", "/request"), ("OPTIONS", "/request")],
)
def test_no_get_prefetch_or_preview_creates_a_request(
    kube: MemoryKube, port: int, method: str, path: str
) -> None:
    response = requests.request(method, f"http://127.0.0.1:{port}{path}", headers={"Host": BETA})
    assert response.status_code in (200, 405)
    assert "access-control-allow-origin" not in response.headers
    assert requests_made(kube) == []


def test_the_post_creates_one_request_for_this_instance_in_its_namespace(kube: MemoryKube, port: int) -> None:
    page = Page(port, BETA)
    form = {"csrf": page.token(), "displayName": "Morgan", "reason": "session at 8pm"}
    response = page.post(form)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    [made] = requests_made(kube)
    assert made["metadata"]["namespace"] == "tabletop"
    assert made["spec"] == {
        "instanceRef": {"name": "beta"},
        "requestedBy": {"source": "standby-page", "displayName": "Morgan"},
        "reason": "session at 8pm",
    }
    after = page.get("/status.json").json()
    assert after["request"]["phase"] == "Pending" and after["canRequest"] is False


def test_a_thousand_rapid_posts_make_one_request_and_429s(kube: MemoryKube, port: int) -> None:
    page = Page(port, BETA)
    token = page.token()
    codes = [page.post({"csrf": token}).status_code for _ in range(1000)]
    assert len(requests_made(kube)) == 1
    assert codes.count(429) >= 990 and set(codes) == {303, 429}


def test_the_per_instance_limit_holds_against_many_clients(kube: MemoryKube, tmp_path: Path) -> None:
    settings = Settings(secret=SECRET, trust_forwarded_for=True, instance_burst=2, instance_per_minute=1)
    store = KubeStore(kube, interval=3600)
    store.refresh()
    with served(create_app(store, settings)) as port:
        page = Page(port, BETA)
        token = page.token()
        codes = [
            page.post({"csrf": token}, **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(20)
        ]
    assert codes.count(429) == 18 and len(requests_made(kube)) == 1


def _forged(page: Page) -> list[tuple[str, dict[str, str]]]:
    real = page.token()
    other_session = Page(int(page.base.rsplit(":", 1)[1]), BETA).token()
    return [
        ("no token", {}),
        ("empty token", {"csrf": ""}),
        ("garbage", {"csrf": "abc.def.ghi"}),
        ("signed with another key", {"csrf": Csrf("not-the-secret").token("x", f"beta@{BETA}")}),
        ("another browser's token", {"csrf": other_session}),
        ("tampered", {"csrf": real[:-2] + ("AA" if not real.endswith("AA") else "BB")}),
    ]


def test_a_post_without_or_with_a_forged_csrf_token_is_refused(kube: MemoryKube, port: int) -> None:
    page = Page(port, BETA)
    for case, form in _forged(page):
        response = page.post(form)
        assert response.status_code == 403, case
    assert requests_made(kube) == []


def test_a_token_from_another_instance_page_is_refused(kube: MemoryKube, port: int) -> None:
    page = Page(port, BETA)
    token = page.token()
    page.host = DELTA  # same browser session, other tenant's instance
    assert page.post({"csrf": token}).status_code == 403
    assert requests_made(kube) == []


def test_a_cross_origin_post_is_refused(kube: MemoryKube, port: int) -> None:
    page = Page(port, BETA)
    response = page.post({"csrf": page.token()}, Origin="https://evil.example.com")
    assert response.status_code == 403 and requests_made(kube) == []


def test_script_in_a_display_name_renders_inert(kube: MemoryKube, port: int) -> None:
    page = Page(port, BETA)
    page.post({"csrf": page.token(), "displayName": "<script>alert(1)</script>"})
    html = page.get().text
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "script-src 'self'" in page.get().headers["content-security-policy"]
    assert page.get("/status.json").json()["request"]["by"] == "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "form",
    [{"displayName": "x" * 101}, {"reason": "y" * 501}],
    ids=["name-too-long", "reason-too-long"],
)
def test_overlong_fields_are_refused(kube: MemoryKube, port: int, form: dict[str, str]) -> None:
    page = Page(port, BETA)
    assert page.post({"csrf": page.token(), **form}).status_code == 400
    assert requests_made(kube) == []


def test_an_oversized_body_is_refused_before_it_is_read(kube: MemoryKube, port: int) -> None:
    page = Page(port, BETA)
    assert page.post({"csrf": page.token(), "reason": "z" * 100_000}).status_code == 413
    assert page.post("not a form", **{"Content-Type": "application/json"}).status_code == 413
    assert requests_made(kube) == []


HOSTILE_HOSTS = [
    "nowhere.example.com",
    "beta",
    f"{BETA}.evil.example.com",
    f"evil.{BETA}",
    "<script>alert(1)</script>",
    f"{BETA}@evil.example.com",
    "../../etc/passwd",
    "127.0.0.1",
    "x" * 300,
    f"{BETA}:notaport",
]


@pytest.mark.parametrize("hostname", HOSTILE_HOSTS)
def test_an_unknown_or_malicious_host_reveals_nothing(kube: MemoryKube, port: int, hostname: str) -> None:
    page = Page(port, hostname)
    for path in ("/", "/status.json", "/anything"):
        response = page.get(path)
        assert response.status_code == 404
        for secret in ("beta", "alpha", "tabletop", "rivals", "guild", "Traceback", "<script>alert"):
            assert secret not in response.text, (path, secret)
    assert page.post({"csrf": "x"}).status_code == 404
    assert requests_made(kube) == []


def test_a_host_header_bigger_than_any_name_is_refused_without_a_page(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: " + b"a" * 200_000 + b"\r\n\r\n")
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 4") or answer == b""
    assert b"beta" not in answer and b"tabletop" not in answer


def test_the_route_header_may_confirm_but_never_override(kube: MemoryKube, port: int) -> None:
    page = Page(port, BETA)
    assert page.get(**{"X-Foundry-Instance": "tabletop/beta"}).status_code == 200  # what the route sets
    for claim in ("rivals/delta", "tabletop/alpha", "beta", ""):
        hijack = page.get(**{"X-Foundry-Instance": claim})
        assert hijack.status_code == 404 and "delta" not in hijack.text and "beta" not in hijack.text


def test_a_request_for_another_namespace_cannot_be_made_through_the_page(kube: MemoryKube, port: int) -> None:
    page = Page(port, BETA)
    form = {"csrf": page.token(), "namespace": "rivals", "instanceRef": "delta", "instance": "delta"}
    assert page.post(form).status_code == 303
    assert page.post(form, **{"X-Foundry-Instance": "rivals/delta"}).status_code == 404
    assert [(r["metadata"]["namespace"], r["spec"]["instanceRef"]["name"]) for r in requests_made(kube)] == [
        ("tabletop", "beta")
    ]


def test_pages_name_only_this_instance_and_the_live_one(port: int) -> None:
    for path in ("/", "/status.json"):
        text = Page(port, BETA).get(path).text
        for hidden in ("tabletop", "rivals", "guild", "gamma", "delta", "secret-ish"):
            assert hidden not in text, (path, hidden)


def test_every_response_carries_a_strict_policy_and_no_cors(port: int) -> None:
    for path in ("/", "/status.json", "/healthz", "/static/page.js", "/nope"):
        headers = Page(port, BETA).get(path, Origin="https://evil.example.com").headers
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
        assert not any(h.lower().startswith("access-control-") for h in headers)


def test_healthz_answers_once_the_cluster_was_read(kube: MemoryKube) -> None:
    store = KubeStore(kube, interval=3600)
    with served(create_app(store, Settings(secret=SECRET))) as port:
        assert Page(port, "anything").get("/healthz").status_code == 503
        store.refresh()
        assert Page(port, "anything").get("/healthz").text == "ok\n"


def test_a_start_that_does_not_answer_in_time_shows_a_failure(kube: MemoryKube) -> None:
    kube.merge_patch_status(
        FOUNDRY_INSTANCE, "tabletop", "beta", {"isActive": True, "foundry": {"reachable": False}}
    )
    clock = _Clock()
    store = KubeStore(kube, interval=3600)
    store.refresh()
    with served(create_app(store, Settings(secret=SECRET, start_timeout_seconds=300, clock=clock))) as port:
        page = Page(port, BETA)
        assert page.get("/status.json").json()["state"] == "starting"
        clock.advance(299)
        assert page.get("/status.json").json()["state"] == "starting"
        clock.advance(2)
        assert page.get("/status.json").json()["state"] == "failed"
        assert "did not start in time" in page.get().text


class _Clock:
    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)

    def __call__(self) -> Any:
        return self.now


class _Recording:
    """A KubeAPI that notes every call (verb, resource) before passing it on: the page's RBAC needs."""

    def __init__(self, inner: MemoryKube) -> None:
        self.inner = inner
        self.calls: set[tuple[str, str]] = set()

    def __getattr__(self, verb: str) -> Any:
        def call(kind: Any, *args: Any, **kwargs: Any) -> Any:
            self.calls.add((verb, kind.plural))
            return getattr(self.inner, verb)(kind, *args, **kwargs)

        return call


def test_the_page_only_lists_three_kinds_and_creates_activation_requests(kube: MemoryKube) -> None:
    recording = _Recording(kube)
    store = KubeStore(recording, interval=3600)  # type: ignore[arg-type]
    store.refresh()
    with served(create_app(store, Settings(secret=SECRET))) as port:
        page = Page(port, BETA)
        page.get("/status.json")
        assert page.post({"csrf": page.token(), "displayName": "Mo"}).status_code == 303
    store.refresh()
    assert recording.calls == {
        ("list_all", "foundryinstances"),
        ("list_all", "foundrylicenses"),
        ("list_all", "foundryactivationrequests"),
        ("create", "foundryactivationrequests"),
    }


def test_concurrent_posts_from_many_clients_make_one_request(kube: MemoryKube) -> None:
    settings = Settings(secret=SECRET, trust_forwarded_for=True, instance_burst=100, instance_per_minute=100)
    store = KubeStore(kube, interval=3600)
    store.refresh()
    with served(create_app(store, settings)) as port:
        pages = [Page(port, BETA) for _ in range(20)]
        tokens = [p.token() for p in pages]

        def post(i: int) -> int:
            return pages[i].post({"csrf": tokens[i]}, **{"X-Forwarded-For": f"10.1.0.{i}"}).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            codes = list(pool.map(post, range(20)))
    assert set(codes) == {303} and len(requests_made(kube)) == 1
