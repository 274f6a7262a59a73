"""What the FoundryLicense configure decision reads: the license, its instances and the platform."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from foundry_lib.hostname_claims import LicenseRoutes
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.pools import LicenseRoot
from foundry_lib.settings import PlatformSettings


@dataclass(frozen=True)
class LicenseFacts:
    """What the license pipeline gathered: the license, its instances and the platform-wide routes."""

    license: Request[FoundryLicenseSpec]
    instances: Sequence[Request[FoundryInstanceSpec]]
    settings: PlatformSettings
    now: datetime
    deleting: Sequence[Request[FoundryInstanceSpec]] = ()  # instances being deleted (still present)
    others: Sequence[LicenseRoutes] = ()  # every other license platform-wide: the hostnames it routes
    roots: Sequence[LicenseRoot] = ()  # shared roots of the other licenses of this namespace
