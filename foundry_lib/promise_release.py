"""What `make promises` stamps on every Promise: the release version and the Destination selector every
Promise schedules by (a tenant's routes, workloads and Secrets land on one cluster), and the check of a
selector a platform team passes as `--destination-selector`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from foundry_lib.errors import UserError

PROMISE_VERSION_LABEL = "kratix.io/promise-version"
# The label a platform team puts on the Destination where tenants' Secrets, routes and workloads live.
DEFAULT_DESTINATION_SELECTOR: Mapping[str, str] = {"foundry.platform/destination": "true"}


@dataclass(frozen=True)
class PromiseRelease:
    """What `make promises` stamps on every Promise: the package version (`0.1.0`, from the package
    metadata: one place) and the labels of the Destination every Promise schedules to. Without a
    version (the simulator), Promises carry no version label and require any version."""

    version: str | None = None
    destination_selector: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_DESTINATION_SELECTOR)
    )

    @property
    def promise_version(self) -> str | None:
        return f"v{self.version}" if self.version else None


_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_LABEL_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def parse_destination_selector(pairs: Sequence[str]) -> dict[str, str]:
    """`key=value` labels (as `--destination-selector` takes them, repeated or comma-separated) →
    matchLabels, checked as Kubernetes checks label keys and values, each problem named."""
    selector: dict[str, str] = {}
    for pair in (p for arg in pairs for p in arg.split(",")):
        key, sep, value = pair.partition("=")
        prefix, slash, name = key.rpartition("/")
        where = f"--destination-selector {pair!r}"
        if not sep:
            raise UserError(f"{where}: expected key=value, e.g. foundry.platform/destination=true")
        if (
            not name
            or len(name) > 63
            or not _LABEL_NAME.match(name)
            or (slash and (not prefix or len(prefix) > 253 or not _LABEL_PREFIX.match(prefix)))
        ):
            raise UserError(
                f"{where}: {key!r} is not a label key; allowed: an optional DNS subdomain prefix and '/', "
                "then 1-63 letters, digits, '-', '_' or '.', starting and ending alphanumeric"
            )
        if len(value) > 63 or not _LABEL_NAME.match(value):
            raise UserError(
                f"{where}: {value!r} is not a label value; allowed: at most 63 letters, digits, '-', '_' "
                "or '.', starting and ending alphanumeric"
            )
        selector[key] = value
    return selector
