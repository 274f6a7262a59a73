"""Platform settings from the Promise pipelines' env: defaults, FOUNDRY_* overrides, clear refusals."""

from __future__ import annotations

import pytest

from foundry_lib.errors import UserError
from foundry_lib.models.common import StorageBackend
from foundry_lib.settings import PlatformSettings, env_key
from services.commands.settings import CommandSettings

DEFAULTS = PlatformSettings()


def test_defaults():
    settings = PlatformSettings.from_env({})
    assert settings == DEFAULTS
    assert settings.image_repository == "ghcr.io/felddy/foundryvtt"
    assert settings.storage_backend is StorageBackend.PVC
    assert (settings.telemetry, settings.pvc_retention) == (False, "retain")
    assert (settings.nfs_server, settings.storage_class, settings.gateway_section) == (None, None, None)


OVERRIDES = [
    ("FOUNDRY_IMAGE_REPOSITORY", "registry.example.com/foundry", "image_repository", None),
    ("FOUNDRY_IMAGE_PULL_POLICY", "Always", "image_pull_policy", None),
    ("FOUNDRY_TELEMETRY", "true", "telemetry", True),
    ("FOUNDRY_CSI_CLONE", "1", "csi_clone", True),
    ("FOUNDRY_STORAGE_BACKEND", "nfs", "storage_backend", StorageBackend.NFS),
    ("FOUNDRY_STORAGE_CLASS", "fast-ssd", "storage_class", None),
    ("FOUNDRY_NFS_SERVER", "nas.example.internal", "nfs_server", None),
    ("FOUNDRY_NFS_INSTANCE_ROOT", "/volume1/foundry/instances", "nfs_instance_root", None),
    ("FOUNDRY_WORLDS_VOLUME_SIZE", "50Gi", "worlds_volume_size", None),
    ("FOUNDRY_MEMORY_LIMIT_FACTOR", "3", "memory_limit_factor", 3),
    ("FOUNDRY_GATEWAY_SECTION", "https", "gateway_section", None),
    ("FOUNDRY_ROUTE_REQUEST_TIMEOUT", "0s", "route_request_timeout", None),
    ("FOUNDRY_RELEASE_CACHE_CLAIM", "foundry-release-cache", "release_cache_claim", None),
    ("FOUNDRY_TIMEZONE", "Europe/Berlin", "timezone", None),
    ("FOUNDRY_STANDBY_SERVICE_PORT", "9090", "standby_service_port", 9090),
    ("FOUNDRY_PVC_RETENTION", "delete", "pvc_retention", None),
    ("FOUNDRY_DISCORD_ADMIN_ROLE", "900123456789012345", "discord_admin_role", None),
]


@pytest.mark.parametrize(("key", "raw", "field", "value"), OVERRIDES, ids=[row[0] for row in OVERRIDES])
def test_override(key, raw, field, value):
    settings = PlatformSettings.from_env({key: raw})
    assert getattr(settings, field) == (raw if value is None else value)
    assert settings.model_copy(update={field: getattr(DEFAULTS, field)}) == DEFAULTS  # nothing else moved


@pytest.mark.parametrize("field", sorted(PlatformSettings.model_fields))
def test_empty_value_means_unset(field):
    assert PlatformSettings.from_env({env_key(field): ""}) == DEFAULTS


@pytest.mark.parametrize(
    "env",
    [
        {"IMAGE_REPOSITORY": "x"},
        {"foundry_telemetry": "true"},
        {"FOUNDRY_UNKNOWN": "x"},
        {"FOUNDRY_LICENSE_KEY": "secret"},
        {"KRATIX_DRY_RUN": "true"},
    ],
    ids=["no-prefix", "lower-case", "unknown", "not-a-setting", "other-system"],
)
def test_unrelated_keys_are_ignored(env):
    assert PlatformSettings.from_env(env) == DEFAULTS


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("FOUNDRY_TELEMETRY", "maybe"),
        ("FOUNDRY_IMAGE_PULL_POLICY", "Sometimes"),
        ("FOUNDRY_IMAGE_REPOSITORY", "Registry/Foundry"),
        ("FOUNDRY_STORAGE_BACKEND", "s3"),
        ("FOUNDRY_STORAGE_CLASS", "Fast_SSD"),
        ("FOUNDRY_NFS_INSTANCE_ROOT", "relative/path"),
        ("FOUNDRY_CATALOG_OVERLAY", "catalog.yaml"),
        ("FOUNDRY_WORLDS_VOLUME_SIZE", "lots"),
        ("FOUNDRY_MEMORY_LIMIT_FACTOR", "9"),
        ("FOUNDRY_STANDBY_SERVICE_PORT", "0"),
        ("FOUNDRY_STANDBY_SERVICE_PORT", "http"),
        ("FOUNDRY_GATEWAY_NAMESPACE", "-system"),
        ("FOUNDRY_PVC_RETENTION", "forever"),
        ("FOUNDRY_DEFAULT_CPU", "lots"),
        ("FOUNDRY_DEFAULT_MEMORY", "2 GB"),
    ],
    ids=lambda v: v.removeprefix("FOUNDRY_").lower(),
)
def test_invalid_value_names_the_env_key(key, raw):
    with pytest.raises(UserError) as info:
        PlatformSettings.from_env({key: raw})
    assert info.value.reason == "PlatformMisconfigured"
    assert f"{key}: " in info.value.message
    assert raw not in info.value.message  # say what is wrong with the key, not echo the value


def test_every_invalid_key_is_named():
    env = {"FOUNDRY_TELEMETRY": "maybe", "FOUNDRY_STANDBY_SERVICE_PORT": "70000"}
    with pytest.raises(UserError) as info:
        PlatformSettings.from_env(env)
    assert all(f"{key}: " in info.value.message for key in env)


ADMIN_ROLE_REFUSAL = (
    "FOUNDRY_DISCORD_ADMIN_ROLE: Value error, must be a Discord role id, 1 to 20 digits "
    "(with Developer Mode on, right-click the role in Discord and choose Copy Role ID)"
)


@pytest.mark.parametrize(
    "raw", ["admins", "<@&900>", "9" * 21, " 900"], ids=["name", "mention", "too-long", "spaced"]
)
@pytest.mark.parametrize(
    ("model", "reason"),
    [(PlatformSettings, "PlatformMisconfigured"), (CommandSettings, "Misconfigured")],
    ids=["activation-pipeline", "commands"],
)
def test_one_admin_role_setting_refused_alike_by_both_readers(model, reason, raw):
    with pytest.raises(UserError) as info:
        model.from_env({"FOUNDRY_DISCORD_ADMIN_ROLE": raw})
    assert info.value.message.endswith(ADMIN_ROLE_REFUSAL) and info.value.reason == reason


@pytest.mark.parametrize(
    "model", [PlatformSettings, CommandSettings], ids=["activation-pipeline", "commands"]
)
def test_both_readers_read_the_same_admin_role(model):
    assert model.from_env({"FOUNDRY_DISCORD_ADMIN_ROLE": "900"}).discord_admin_role == "900"
    assert model.from_env({"FOUNDRY_DISCORD_ADMIN_ROLE": ""}).discord_admin_role is None
