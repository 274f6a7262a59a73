"""A server needs a release source (the image contains no Foundry): the license's account, the
platform's release cache, or both; neither is refused with what to configure."""

from __future__ import annotations

import pytest

from foundry_lib.errors import UserError
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import parse_request
from foundry_lib.release_source import release_source, require_release_source
from foundry_lib.settings import PlatformSettings

CASES = [
    # (id, license credentials Secret, platform cache claim, status value, from)
    ("account", "account", None, "account in Secret account", "license"),
    ("cache", None, "release-cache", "release cache release-cache", "platform"),
    (
        "both",
        "account",
        "release-cache",
        "account in Secret account (release cache release-cache)",
        "license",
    ),
]


def _license(credentials: str | None):
    spec = {"licenseSecretRef": {"name": "lic", "key": "k"}, "baseDomain": "vtt.example.com"}
    if credentials:
        spec["credentialsSecretRef"] = {"name": credentials}
    return parse_request(
        {"metadata": {"name": "guild", "namespace": "tabletop"}, "spec": spec}, FoundryLicenseSpec
    )


def _settings(cache: str | None) -> PlatformSettings:
    return PlatformSettings.from_env({"FOUNDRY_RELEASE_CACHE_CLAIM": cache} if cache else {})


@pytest.mark.parametrize(
    ("credentials", "cache", "value", "origin"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_configured_source_is_accepted_and_shown(credentials, cache, value, origin) -> None:
    lic, settings = _license(credentials), _settings(cache)
    require_release_source(lic, settings)
    assert release_source(lic.spec, settings) == {"value": value, "from": origin}


def test_no_source_is_refused_saying_what_to_configure() -> None:
    with pytest.raises(UserError) as refused:
        require_release_source(_license(None), _settings(None))
    assert refused.value.reason == "NoReleaseSource"
    for hint in (
        "spec.credentialsSecretRef",
        "FoundryLicense 'guild'",
        "username and password",
        "FOUNDRY_RELEASE_CACHE_CLAIM",
    ):
        assert hint in refused.value.message
