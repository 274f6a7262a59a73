"""The registry adapter against a fake OCI registry on 127.0.0.1 (pagination, token flow, failures)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from fake_registry import REPOSITORY, FakeRegistry, serving

from foundry_lib.adapters.registry import list_tags
from foundry_lib.catalog import Channel, parse_catalog, refresh_catalog
from foundry_lib.errors import TransientError

MANY_TAGS = [f"13.{build}.{rev}" for build in range(300, 400) for rev in range(3)]


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False  # no proxy between us and 127.0.0.1
        yield s


@pytest.mark.parametrize(
    ("registry", "page_requests"),
    [
        pytest.param(FakeRegistry(tags=["13.351.0", "release"]), 1, id="one-page"),
        pytest.param(FakeRegistry(tags=MANY_TAGS, page_size=100), 3, id="paginated-link-headers"),
        pytest.param(FakeRegistry(tags=MANY_TAGS, page_size=7, require_token=True), 43, id="token-and-pages"),
        pytest.param(FakeRegistry(tags=[]), 1, id="empty"),
    ],
)
def test_lists_every_tag_in_order(
    registry: FakeRegistry, page_requests: int, session: requests.Session
) -> None:
    with serving(registry):
        tags = list_tags(registry.url, REPOSITORY, session=session)
    assert tags == registry.tags
    pages = [p for p in registry.requests if p.startswith("/v2/") and "last=" in p]
    assert len(pages) == page_requests - 1


def test_anonymous_token_flow_asks_for_the_challenged_scope(session: requests.Session) -> None:
    registry = FakeRegistry(tags=["14.359.0"], require_token=True)
    with serving(registry):
        assert list_tags(registry.url, REPOSITORY, session=session) == ["14.359.0"]
    assert registry.token_queries == [
        {"service": ["fake-registry"], "scope": [f"repository:{REPOSITORY}:pull"]}
    ]


@pytest.mark.parametrize(
    ("registry", "repository", "expected"),
    [
        pytest.param(
            FakeRegistry(tags=["1.2.3"], fail_status=500), REPOSITORY, "answered 500", id="server-error"
        ),
        pytest.param(FakeRegistry(tags=["1.2.3"]), "felddy/nope", "answered 404", id="unknown-repository"),
        pytest.param(
            FakeRegistry(tags=MANY_TAGS, page_size=10), REPOSITORY, "more than 5 pages", id="page-cap"
        ),
    ],
)
def test_failures_are_transient_and_name_the_url(
    registry: FakeRegistry, repository: str, expected: str, session: requests.Session
) -> None:
    with serving(registry), pytest.raises(TransientError) as caught:
        list_tags(registry.url, repository, session=session, max_pages=5)
    assert expected in str(caught.value)
    assert registry.url in str(caught.value)


def test_unreachable_registry_is_transient(session: requests.Session) -> None:
    registry = FakeRegistry(tags=[])
    with serving(registry):
        url = registry.url  # the port is free again once the server stops
    with pytest.raises(TransientError, match=r"GET http://127\.0\.0\.1:\d+/v2/felddy/foundryvtt/tags/list"):
        list_tags(url, REPOSITORY, session=session, timeout=2)


def test_refresh_from_registry_learns_builds_and_keeps_channels(session: requests.Session) -> None:
    known = parse_catalog(
        '- {version: "13.351", channel: stable, date: 2000-01-02, imageRevision: 0}\n'
        '- {version: "14.358", channel: testing, date: null, imageRevision: 0}\n'
    )
    tags = [
        "13",
        "13.351",
        "13.351.0",
        "13.351.2",
        "14.358.1",
        "14.362.0",
        "14.362.1",
        "release",
        "latest",
        "14.362.0-rc1",
        "v14.362.0",
        "not-a-tag",
    ]
    registry = FakeRegistry(tags=tags, page_size=4, require_token=True)
    with serving(registry):
        refreshed, ignored = refresh_catalog(known, list_tags(registry.url, REPOSITORY, session=session))
    assert [(r.version, r.channel, r.image_revision, str(r.date)) for r in refreshed] == [
        ("13.351", Channel.STABLE, 2, "2000-01-02"),
        ("14.358", Channel.TESTING, 1, "None"),
        ("14.362", Channel.STABLE, 1, "None"),
    ]
    assert ignored == ["13", "13.351", "release", "latest", "14.362.0-rc1", "v14.362.0", "not-a-tag"]
