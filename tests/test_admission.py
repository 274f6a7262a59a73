"""Which instances a license admits under restrictions.maxInstances: the routed one first, then the
oldest; lowering the limit sends the newest away, never the routed one."""

from __future__ import annotations

from typing import Any

import pytest

from foundry_lib.admission import admitted, admitted_by
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request, parse_request


def _req(name: str, created: str) -> Request[Any]:
    return Request(name=name, namespace="ns", spec=None, creation_timestamp=created)


OLD, MID, NEW = (
    _req("old", "2026-01-01T00:00:00Z"),
    _req("mid", "2026-02-01T00:00:00Z"),
    _req("new", "2026-03-01T00:00:00Z"),
)
TWIN = _req("abc", "2026-02-01T00:00:00Z")  # created with "mid": the name breaks the tie


@pytest.mark.parametrize(
    ("limit", "routed", "expected", "reason"),
    [
        (None, None, {"old", "mid", "new"}, "no limit admits all"),
        (2, None, {"old", "mid"}, "the oldest are admitted"),
        (2, "new", {"new", "old"}, "the routed one always stays"),
        (0, None, set(), "a limit of zero admits none"),
        (1, "gone", {"old"}, "a routed name that is not an instance changes nothing"),
    ],
)
def test_admitted(limit: int | None, routed: str | None, expected: set[str], reason: str) -> None:
    assert admitted([NEW, OLD, MID], limit, routed) == expected, reason


def test_same_creation_time_is_ordered_by_name() -> None:
    assert admitted([MID, TWIN], 1) == {"abc"}


def test_admitted_by_reads_the_licenses_limit_and_routed_instance() -> None:
    obj = {
        "metadata": {"name": "guild", "namespace": "ns"},
        "spec": {
            "baseDomain": "vtt.example.com",
            "licenseSecretRef": {"name": "k", "key": "key"},
            "restrictions": {"maxInstances": 1},
        },
        "status": {"activeInstance": "new"},
    }
    license_req = parse_request(obj, FoundryLicenseSpec)
    assert admitted_by(license_req, [OLD, MID, NEW]) == {"new"}
