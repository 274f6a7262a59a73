"""HTTPRoutes: the active rule's optional timeouts and the listener routes attach to, checked against
the real Gateway API HTTPRoute schema."""

from __future__ import annotations

from typing import Any

import pytest
from manifest_validation import validate_manifest

from foundry_lib.errors import UserError
from foundry_lib.manifests.routes import Gateway, StandbyService, render_route
from foundry_lib.settings import PlatformSettings

STANDBY = StandbyService("foundry-standby", "foundry-system", 8080)


def route(active: bool, env: dict[str, str]) -> dict[str, Any]:
    s = PlatformSettings.from_env(env)
    gateway = Gateway(s.gateway_name, s.gateway_namespace, s.gateway_section, s.route_request_timeout)
    return render_route(
        instance="alpha",
        namespace="tabletop",
        license_name="guild",
        hostname="alpha.vtt.example.com",
        active=active,
        gateway=gateway,
        standby=STANDBY,
    )


CASES = [
    # (id, platform env, active, timeouts on the rule, sectionName of the parent)
    ("off-by-default", {}, True, None, None),
    ("no-timeout", {"FOUNDRY_ROUTE_REQUEST_TIMEOUT": "0s"}, True, {"request": "0s"}, None),
    ("one-hour", {"FOUNDRY_ROUTE_REQUEST_TIMEOUT": "1h"}, True, {"request": "1h"}, None),
    ("standby-page-keeps-defaults", {"FOUNDRY_ROUTE_REQUEST_TIMEOUT": "0s"}, False, None, None),
    ("https-listener", {"FOUNDRY_GATEWAY_SECTION": "https"}, True, None, "https"),
    ("listener-name-with-dots", {"FOUNDRY_GATEWAY_SECTION": "vtt.https"}, False, None, "vtt.https"),
]


@pytest.mark.parametrize(
    ("env", "active", "timeouts", "section"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_timeouts_and_listener(env: dict[str, str], active: bool, timeouts: Any, section: str | None) -> None:
    obj = route(active, env)
    validate_manifest(obj)
    assert obj["spec"]["rules"][0].get("timeouts") == timeouts
    assert obj["spec"]["parentRefs"][0].get("sectionName") == section


@pytest.mark.parametrize("value", ["15", "1d", "-1s", "1.5s", "forever"])
def test_a_timeout_the_schema_would_reject_is_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(UserError) as refused:
        PlatformSettings.from_env({"FOUNDRY_ROUTE_REQUEST_TIMEOUT": value})
    assert "FOUNDRY_ROUTE_REQUEST_TIMEOUT" in refused.value.message
