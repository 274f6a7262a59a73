"""Version selectors and the version decision: resolution, autoUpdate, downgrades, allow-lists."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundry_lib.catalog import parse_catalog
from foundry_lib.errors import UserError
from foundry_lib.versions import (
    AutoUpdate,
    ExactSelector,
    GenerationSelector,
    LatestSelector,
    Selector,
    decide_version,
    parse_selector,
)

# Build numbers interleave across generations: 12.343 was built after 13.341.
CATALOG = parse_catalog("""
- {version: "12.320", channel: testing}
- {version: "12.331", channel: stable}
- {version: "12.343", channel: stable}
- {version: "13.340", channel: testing}
- {version: "13.341", channel: stable}
- {version: "13.345", channel: stable}
- {version: "13.348", channel: stable, imageRevision: 1}
- {version: "13.351", channel: stable}
- {version: "14.355", channel: testing}
- {version: "14.359", channel: stable}
- {version: "14.361", channel: stable}
- {version: "14.362", channel: development}
- {version: "14.363", channel: prototype}
""")
REPO = "registry.example/foundry"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("13.348", ExactSelector(13, 348), id="exact"),
        pytest.param("13.348.0", ExactSelector(13, 348, 0), id="exact-image-revision"),
        pytest.param("13.x", GenerationSelector(13), id="generation"),
        pytest.param("latest", LatestSelector(), id="latest"),
        pytest.param(" 14.x\n", GenerationSelector(14), id="surrounding-space"),
    ],
)
def test_parse_selector_forms(text: str, expected: Selector) -> None:
    assert parse_selector(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "13",
        "13.",
        ".348",
        "v13.348",
        "13.348.0.1",
        "13.x.1",
        "13.y",
        "Latest",
        "13.348-rc1",
        "13 .348",
        "\u0661\u0663.\u0663\u0664\u0668",
        "1234567.1",
        "x",
    ],
)
def test_parse_selector_rejects_naming_field_and_forms(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_selector(text, field="spec.defaults.foundryVersion")
    assert caught.value.field == "spec.defaults.foundryVersion"
    assert caught.value.message.startswith("spec.defaults.foundryVersion: ")
    assert all(form in caught.value.message for form in ('"13.348"', '"13.348.0"', '"13.x"', '"latest"'))


@given(st.text())
def test_parse_selector_raises_only_user_errors(text: str) -> None:
    try:
        selector = parse_selector(text)
    except UserError as exc:
        assert exc.field == "spec.foundryVersion"
        return
    assert parse_selector(str(selector)) == selector


VERSIONISH = st.sampled_from(
    ["latest", "12.x", "13.x", "15.x", "12.343", "13.348", "13.348.0", "14.362", "9.9"]
)


@given(
    VERSIONISH | st.text(),
    st.none() | VERSIONISH | st.text(),
    st.lists(VERSIONISH | st.text(), max_size=3),
    st.none() | VERSIONISH | st.text(),
)
def test_decide_version_raises_only_user_errors(
    requested: str, observed: str | None, allowed: list[str], override: str | None
) -> None:
    for auto in AutoUpdate:
        with contextlib.suppress(UserError):
            decide_version(
                requested,
                CATALOG,
                observed=observed,
                auto_update=auto,
                allowed=allowed,
                allow_downgrade=override,
            )


def case(
    case_id: str,
    requested: str,
    expect: tuple[str, str | None, str | None],
    *,
    observed: str | None = None,
    auto: str = "none",
    allowed: tuple[str, ...] = (),
    override: str | None = None,
) -> object:
    return pytest.param(requested, observed, AutoUpdate(auto), allowed, override, expect, id=case_id)


@pytest.mark.parametrize(
    ("requested", "observed", "auto", "allowed", "override", "expect"),
    [
        # first resolution: (image tag, previous, newer_available)
        case("exact-newest-image", "13.348", ("13.348.1", None, None)),
        case("exact-image-revision", "13.348.0", ("13.348.0", None, None)),
        case("generation-newest-stable", "13.x", ("13.351.0", None, None)),
        case("generation-12-by-generation-not-build", "12.x", ("12.343.0", None, None)),
        case("latest-skips-pre-stable", "latest", ("14.361.0", None, None)),
        case("exact-testing", "14.355", ("14.355.0", None, None)),
        case("exact-development", "14.362", ("14.362.0", None, None)),
        case("exact-prototype", "14.363", ("14.363.0", None, None)),
        case("exact-testing-old-generation", "12.320", ("12.320.0", None, None)),
        # autoUpdate against an observed version
        case("none-latest-pins", "latest", ("13.345.0", None, "14.361"), observed="13.345"),
        case(
            "build-latest-stays-in-generation",
            "latest",
            ("13.351.0", "13.345", "14.361"),
            observed="13.345",
            auto="build",
        ),
        case(
            "generation-latest-jumps",
            "latest",
            ("14.361.0", "13.345", None),
            observed="13.345",
            auto="generation",
        ),
        case("none-generation-pins", "13.x", ("13.345.0", None, "13.351"), observed="13.345"),
        case(
            "build-generation-follows", "13.x", ("13.351.0", "13.345", None), observed="13.345", auto="build"
        ),
        case("none-spec-names-14", "14.x", ("14.361.0", "13.351", None), observed="13.351"),
        case("build-spec-names-14", "14.x", ("14.361.0", "13.351", None), observed="13.351", auto="build"),
        case("build-exact-14", "14.359", ("14.359.0", "13.351", None), observed="13.351", auto="build"),
        case(
            "build-latest-interleaved",
            "latest",
            ("12.343.0", "12.331", "14.361"),
            observed="12.331",
            auto="build",
        ),
        case("none-latest-pins-old-generation", "latest", ("12.343.0", None, "14.361"), observed="12.343"),
        case("upgrade-to-lower-build-number", "13.341", ("13.341.0", "12.343", None), observed="12.343"),
        case(
            "keeps-pre-stable-newer-than-stable",
            "latest",
            ("14.362.0", None, None),
            observed="14.362",
            auto="build",
        ),
        case("none-keeps-pre-stable-newer", "14.x", ("14.362.0", None, None), observed="14.362"),
        case("none-leaves-pre-stable-for-stable", "13.x", ("13.351.0", "13.340", None), observed="13.340"),
        case(
            "observed-with-revision",
            "latest",
            ("13.351.0", "13.348", "14.361"),
            observed="13.348.1",
            auto="build",
        ),
        case("unchanged", "13.x", ("13.351.0", None, None), observed="13.351", auto="generation"),
        case("exact-unchanged", "13.348", ("13.348.1", None, None), observed="13.348"),
        # downgrades with the annotation
        case(
            "downgrade-override", "13.345", ("13.345.0", "13.348", None), observed="13.348", override="13.345"
        ),
        case(
            "downgrade-override-revision",
            "13.345",
            ("13.345.0", "13.348", None),
            observed="13.348",
            override="13.345.0",
        ),
        case(
            "downgrade-generation-override",
            "12.x",
            ("12.343.0", "13.341", None),
            observed="13.341",
            override="12.343",
        ),
        # license allowedVersions
        case("allowed-narrows-latest", "latest", ("13.351.0", None, None), allowed=("13.x",)),
        case(
            "allowed-limits-newer",
            "latest",
            ("13.345.0", None, "13.351"),
            observed="13.345",
            allowed=("13.x",),
        ),
        case("allowed-exact-only", "13.x", ("13.345.0", None, None), allowed=("13.345",)),
        case("allowed-names-pre-stable", "13.340", ("13.340.0", None, None), allowed=("13.340", "13.x")),
        case("allowed-ignores-revision", "13.348", ("13.348.1", None, None), allowed=("13.348.0",)),
        case(
            "allowed-mixed",
            "latest",
            ("12.343.0", "12.331", "14.359"),
            observed="12.331",
            auto="build",
            allowed=("12.x", "14.359"),
        ),
        case(
            "license-narrowed-moves-pin",
            "latest",
            ("13.348.1", "13.345", None),
            observed="13.345",
            allowed=("13.348",),
        ),
    ],
)
def test_decide_version(
    requested: str,
    observed: str | None,
    auto: AutoUpdate,
    allowed: tuple[str, ...],
    override: str | None,
    expect: tuple[str, str | None, str | None],
) -> None:
    decision = decide_version(
        requested,
        CATALOG,
        observed=observed,
        auto_update=auto,
        allowed=allowed,
        allow_downgrade=override,
        image_repository=REPO,
    )
    newer = decision.newer_available.version if decision.newer_available else None
    assert (decision.resolved.image_tag, decision.previous, newer) == expect
    # Foundry 12 images need root: it runs on the newest stable rootless image of 13 (test_images.py).
    assert decision.image == f"{REPO}:{'13.351.0' if expect[0].startswith('12.') else expect[0]}"
    assert decision.changed is (expect[1] is not None)
    assert decision.requested == requested.strip()


LATEST_FROM_13_345 = {AutoUpdate.NONE: "13.345", AutoUpdate.BUILD: "13.351", AutoUpdate.GENERATION: "14.361"}


@pytest.mark.parametrize("auto", list(AutoUpdate), ids=str)
def test_every_auto_update_mode_is_decided_for_latest(auto: AutoUpdate) -> None:
    decision = decide_version("latest", CATALOG, observed="13.345", auto_update=auto)
    assert decision.resolved.version == LATEST_FROM_13_345[auto]


def test_default_image_repository_is_ghcr() -> None:
    decision = decide_version("13.351", CATALOG, observed=None, auto_update=AutoUpdate.NONE)
    assert decision.image == "ghcr.io/felddy/foundryvtt:13.351.0"


def rejected(
    case_id: str,
    requested: str,
    reason: str,
    *fragments: str,
    observed: str | None = None,
    auto: str = "none",
    allowed: tuple[str, ...] = (),
    override: str | None = None,
) -> object:
    return pytest.param(
        requested, observed, AutoUpdate(auto), allowed, override, reason, fragments, id=case_id
    )


@pytest.mark.parametrize(
    ("requested", "observed", "auto", "allowed", "override", "reason", "fragments"),
    [
        rejected(
            "unknown-build", "13.349", "UnknownVersion", "nearest known: 13.348 (stable), 13.351 (stable)"
        ),
        rejected("unknown-image-revision", "13.348.2", "UnknownVersion", "newest known image is 13.348.1"),
        rejected("unknown-generation", "15.x", "UnknownVersion", "stable generations: 12, 13, 14"),
        rejected(
            "unknown-running-generation",
            "latest",
            "UnknownVersion",
            "generation 15",
            observed="15.370",
            auto="build",
        ),
        rejected("malformed", "13", "InvalidRequest", '"13.x"', '"latest"'),
        rejected(
            "downgrade-exact",
            "13.345",
            "VersionDowngrade",
            "older than the running 13.348",
            'foundry.platform/allow-downgrade: "13.345"',
            observed="13.348",
        ),
        rejected(
            "downgrade-generation-despite-higher-build",
            "12.343",
            "VersionDowngrade",
            "running 13.341",
            observed="13.341",
            auto="generation",
        ),
        rejected(
            "downgrade-by-selector",
            "13.x",
            "VersionDowngrade",
            "resolves to 13.351",
            observed="14.359",
            auto="build",
        ),
        rejected(
            "override-other-version",
            "13.345",
            "VersionDowngrade",
            "13.345",
            observed="13.348",
            override="13.344",
        ),
        rejected(
            "override-malformed", "13.345", "VersionDowngrade", "13.345", observed="13.348", override="yes"
        ),
        rejected(
            "observed-not-in-catalog",
            "13.x",
            "VersionDowngrade",
            "13.352 is not in the release catalog",
            observed="13.352",
        ),
        rejected(
            "not-allowed-exact", "14.359", "VersionNotAllowed", "allowedVersions: 13.x", allowed=("13.x",)
        ),
        rejected("not-allowed-pre-stable", "13.340", "VersionNotAllowed", "13.340", allowed=("13.x",)),
        rejected(
            "not-allowed-moving",
            "14.x",
            "VersionNotAllowed",
            "any stable build of generation 14",
            allowed=("12.x",),
        ),
        rejected(
            "pin-no-longer-allowed",
            "13.345",
            "VersionNotAllowed",
            "allowedVersions: 14.x",
            observed="13.345",
            allowed=("14.x",),
        ),
        rejected(
            "bad-allowed-entry",
            "13.x",
            "InvalidRequest",
            "FoundryLicense spec.restrictions.allowedVersions[1]",
            allowed=("13.x", "13"),
        ),
        rejected(
            "bad-observed",
            "13.x",
            "InvalidObservedVersion",
            "status.foundryVersion.resolved",
            observed="thirteen",
        ),
    ],
)
def test_decide_version_rejects(
    requested: str,
    observed: str | None,
    auto: AutoUpdate,
    allowed: tuple[str, ...],
    override: str | None,
    reason: str,
    fragments: tuple[str, ...],
) -> None:
    with pytest.raises(UserError) as caught:
        decide_version(
            requested, CATALOG, observed=observed, auto_update=auto, allowed=allowed, allow_downgrade=override
        )
    message = caught.value.message
    assert caught.value.reason == reason
    assert "spec.foundryVersion" in message
    assert (observed or "No version is running yet") in message
    assert all(fragment in message for fragment in fragments), message
