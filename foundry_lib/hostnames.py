"""Which hostnames an instance may be served under (DESIGN §2 rule 9).

A hostname is a DNS name (≤ 253 characters, labels ≤ 63, not an IP address) under one of the
platform's allowed base domains (FOUNDRY_ALLOWED_BASE_DOMAINS; empty admits any). Which instance
holds a hostname platform-wide is decided by the license pipeline (`hostname_claims`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from foundry_lib.errors import UserError
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request

MAX_NAME = 253
MAX_LABEL = 63
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_NUMERIC = re.compile(r"[0-9]+", re.ASCII)


def hostname_problem(name: str) -> str | None:
    """Why `name` cannot be served, or None when it is a valid DNS name."""
    if not name:
        return "it is empty"
    if len(name) > MAX_NAME:
        return f"it is {len(name)} characters long (at most {MAX_NAME})"
    labels = name.split(".")
    for label in labels:
        if len(label) > MAX_LABEL:
            return f"label {label[:20]!r}… is {len(label)} characters long (at most {MAX_LABEL})"
        if not _LABEL.fullmatch(label):
            return (
                f"label {label!r} is not lower case letters, digits and '-' starting and ending "
                "with a letter or digit"
            )
    if _NUMERIC.fullmatch(labels[-1]):
        return "it is an IP address or ends in a numeric label; give a DNS name"
    return None


def parse_base_domains(text: str) -> tuple[str, ...]:
    """FOUNDRY_ALLOWED_BASE_DOMAINS: comma-separated DNS names (ValueError naming a bad one)."""
    domains = tuple(part.strip().lower().strip(".") for part in text.split(",") if part.strip())
    for domain in domains:
        problem = hostname_problem(domain)
        if problem is not None:
            raise ValueError(f"{domain!r} is not a domain: {problem}")
    return domains


def under(name: str, domain: str) -> bool:
    return name == domain or name.endswith("." + domain)


def check_hostname(name: str, allowed: Sequence[str], field: str) -> str:
    """`name` if it may be served; else a UserError naming `field`, the rule and what is allowed."""
    problem = hostname_problem(name)
    if problem is not None:
        raise UserError(
            f"{field}: hostname {name[:80]!r} cannot be served: {problem}",
            reason="InvalidHostname",
            field=field,
        )
    if allowed and not any(under(name, d) for d in allowed):
        raise UserError(
            f"{field}: hostname {name!r} is not under a domain this platform serves; allowed: "
            f"{', '.join(allowed)} (or a subdomain of one)",
            reason="HostnameNotAllowed",
            field=field,
        )
    return name


def hostname_of(instance: Request[FoundryInstanceSpec], license_spec: FoundryLicenseSpec) -> str:
    """The instance's own spec.hostname, else `<instance name>.<license baseDomain>`."""
    return instance.spec.hostname or f"{instance.name}.{license_spec.base_domain}"


def url_of(hostname: str, proxy_ssl: bool, proxy_port: int) -> str:
    """The URL players open: the port is shown only when it is not the scheme's default."""
    scheme = "https" if proxy_ssl else "http"
    default_port = 443 if proxy_ssl else 80
    return f"{scheme}://{hostname}" + ("" if proxy_port == default_port else f":{proxy_port}")
