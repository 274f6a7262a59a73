"""Which felddy/foundryvtt image runs a Foundry release as uid 1000 without capabilities.

felddy images before 13.333 (all of 11 and 12, and 13.332) start as root: the entrypoint chowns
/data and drops to the foundry user with `su-exec`, which fails without root. From 13.333 the
images run as the `node` user (uid 1000) and install, at start, whatever `FOUNDRY_VERSION` names;
felddy advises running an older Foundry on a newer image that way. That works only when the host
image's Node.js is one the older Foundry supports, so a release runs on its own image when that
image is rootless, else on the newest stable rootless image whose Node.js it supports (nearest
generation first), else not at all: `runtime_of` says which, or why not, with no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from foundry_lib.catalog import Catalog, Release

ROOTLESS_SINCE = (13, 333)

# Node.js major version of felddy's images from a build on (NODE_IMAGE_VERSION in their Dockerfile:
# 12.331 node:18-alpine, 13.332 node:20-bookworm-slim, 13.333-13.351 node:22-bookworm-slim,
# generation 14 node:24-trixie-slim).
IMAGE_NODE: tuple[tuple[tuple[int, int], int], ...] = (
    ((0, 0), 18),
    ((13, 332), 20),
    ((13, 333), 22),
    ((14, 0), 24),
)

# Node.js majors each Foundry generation is known to run on (Foundry's minimum to the newest tested).
# A generation missing here runs only on its own image.
GENERATION_NODE: dict[int, tuple[int, int]] = {
    11: (16, 20),
    12: (18, 22),
    13: (20, 24),
    14: (22, 24),
}


def node_of(release: Release) -> int:
    """The Node.js major of the image published for `release`."""
    return [node for since, node in IMAGE_NODE if release.key >= since][-1]


def rootless(release: Release) -> bool:
    return release.key >= ROOTLESS_SINCE


@dataclass(frozen=True)
class Runtime:
    """`host` is the release whose image runs `release` (itself when its own image is rootless)."""

    release: Release
    host: Release | None
    reason: str = ""

    @property
    def runs(self) -> bool:
        return self.host is not None


def runtime_of(release: Release, catalog: Catalog) -> Runtime:
    if rootless(release):
        return Runtime(release, release)
    supported = GENERATION_NODE.get(release.generation)
    if supported is None:
        return Runtime(
            release,
            None,
            f"its image needs root and the Node.js versions Foundry {release.generation} supports are not "
            "recorded, so no rootless image can be chosen for it",
        )
    low, high = supported
    rootless_stable = [r for r in catalog.stable() if rootless(r)]
    hosts = [r for r in rootless_stable if r.generation >= release.generation and low <= node_of(r) <= high]
    if not hosts:
        shipped = sorted({node_of(r) for r in rootless_stable})
        return Runtime(
            release,
            None,
            f"its image needs root (felddy images before {ROOTLESS_SINCE[0]}.{ROOTLESS_SINCE[1]} start as "
            f"root) and Foundry {release.generation} runs on Node.js {low} to {high}, while the rootless "
            f"images ship Node.js {', '.join(map(str, shipped)) or 'none'}",
        )
    nearest = min(r.generation for r in hosts)
    return Runtime(release, [r for r in hosts if r.generation == nearest][-1])
