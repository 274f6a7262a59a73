"""Every workflow by its console script: what Kratix runs, and what the simulator runs in-process."""

from __future__ import annotations

from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, FOUNDRY_LICENSE, Kind
from pipelines import (
    activation_configure,
    activation_delete,
    instance_configure,
    instance_delete,
    license_configure,
    license_delete,
)
from pipelines.runtime import Decide

WORKFLOWS: dict[str, tuple[Decide, Kind]] = {
    "foundry-license-configure": (license_configure.decide, FOUNDRY_LICENSE),
    "foundry-license-delete": (license_delete.decide, FOUNDRY_LICENSE),
    "foundry-instance-configure": (instance_configure.decide, FOUNDRY_INSTANCE),
    "foundry-instance-delete": (instance_delete.decide, FOUNDRY_INSTANCE),
    "foundry-activation-configure": (activation_configure.decide, FOUNDRY_ACTIVATION_REQUEST),
    "foundry-activation-delete": (activation_delete.decide, FOUNDRY_ACTIVATION_REQUEST),
}
