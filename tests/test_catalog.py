"""The release catalog: parsing with precise errors, ordering by generation, merging, refreshing."""

from __future__ import annotations

import datetime
import importlib.resources
from typing import Any

import pytest
import yaml

from foundry_lib.adapters.catalog_files import load_packaged_catalog
from foundry_lib.catalog import (
    LOADER,
    PURE_LOADER,
    Catalog,
    Channel,
    Release,
    parse_catalog,
    refresh_catalog,
)
from foundry_lib.errors import UserError

INTERLEAVED = Catalog(
    (
        Release(13, 341, Channel.STABLE),
        Release(12, 343, Channel.STABLE),  # built after 13.341, still generation 12
        Release(13, 340, Channel.TESTING),
        Release(12, 331, Channel.STABLE),
        Release(13, 351, Channel.STABLE, datetime.date(2000, 1, 2), 2),
        Release(14, 355, Channel.PROTOTYPE),
    )
)


def test_release_names_its_version_and_image_tag() -> None:
    release = Release(13, 348, Channel.STABLE, None, 1)
    assert (release.version, release.image_tag) == ("13.348", "13.348.1")


def test_releases_sort_by_generation_then_build_never_by_build_alone() -> None:
    assert [r.version for r in INTERLEAVED] == ["12.331", "12.343", "13.340", "13.341", "13.351", "14.355"]
    assert INTERLEAVED.newest_stable().version == "13.351"  # type: ignore[union-attr]
    assert INTERLEAVED.newest_stable(12).version == "12.343"  # type: ignore[union-attr]
    assert INTERLEAVED.newest_stable(14) is None


def test_lookups() -> None:
    assert INTERLEAVED.find(12, 343) == Release(12, 343, Channel.STABLE)
    assert INTERLEAVED.find(13, 343) is None
    assert [r.version for r in INTERLEAVED.stable()] == ["12.331", "12.343", "13.341", "13.351"]
    assert [r.version for r in INTERLEAVED.in_generation(13)] == ["13.340", "13.341", "13.351"]
    assert INTERLEAVED.generations() == (12, 13, 14)


@pytest.mark.parametrize(
    ("generation", "build", "expected"),
    [
        pytest.param(13, 342, ["13.341", "13.340", "13.351"], id="same-generation-by-distance"),
        pytest.param(12, 344, ["12.343", "12.331", "13.351"], id="then-newest-of-nearest-generation"),
        pytest.param(15, 1, ["14.355", "13.351", "13.341"], id="unknown-generation"),
    ],
)
def test_nearest_suggestions(generation: int, build: int, expected: list[str]) -> None:
    assert [r.version for r in INTERLEAVED.nearest(generation, build)] == expected


def test_duplicate_versions_are_a_bug() -> None:
    with pytest.raises(ValueError, match="once"):
        Catalog((Release(13, 341, Channel.STABLE), Release(13, 341, Channel.TESTING)))


def test_overlay_replaces_same_version_and_adds_new_ones() -> None:
    overlay = Catalog((Release(14, 355, Channel.STABLE), Release(14, 362, Channel.TESTING)))
    merged = INTERLEAVED.merged(overlay)
    assert merged.find(14, 355) == Release(14, 355, Channel.STABLE)
    assert merged.find(14, 362) == Release(14, 362, Channel.TESTING)
    assert len(merged) == len(INTERLEAVED) + 1


def test_yaml_round_trip_quotes_versions() -> None:
    text = INTERLEAVED.to_yaml()
    assert '- {version: "13.351", channel: stable, date: 2000-01-02, imageRevision: 2}' in text
    assert parse_catalog(text) == INTERLEAVED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", Catalog(), id="empty"),
        pytest.param(
            '- {version: "13.350", channel: stable}', Catalog((Release(13, 350, Channel.STABLE),)), id="min"
        ),
        pytest.param(
            '- {version: "12.343", channel: testing, date: "2000-01-02", imageRevision: 3}',
            Catalog((Release(12, 343, Channel.TESTING, datetime.date(2000, 1, 2), 3),)),
            id="quoted-date",
        ),
    ],
)
def test_parse_accepts(text: str, expected: Catalog) -> None:
    assert parse_catalog(text) == expected


OK = '- {version: "13.341", channel: stable}\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("[unclosed", "not valid YAML", id="yaml"),
        pytest.param("version: 13.341", "expected a list of releases", id="not-a-list"),
        pytest.param(OK + "- 13.348", "entry [1]: expected a mapping", id="entry-not-mapping"),
        pytest.param(
            OK + "- {version: 13.350, channel: stable}", "entry [1].version: 13.35 ", id="float-version"
        ),
        pytest.param(OK + '- {version: "13", channel: stable}', "entry [1].version", id="no-build"),
        pytest.param(OK + '- {version: "13.342"}', "entry [1].channel: None is not one of", id="no-channel"),
        pytest.param(
            OK + '- {version: "13.342", channel: beta}', "entry [1].channel: 'beta'", id="bad-channel"
        ),
        pytest.param(
            OK + '- {version: "13.342", channel: stable, date: 2000-13-01}', "entry [1].date", id="date"
        ),
        pytest.param(
            OK + '- {version: "13.342", channel: stable, date: 2000-01-02 10:00:00}',
            "entry [1].date",
            id="datetime",
        ),
        pytest.param(
            OK + '- {version: "13.342", channel: stable, date: "20000102"}', "YYYY-MM-DD", id="basic"
        ),
        pytest.param(
            OK + '- {version: "13.342", channel: stable, imageRevision: -1}', "imageRevision", id="rev"
        ),
        pytest.param(
            OK + '- {version: "13.342", channel: stable, imageRevision: true}', "imageRevision", id="bool"
        ),
        pytest.param(
            OK + '- {version: "13.342", channel: stable, notes: x}', "unknown field(s) notes", id="extra"
        ),
        pytest.param(OK + OK, "entry [1].version '13.341' repeats entry [0]", id="duplicate"),
    ],
)
@pytest.mark.parametrize("loader", [LOADER, PURE_LOADER], ids=["libyaml", "pure-python"])
def test_parse_rejects_naming_entry_and_field(text: str, expected: str, loader: type[Any]) -> None:
    with pytest.raises(UserError) as caught:
        parse_catalog(text, source="overlay.yaml", loader=loader)
    assert caught.value.message.startswith("overlay.yaml: ")
    assert expected in caught.value.message
    assert caught.value.reason == "InvalidCatalog"


KNOWN = Catalog(
    (Release(13, 351, Channel.STABLE, datetime.date(2000, 1, 2), 1), Release(14, 358, Channel.TESTING))
)


@pytest.mark.parametrize(
    ("tags", "expected", "ignored"),
    [
        pytest.param([], [("13.351", "stable", 1), ("14.358", "testing", 0)], [], id="nothing-new"),
        pytest.param(
            ["13.351.0", "14.358.2", "14.358.1"],
            [("13.351", "stable", 1), ("14.358", "testing", 2)],
            [],
            id="revisions-only-grow-channels-kept",
        ),
        pytest.param(
            ["12.343.0", "14.362.0", "14.362.1", "14", "14.362", "release", "latest"],
            [
                ("12.343", "stable", 0),
                ("13.351", "stable", 1),
                ("14.358", "testing", 0),
                ("14.362", "stable", 1),
            ],
            ["14", "14.362", "release", "latest"],
            id="new-builds-stable-moving-tags-ignored",
        ),
        pytest.param(
            [
                "13.351.0-alpine",
                "v13.351.0",
                "13.351.0.1",
                "\u0661\u0663.\u0663\u0665\u0661.\u0660",
                "13..0",
                "13",
                "13",
            ],
            [("13.351", "stable", 1), ("14.358", "testing", 0)],
            [
                "13.351.0-alpine",
                "v13.351.0",
                "13.351.0.1",
                "\u0661\u0663.\u0663\u0665\u0661.\u0660",
                "13..0",
                "13",
            ],
            id="malformed-ignored-once",
        ),
    ],
)
def test_refresh_catalog(tags: list[str], expected: list[tuple[str, str, int]], ignored: list[str]) -> None:
    refreshed, skipped = refresh_catalog(KNOWN, tags)
    assert [(r.version, r.channel.value, r.image_revision) for r in refreshed] == expected
    assert skipped == ignored
    assert refreshed.find(13, 351).date == datetime.date(2000, 1, 2)  # type: ignore[union-attr]


def test_refresh_records_new_builds_under_the_chosen_channel() -> None:
    refreshed, _ = refresh_catalog(KNOWN, ["14.362.0"], new_channel=Channel.TESTING)
    assert refreshed.find(14, 362) == Release(14, 362, Channel.TESTING)


def test_the_packaged_catalog_reads_the_same_with_libyaml_and_pure_python() -> None:
    """Every instance run loads the packaged catalog: with libyaml's parser (PyYAML's wheels bundle
    it), which must read exactly what the pure-Python parser reads, dates kept as strings."""
    assert yaml.__with_libyaml__ and issubclass(LOADER, yaml.CSafeLoader)
    text = importlib.resources.files("foundry_lib").joinpath("data", "releases.yaml").read_text("utf-8")
    fast = yaml.load(text, Loader=LOADER)
    pure = yaml.load(text, Loader=PURE_LOADER)
    assert fast == pure and len(fast) > 50
    assert all(isinstance(entry.get("date"), str | None) for entry in fast)
    catalog = parse_catalog(text, loader=PURE_LOADER)
    assert load_packaged_catalog() == catalog == parse_catalog(text, loader=LOADER)
