"""The catalog of known Foundry VTT releases, and how to learn new ones from image tags.

Foundry publishes no machine-readable release list, so we ship one (`data/releases.yaml`), let a
platform team extend it with an overlay, and refresh it from the image registry's tags. Build
numbers are global and interleave across generations (12.343 came after 13.341), so releases are
ordered by (generation, build) and a generation is never inferred from a build number.
This module is pure: it parses and renders text; reading files is `adapters.catalog_files`.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Any

import yaml

from foundry_lib.errors import UserError

_NUMBER = r"([0-9]{1,6})"
_VERSION_RE = re.compile(rf"{_NUMBER}\.{_NUMBER}")
_IMAGE_TAG_RE = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}")
_ENTRY_KEYS = ("version", "channel", "date", "imageRevision")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_HEADER = "# Foundry VTT releases: <generation>.<build>, channel, release date, newest image revision.\n"


def _without_timestamps(base: type[Any]) -> type[Any]:
    """A safe loader that keeps `2000-13-01` a string, so a bad date is reported with its entry and
    field. Only the resolver table changes: the parser (pure Python or libyaml) stays `base`'s."""
    kept = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return type(f"Catalog{base.__name__}", (base,), {"yaml_implicit_resolvers": kept})


# libyaml's parser when PyYAML was built with it (the image's wheel is): it reads the packaged
# catalog several times faster than the pure-Python one, which is every instance run's cost.
PURE_LOADER: type[Any] = _without_timestamps(yaml.SafeLoader)
LOADER: type[Any] = _without_timestamps(yaml.CSafeLoader) if yaml.__with_libyaml__ else PURE_LOADER


class Channel(StrEnum):
    """Foundry release channels, from least to most mature."""

    PROTOTYPE = "prototype"
    DEVELOPMENT = "development"
    TESTING = "testing"
    STABLE = "stable"


@dataclasses.dataclass(frozen=True)
class Release:
    """One Foundry build; `image_revision` is the newest known `X.Y.Z` image revision of it."""

    generation: int
    build: int
    channel: Channel
    date: datetime.date | None = None
    image_revision: int = 0

    @property
    def version(self) -> str:
        return f"{self.generation}.{self.build}"

    @property
    def image_tag(self) -> str:
        return f"{self.version}.{self.image_revision}"

    @property
    def key(self) -> tuple[int, int]:
        """Sort key: newer releases compare greater (generation first, then build)."""
        return (self.generation, self.build)

    @property
    def is_stable(self) -> bool:
        return self.channel is Channel.STABLE


@dataclasses.dataclass(frozen=True)
class Catalog:
    """Releases sorted oldest to newest, unique by version."""

    releases: tuple[Release, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.releases, key=lambda r: r.key))
        keys = [r.key for r in ordered]
        if len(set(keys)) != len(keys):
            raise ValueError("a catalog holds each version once")
        object.__setattr__(self, "releases", ordered)

    def __iter__(self) -> Iterator[Release]:
        return iter(self.releases)

    def __len__(self) -> int:
        return len(self.releases)

    def find(self, generation: int, build: int) -> Release | None:
        return next((r for r in self.releases if r.key == (generation, build)), None)

    def stable(self) -> tuple[Release, ...]:
        return tuple(r for r in self.releases if r.is_stable)

    def in_generation(self, generation: int) -> tuple[Release, ...]:
        return tuple(r for r in self.releases if r.generation == generation)

    def generations(self) -> tuple[int, ...]:
        return tuple(sorted({r.generation for r in self.releases}))

    def newest_stable(self, generation: int | None = None) -> Release | None:
        """The newest stable release, overall or within one generation."""
        candidates = [r for r in self.stable() if generation is None or r.generation == generation]
        return candidates[-1] if candidates else None

    def nearest(self, generation: int, build: int, n: int = 3) -> tuple[Release, ...]:
        """Suggestions for an unknown version: the same generation by build distance, then the newest
        releases of the nearest generations (builds of other generations say nothing about closeness)."""

        def distance(r: Release) -> tuple[int, int, int]:
            if r.generation == generation:
                return (0, abs(r.build - build), r.build)
            return (abs(r.generation - generation), -r.build, -r.generation)

        return tuple(sorted(self.releases, key=distance)[:n])

    def merged(self, overlay: Catalog) -> Catalog:
        """Overlay entries replace entries of the same version; new versions are added."""
        replaced = {r.key for r in overlay.releases}
        kept = [r for r in self.releases if r.key not in replaced]
        return Catalog((*kept, *overlay.releases))

    def to_yaml(self) -> str:
        """One flow mapping per line, oldest first, so diffs of a refresh read one build per line."""
        lines = [_HEADER]
        for r in self.releases:
            date = r.date.isoformat() if r.date else "null"
            lines.append(
                f'- {{version: "{r.version}", channel: {r.channel.value}, date: {date}, '
                f"imageRevision: {r.image_revision}}}\n"
            )
        return "".join(lines)


def parse_version(text: str) -> tuple[int, int] | None:
    """`13.348` → (13, 348); anything else → None."""
    match = _VERSION_RE.fullmatch(text)
    return (int(match[1]), int(match[2])) if match else None


def parse_catalog(text: str, *, source: str = "release catalog", loader: type[Any] = LOADER) -> Catalog:
    """Parse catalog YAML (a list of entries, or empty). Errors name the source, entry index and field.
    `loader`: `LOADER` (libyaml when available) or `PURE_LOADER`; both read the same data."""
    try:
        document = yaml.load(text, Loader=loader)  # noqa: S506 - safe loaders only
    except (yaml.YAMLError, ValueError) as exc:
        raise UserError(f"{source}: not valid YAML: {exc}", reason="InvalidCatalog") from exc
    if document is None:
        return Catalog()
    if not isinstance(document, list):
        raise UserError(
            f"{source}: expected a list of releases like "
            '`- {version: "13.348", channel: stable, date: null, imageRevision: 0}`',
            reason="InvalidCatalog",
        )
    releases: list[Release] = []
    seen: dict[tuple[int, int], int] = {}
    for index, entry in enumerate(document):
        release = _parse_entry(entry, f"{source}: entry [{index}]")
        if release.key in seen:
            raise UserError(
                f"{source}: entry [{index}].version {release.version!r} repeats entry [{seen[release.key]}]; "
                "each version may appear once",
                reason="InvalidCatalog",
            )
        seen[release.key] = index
        releases.append(release)
    return Catalog(tuple(releases))


def _parse_entry(entry: Any, where: str) -> Release:
    if not isinstance(entry, dict):
        raise UserError(
            f"{where}: expected a mapping with keys {', '.join(_ENTRY_KEYS)}", reason="InvalidCatalog"
        )
    unknown = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
    if unknown:
        raise UserError(
            f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(_ENTRY_KEYS)}",
            reason="InvalidCatalog",
        )
    version = entry.get("version")
    parsed = parse_version(version) if isinstance(version, str) else None
    if parsed is None:
        raise UserError(
            f'{where}.version: {version!r} is not a quoted "<generation>.<build>" string such as "13.348" '
            "(unquoted, YAML reads 13.350 as the number 13.35)",
            reason="InvalidCatalog",
        )
    channel = entry.get("channel")
    if channel not in {c.value for c in Channel}:
        raise UserError(
            f"{where}.channel: {channel!r} is not one of {', '.join(c.value for c in Channel)}",
            reason="InvalidCatalog",
        )
    revision = entry.get("imageRevision", 0)
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise UserError(f"{where}.imageRevision: {revision!r} is not an integer ≥ 0", reason="InvalidCatalog")
    return Release(parsed[0], parsed[1], Channel(channel), _parse_date(entry.get("date"), where), revision)


def _parse_date(value: Any, where: str) -> datetime.date | None:
    if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise UserError(f"{where}.date: {value!r} is not a date YYYY-MM-DD or null", reason="InvalidCatalog")


def refresh_catalog(
    catalog: Catalog, tags: Iterable[str], *, new_channel: Channel = Channel.STABLE
) -> tuple[Catalog, list[str]]:
    """Learn builds from `X.Y.Z` image tags; return the new catalog and the tags that were ignored.

    Only full `X.Y.Z` tags name a build (Z is the image revision; the highest one wins). The moving
    tags `X.Y`, `X`, `release`, `latest` and anything malformed are ignored and returned, in order.
    Known entries keep their channel and date; only their image revision can grow.
    Tags cannot tell a channel. We decided that a build first seen in the registry is `stable`
    (`new_channel`): felddy/foundryvtt builds `X.Y.Z` images for releases, and a mislabelled build is
    corrected by an overlay entry, which replaces the refreshed one. Dates stay unknown (null).
    """
    revisions: dict[tuple[int, int], int] = {}
    ignored: list[str] = []
    for tag in tags:
        match = _IMAGE_TAG_RE.fullmatch(tag)
        if match is None:
            if tag not in ignored:
                ignored.append(tag)
            continue
        key = (int(match[1]), int(match[2]))
        revisions[key] = max(revisions.get(key, 0), int(match[3]))
    updated: list[Release] = []
    for release in catalog:
        seen = revisions.pop(release.key, None)
        if seen is not None and seen > release.image_revision:
            release = dataclasses.replace(release, image_revision=seen)
        updated.append(release)
    updated.extend(Release(g, b, new_channel, None, rev) for (g, b), rev in revisions.items())
    return Catalog(tuple(updated)), ignored
