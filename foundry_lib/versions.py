"""Foundry version selectors and the one version decision the instance pipeline makes each run.

Foundry migrates data forward on first launch and an older core cannot open it again, and a
generation upgrade disables modules. So the decision compares the selector in `spec.foundryVersion`
with the version observed in status and refuses to move backwards or across a generation unless the
spec asks for it. Grammar (DESIGN §6): `13.348` (exact build), `13.348.0` (exact build and image
revision), `13.x` (newest stable build of generation 13), `latest` (newest stable build).
Moving selectors resolve to stable builds only; a pre-stable build is used only when named exactly.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from foundry_lib.catalog import Catalog, Release
from foundry_lib.errors import UserError
from foundry_lib.images import runtime_of
from foundry_lib.models.common import AutoUpdate

DEFAULT_IMAGE_REPOSITORY = "ghcr.io/felddy/foundryvtt"
ALLOW_DOWNGRADE_ANNOTATION = "foundry.platform/allow-downgrade"
FIELD = "spec.foundryVersion"
ALLOWED_FIELD = "FoundryLicense spec.restrictions.allowedVersions"
SELECTOR_FORMS = (
    '"13.348" (exact build), "13.348.0" (exact build and image revision), '
    '"13.x" (newest stable build of generation 13) or "latest" (newest stable build)'
)

_NUMBER = r"([0-9]{1,6})"
_EXACT_RE = re.compile(rf"{_NUMBER}\.{_NUMBER}(?:\.{_NUMBER})?")
_GENERATION_RE = re.compile(rf"{_NUMBER}\.[xX]")


@dataclasses.dataclass(frozen=True)
class ExactSelector:
    """One named build, any channel; `revision` pins the image revision too."""

    generation: int
    build: int
    revision: int | None = None

    def __str__(self) -> str:
        suffix = "" if self.revision is None else f".{self.revision}"
        return f"{self.generation}.{self.build}{suffix}"

    def admits(self, release: Release) -> bool:
        """Image revisions are packaging, not Foundry versions, so they do not restrict admission."""
        return release.key == (self.generation, self.build)


@dataclasses.dataclass(frozen=True)
class GenerationSelector:
    generation: int

    def __str__(self) -> str:
        return f"{self.generation}.x"

    def admits(self, release: Release) -> bool:
        return release.is_stable and release.generation == self.generation


@dataclasses.dataclass(frozen=True)
class LatestSelector:
    def __str__(self) -> str:
        return "latest"

    def admits(self, release: Release) -> bool:
        return release.is_stable


Selector = ExactSelector | GenerationSelector | LatestSelector
MovingSelector = GenerationSelector | LatestSelector


def parse_selector(text: str, field: str = FIELD) -> Selector:
    """Parse a selector; anything else is a UserError naming `field` and the allowed forms."""
    value = text.strip()
    if value == "latest":
        return LatestSelector()
    if match := _GENERATION_RE.fullmatch(value):
        return GenerationSelector(int(match[1]))
    if match := _EXACT_RE.fullmatch(value):
        revision = None if match[3] is None else int(match[3])
        return ExactSelector(int(match[1]), int(match[2]), revision)
    shown = value if len(value) <= 40 else value[:40] + "…"
    raise UserError(f"{field}: {shown!r} is not a Foundry version; use {SELECTOR_FORMS}.", field=field)


@dataclasses.dataclass(frozen=True)
class VersionDecision:
    """What to run. `previous` is the observed version when this run changes it, else None.
    `image` runs `resolved`: its own image, or a newer rootless one installing it (FOUNDRY_VERSION)."""

    requested: str
    resolved: Release
    image: str
    previous: str | None
    changed: bool
    newer_available: Release | None


def decide_version(
    requested: str,
    catalog: Catalog,
    *,
    observed: str | None,
    auto_update: AutoUpdate,
    allowed: Sequence[str] = (),
    allow_downgrade: str | None = None,
    image_repository: str = DEFAULT_IMAGE_REPOSITORY,
) -> VersionDecision:
    """Resolve `requested` against the catalog, the observed version and the license's allow-list.

    Raises UserError (reason VersionDowngrade, VersionNotAllowed, UnknownVersion, InvalidRequest)
    with a message naming spec.foundryVersion, the running version and what to do.
    """
    running = _running_note(observed)
    try:
        selector = parse_selector(requested)
    except UserError as exc:
        raise UserError(f"{exc.message} {running}", reason=exc.reason, field=FIELD) from exc
    try:
        allow = tuple(parse_selector(text, f"{ALLOWED_FIELD}[{i}]") for i, text in enumerate(allowed))
    except UserError as exc:
        raise UserError(
            f"{FIELD} cannot be checked against the license: {exc.message} Ask the license owner to fix it. "
            f"{running}",
            reason=exc.reason,
            field=exc.field,
        ) from exc
    current = _parse_observed(observed)
    resolved = _resolve(selector, catalog, current, auto_update, allow, running)

    if current is not None and resolved.key < current and not _override_matches(allow_downgrade, resolved):
        raise _downgrade(requested, resolved, current, catalog)
    if allow and not _admitted(allow, resolved):
        raise _not_allowed(requested, resolved.version, allowed, running)

    runtime = runtime_of(resolved, catalog)
    if runtime.host is None:
        raise _cannot_run(requested, resolved, catalog, runtime.reason, running)
    host = resolved if runtime.host.key == resolved.key else runtime.host

    better = [
        r for r in catalog.stable() if r.key > resolved.key and selector.admits(r) and _admitted(allow, r)
    ]
    changed = current is not None and resolved.key != current
    return VersionDecision(
        requested=requested.strip(),
        resolved=resolved,
        image=f"{image_repository}:{host.image_tag}",
        previous=_version(current) if changed and current is not None else None,
        changed=changed,
        newer_available=better[-1] if better else None,
    )


def _resolve(
    selector: Selector,
    catalog: Catalog,
    current: tuple[int, int] | None,
    auto_update: AutoUpdate,
    allow: tuple[Selector, ...],
    running: str,
) -> Release:
    if isinstance(selector, ExactSelector):
        return _resolve_exact(selector, catalog, running)
    effective: MovingSelector = selector
    if isinstance(selector, LatestSelector) and current is not None and auto_update != AutoUpdate.GENERATION:
        effective = GenerationSelector(current[0])  # `latest` never jumps a generation on its own
    known = catalog.find(*current) if current is not None else None
    if auto_update == AutoUpdate.NONE and known and effective.admits(known) and _admitted(allow, known):
        return known
    candidates = [r for r in catalog.stable() if effective.admits(r) and _admitted(allow, r)]
    newest = candidates[-1] if candidates else None
    if known is not None and _keeps_running(effective, newest, known):
        return known  # never move backwards on our own (e.g. running a build newer than any stable)
    if newest is not None:
        return newest
    if allow and any(effective.admits(r) for r in catalog):
        raise _not_allowed(str(selector), f"any stable {_scope(effective)}", [str(s) for s in allow], running)
    stable_generations = ", ".join(str(g) for g in sorted({r.generation for r in catalog.stable()})) or "none"
    raise UserError(
        f"{FIELD} {str(selector)!r}: the release catalog has no stable {_scope(effective)} (stable "
        f"generations: {stable_generations}). Name an exact build, or add the release to the catalog "
        f"overlay. {running}",
        reason="UnknownVersion",
        field=FIELD,
    )


def _resolve_exact(selector: ExactSelector, catalog: Catalog, running: str) -> Release:
    release = catalog.find(selector.generation, selector.build)
    if release is None:
        nearest = ", ".join(
            f"{r.version} ({r.channel})" for r in catalog.nearest(selector.generation, selector.build)
        )
        raise UserError(
            f"{FIELD} {str(selector)!r} is not a known Foundry release; nearest known: {nearest or 'none'}. "
            "Use one of those, a moving selector such as 13.x or latest, or add the build to the catalog "
            f"overlay if it is newer than this catalog. {running}",
            reason="UnknownVersion",
            field=FIELD,
        )
    if selector.revision is None:
        return release
    if selector.revision > release.image_revision:
        raise UserError(
            f"{FIELD} {str(selector)!r}: image revision {selector.revision} of {release.version} is not "
            f"known; the newest known image is {release.image_tag}. Use {release.version} (newest image) or "
            f"refresh the catalog. {running}",
            reason="UnknownVersion",
            field=FIELD,
        )
    return dataclasses.replace(release, image_revision=selector.revision)


def _keeps_running(effective: MovingSelector, newest: Release | None, known: Release) -> bool:
    """True when the selector's pick would be older than the running build of the same generation."""
    if isinstance(effective, GenerationSelector) and effective.generation != known.generation:
        return False
    if newest is None:
        return isinstance(effective, GenerationSelector)
    return newest.generation == known.generation and newest.build < known.build


def _admitted(allow: tuple[Selector, ...], release: Release) -> bool:
    return not allow or any(s.admits(release) for s in allow)


def _override_matches(allow_downgrade: str | None, resolved: Release) -> bool:
    """The annotation may name the version with or without image revision; anything else is no override."""
    match = _EXACT_RE.fullmatch((allow_downgrade or "").strip())
    return match is not None and (int(match[1]), int(match[2])) == resolved.key


def _parse_observed(observed: str | None) -> tuple[int, int] | None:
    if observed is None:
        return None
    match = _EXACT_RE.fullmatch(observed.strip())
    if match is None:
        raise UserError(
            f"{FIELD}: the running version recorded in status.foundryVersion.resolved ({observed[:40]!r}) is "
            "not a Foundry version, so a downgrade cannot be ruled out; correct or clear that status field.",
            reason="InvalidObservedVersion",
            field="status.foundryVersion.resolved",
        )
    return (int(match[1]), int(match[2]))


def _downgrade(requested: str, resolved: Release, current: tuple[int, int], catalog: Catalog) -> UserError:
    running = _version(current)
    unknown = (
        ""
        if catalog.find(*current)
        else f" ({running} is not in the release catalog: add it to the catalog overlay to keep running it.)"
    )
    return UserError(
        f"{FIELD} {requested.strip()!r} resolves to {resolved.version}, older than the running {running}; "
        f"Foundry migrates data forward and an older core cannot open it. Ask for {running} or newer, or, "
        f"to restore a snapshot taken under {resolved.version}, set the annotation "
        f'{ALLOW_DOWNGRADE_ANNOTATION}: "{resolved.version}".{unknown}',
        reason="VersionDowngrade",
        field=FIELD,
    )


def _cannot_run(requested: str, resolved: Release, catalog: Catalog, why: str, running: str) -> UserError:
    runnable = [r for r in catalog.stable() if runtime_of(r, catalog).runs]
    oldest = min((r.generation for r in runnable), default=None)
    hint = f"Ask for {oldest}.x or newer" if oldest is not None else "Ask for a newer release"
    return UserError(
        f"{FIELD} {requested.strip()!r} resolves to Foundry {resolved.version}, which cannot run on this "
        f"platform: {why}. {hint} (Foundry migrates worlds forward on first start). {running}",
        reason="UnsupportedVersion",
        field=FIELD,
    )


def _not_allowed(requested: str, what: str, allowed: Sequence[str], running: str) -> UserError:
    return UserError(
        f"{FIELD} {requested.strip()!r} resolves to {what}, which the license does not allow "
        f"(allowedVersions: {', '.join(allowed)}). Ask for a version the license allows, or ask the "
        f"license owner to allow it. {running}",
        reason="VersionNotAllowed",
        field=FIELD,
    )


def _scope(selector: MovingSelector) -> str:
    return (
        f"build of generation {selector.generation}" if isinstance(selector, GenerationSelector) else "build"
    )


def _running_note(observed: str | None) -> str:
    return f"Running now: {observed.strip()[:40]}." if observed else "No version is running yet."


def _version(key: tuple[int, int]) -> str:
    return f"{key[0]}.{key[1]}"
