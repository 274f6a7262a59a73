"""An instance's hostname and the URL players open (allowed-domain rules: test_isolation_rules)."""

from __future__ import annotations

import pytest

from foundry_lib.hostnames import hostname_of, url_of
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import parse_request

LICENSE = FoundryLicenseSpec.model_validate(
    {"baseDomain": "vtt.example.com", "licenseSecretRef": {"name": "k", "key": "key"}}
)


@pytest.mark.parametrize(
    ("hostname", "expected", "reason"),
    [
        (None, "alpha.vtt.example.com", "by default: the instance name under the license's base domain"),
        ("play.guild.example.org", "play.guild.example.org", "the instance's own spec.hostname wins"),
    ],
)
def test_hostname_of(hostname: str | None, expected: str, reason: str) -> None:
    spec = {"licenseRef": {"name": "guild"}} | ({"hostname": hostname} if hostname else {})
    inst = parse_request(
        {"metadata": {"name": "alpha", "namespace": "ns"}, "spec": spec}, FoundryInstanceSpec
    )
    assert hostname_of(inst, LICENSE) == expected, reason


@pytest.mark.parametrize(
    ("ssl", "port", "expected"),
    [
        (True, 443, "https://h.example.com"),
        (False, 80, "http://h.example.com"),
        (True, 8443, "https://h.example.com:8443"),
        (False, 443, "http://h.example.com:443"),
    ],
)
def test_url_of_shows_the_port_only_when_it_is_not_the_schemes_default(
    ssl: bool, port: int, expected: str
) -> None:
    assert url_of("h.example.com", ssl, port) == expected
