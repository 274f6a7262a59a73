"""Which image runs each release: its own when rootless, else a newer rootless one whose Node.js it
supports (nearest generation), else none, with the reason."""

from __future__ import annotations

import pytest

from foundry_lib.adapters.catalog_files import load_packaged_catalog
from foundry_lib.catalog import parse_catalog
from foundry_lib.images import runtime_of

PACKAGED = load_packaged_catalog()
SMALL = parse_catalog("""
- {version: "11.315", channel: stable}
- {version: "12.343", channel: stable}
- {version: "13.332", channel: testing}
- {version: "13.333", channel: testing}
- {version: "13.348", channel: stable}
- {version: "13.350", channel: testing}
- {version: "14.359", channel: stable}
- {version: "15.400", channel: stable}
""")

CASES = [
    # (id, catalog, version, host version or None)
    ("rootless-runs-on-its-own", SMALL, "13.348", "13.348"),
    ("pre-stable-rootless-runs-on-its-own", SMALL, "13.333", "13.333"),
    ("13.332-needs-root-nearest-generation", SMALL, "13.332", "13.348"),
    ("12-on-newest-stable-13", SMALL, "12.343", "13.348"),
    ("11-node-too-new-everywhere", SMALL, "11.315", None),
    ("unknown-generation-own-image", SMALL, "15.400", "15.400"),
    ("packaged-12-on-13.351", PACKAGED, "12.343", "13.351"),
    ("packaged-13.332-on-13.351", PACKAGED, "13.332", "13.351"),
    ("packaged-14-own", PACKAGED, "14.361", "14.361"),
]


@pytest.mark.parametrize(("catalog", "version", "host"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_runtime_of(catalog, version: str, host: str | None) -> None:
    release = catalog.find(*map(int, version.split(".")))
    runtime = runtime_of(release, catalog)
    assert (runtime.host.version if runtime.host else None) == host
    assert runtime.runs is (host is not None)
    assert bool(runtime.reason) is (host is None)


def test_no_rootless_host_without_a_stable_rootless_release() -> None:
    catalog = parse_catalog('- {version: "12.343", channel: stable}\n- {version: "13.340", channel: testing}')
    runtime = runtime_of(catalog.find(12, 343), catalog)
    assert runtime.host is None and "needs root" in runtime.reason


@pytest.mark.parametrize("release", list(PACKAGED), ids=lambda r: r.version)
def test_every_packaged_release_from_12_on_runs(release) -> None:
    assert runtime_of(release, PACKAGED).runs is (release.generation >= 12)
