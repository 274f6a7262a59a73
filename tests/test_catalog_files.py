"""Loading the packaged catalog and an overlay file (a mounted ConfigMap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundry_lib.adapters.catalog_files import load_catalog
from foundry_lib.catalog import Channel
from foundry_lib.errors import UserError

STABLE = {
    11: [*range(299, 303), *range(304, 310), 311, *range(313, 316)],
    12: [324, 325, *range(327, 332), 343],
    13: [341, 342, *range(344, 349), 350, 351],
    14: [359, 360, 361],
}
PRE_STABLE = {12: list(range(316, 324)), 13: list(range(332, 341)), 14: [349, *range(352, 359)]}


def test_packaged_catalog_holds_the_known_builds() -> None:
    catalog = load_catalog(None)
    stable = {g: [r.build for r in catalog.in_generation(g) if r.channel is Channel.STABLE] for g in STABLE}
    pre = {
        g: [r.build for r in catalog.in_generation(g) if r.channel is not Channel.STABLE] for g in PRE_STABLE
    }
    assert (stable, pre) == (STABLE, PRE_STABLE)
    assert all(r.date is None for r in catalog)  # no date is recorded that we do not know


def test_missing_overlay_is_fine(tmp_path: Path) -> None:
    assert load_catalog(str(tmp_path / "absent.yaml")) == load_catalog(None)


def test_overlay_replaces_and_adds(tmp_path: Path) -> None:
    overlay = tmp_path / "releases.yaml"
    overlay.write_text(
        '- {version: "14.358", channel: stable, date: 2000-01-02}\n- {version: "14.362", channel: testing}\n'
    )
    catalog = load_catalog(str(overlay))
    assert catalog.find(14, 358).channel is Channel.STABLE  # type: ignore[union-attr]
    assert catalog.find(14, 362).channel is Channel.TESTING  # type: ignore[union-attr]
    assert len(catalog) == len(load_catalog(None)) + 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("- {version: 14.360, channel: stable}\n", "entry [0].version", id="malformed-entry"),
        pytest.param(b"\xff\xfe", "cannot be read", id="not-utf8"),
    ],
)
def test_malformed_overlay_names_the_file(tmp_path: Path, content: str | bytes, expected: str) -> None:
    overlay = tmp_path / "overlay.yaml"
    if isinstance(content, bytes):
        overlay.write_bytes(content)
    else:
        overlay.write_text(content)
    with pytest.raises(UserError) as caught:
        load_catalog(str(overlay))
    assert f"catalog overlay {overlay}" in caught.value.message
    assert expected in caught.value.message
