"""Kubernetes name rules and the deterministic names of every object we render.

Instance and license names are DNS-1123 labels (≤ 63). Objects derived from them add a prefix or
suffix; when that would pass 63 characters the base is shortened and a stable hash keeps it unique.
Every name is injective over its inputs: a name built from one free input (an instance name) adds
fixed words without '-'; a name built from two free inputs (namespace and name) adds a hash of the
exact pair (tests/test_names.py checks this property for every function here).
"""

from __future__ import annotations

import hashlib
import re

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_LABEL_PATTERN = DNS1123_LABEL.pattern
MAX_LABEL = 63
_HASH_LEN = 6


def is_dns1123_label(text: str) -> bool:
    return len(text) <= MAX_LABEL and DNS1123_LABEL.fullmatch(text) is not None


def dns1123_label_problem(text: str) -> str | None:
    """Why `text` is not a DNS-1123 label, or None when it is one."""
    if not text:
        return "must not be empty"
    if len(text) > MAX_LABEL:
        return f"must be at most {MAX_LABEL} characters (got {len(text)})"
    if DNS1123_LABEL.fullmatch(text) is None:
        return "must consist of lower case letters, digits and '-', and start and end with a letter or digit"
    return None


def bounded(*parts: str, limit: int = MAX_LABEL) -> str:
    """Join parts with '-' into a name of at most `limit` characters, stable and unique.

    Joins shorter than `limit` are returned as they are; the others keep a readable prefix and end in
    a hash of the full join, exactly `limit` long. So a plain name can never equal a hashed one, and
    two long inputs never collide on their common prefix.
    """
    joined = "-".join(p for p in parts if p)
    if len(joined) < limit:
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:_HASH_LEN]
    head = joined[: limit - _HASH_LEN - 1].rstrip("-")
    return f"{head}-{digest}"


def workload_name(instance: str) -> str:
    """Deployment, Service and ServiceAccount of an instance (starts with a letter: DNS-1035 safe)."""
    return bounded("foundry", instance)


def volume_claim_name(instance: str, volume: str) -> str:
    return bounded("foundry", instance, volume)


def _pair(first: str, second: str) -> str:
    """A hash of the exact pair: joining with '-' alone would make `a-b`/`c` and `a`/`b-c` one name
    ('/' never occurs in a label, so the hashed text is unambiguous)."""
    return hashlib.sha256(f"{first}/{second}".encode()).hexdigest()[:_HASH_LEN]


def persistent_volume_name(namespace: str, instance: str, volume: str) -> str:
    """PersistentVolumes are cluster-scoped: the namespace is part of the name, with the pair's hash."""
    return bounded("foundry", namespace, instance, volume, _pair(namespace, instance))


def reference_grant_name(namespace: str, license_name: str) -> str:
    """One per license, all in the standby page's namespace: tenants must not be able to share one."""
    return bounded("foundry-standby", namespace, license_name, _pair(namespace, license_name))


def admin_secret_name(instance: str) -> str:
    return bounded("foundry", instance, "admin")


def route_name(instance: str) -> str:
    return bounded("foundry", instance)
