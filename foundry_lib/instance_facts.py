"""What the FoundryInstance configure decision reads, and what its checks decided (DESIGN §2, §4).

`InstanceFacts` is gathered by the pipeline; `InstanceDecision` is what `instance_plan` decided from
them before anything is rendered: the render, status and effects steps read only these two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from foundry_lib.catalog import Catalog
from foundry_lib.effective import EffectiveSpec
from foundry_lib.instance_volumes import Neighbourhood
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.pools import LicenseRoot
from foundry_lib.running import Peer
from foundry_lib.settings import PlatformSettings
from foundry_lib.versions import VersionDecision
from foundry_lib.volume_places import StorageContext
from foundry_lib.volume_plan import Step, VolumePlan
from foundry_lib.volumes import Script, VolumeKind


@dataclass(frozen=True)
class InstanceFacts:
    """What the instance pipeline gathered: the request, its license and siblings, the platform."""

    instance: Request[FoundryInstanceSpec]
    license: Request[FoundryLicenseSpec] | None
    siblings: Sequence[Request[FoundryInstanceSpec]]
    settings: PlatformSettings
    catalog: Catalog
    scripts: Mapping[Script, str]
    now: datetime
    peers: Sequence[Peer] = ()  # every instance of the namespace, valid or not, with its raw status
    license_roots: Sequence[LicenseRoot] = ()  # shared roots of the licenses of this namespace


@dataclass(frozen=True)
class InstanceDecision:
    """Everything decided for one run: render, status and effects are read from here."""

    license: Request[FoundryLicenseSpec]
    effective: EffectiveSpec
    hostname: str
    hood: Neighbourhood
    ctx: StorageContext
    plans: Sequence[VolumePlan]
    owner_of: Mapping[VolumeKind, bool]  # for each pool this instance mounts: whether it owns it
    version: VersionDecision
    snapshot_steps: Sequence[Step]
    snapshot: Mapping[str, Any] | None  # status.foundryVersion.snapshot, None when there is none
    run: bool  # whether the Deployment runs (one replica) or is scaled to zero
    stopped_why: str | None  # why an instance over the license's limit is stopped
