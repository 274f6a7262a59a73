"""The pure part of the instance options: what a typed option becomes in the spec, and the merge patch
that writes only the change (services/commands/options.py, spec_changes.merge_patch_for)."""

from __future__ import annotations

from typing import Any

import pytest

from services.commands.context import UsageError
from services.commands.options import (
    InstanceOptions,
    VolumeChoice,
    auto_update_value,
    options_of,
    resources_value,
    volumes_value,
)
from services.commands.spec_changes import merge_patch_for


@pytest.mark.parametrize(
    ("typed", "volume"),
    [
        ("new", {"mode": "new"}),
        ("shared", {"mode": "shared"}),
        ("copied:campaign-alpha", {"mode": "copied", "source": {"instance": "campaign-alpha"}}),
        ("copied:instance=campaign-alpha", {"mode": "copied", "source": {"instance": "campaign-alpha"}}),
        ("shared:path=pools/homebrew", {"mode": "shared", "source": {"path": "pools/homebrew"}}),
        ("shared:path=maps.v1/a_b", {"mode": "shared", "source": {"path": "maps.v1/a_b"}}),
    ],
)
def test_a_typed_volume_becomes_its_spec(typed: str, volume: dict[str, Any]) -> None:
    options = InstanceOptions(worlds=VolumeChoice.parse("worlds", typed))
    assert volumes_value(options, {"plugins": {"mode": "shared"}}) == {
        "worlds": volume,
        "plugins": {"mode": "shared"},  # untouched
    }


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("copied:", "worlds: nothing after ':'"),
        ("copied:pool=x", "worlds: a source is an instance name, or path=POOL"),
        ("copied:path=", "worlds.source.path: String should have at least 1 character"),
        ("shared:path=~/x", "worlds.source.path: '~/x' is not a valid pool path: it contains '~'"),
        (
            "shared:path=a\\b",
            "worlds.source.path: 'a\\\\b' is not a valid pool path: it contains a backslash",
        ),
        ("copied:Alpha", "worlds.source.instance: must be a DNS-1123 label"),
        ("Copied:alpha", "worlds.mode: must be one of 'new', 'copied' or 'shared'"),
    ],
)
def test_a_bad_volume_names_the_option(typed: str, says: str) -> None:
    with pytest.raises(UsageError) as err:
        volumes_value(InstanceOptions(worlds=VolumeChoice.parse("worlds", typed)), {})
    assert err.value.message.startswith(says)


def test_discord_fields_need_a_mode_for_a_source() -> None:
    assert options_of(plugins="copied", plugins_source="path=x").plugins == VolumeChoice("copied", "path=x")
    assert options_of() == InstanceOptions()
    with pytest.raises(UsageError, match="plugins_source needs a plugins mode"):
        options_of(plugins_source="alpha")


@pytest.mark.parametrize(
    ("cpu", "memory", "current", "result"),
    [
        ("2", None, {}, {"cpu": "2"}),
        (None, "1Gi", {"cpu": "2"}, {"cpu": "2", "memory": "1Gi"}),
        ("default", None, {"cpu": "2", "memory": "1Gi"}, {"memory": "1Gi"}),
        ("default", "default", {"cpu": "2", "memory": "1Gi"}, None),
    ],
)
def test_resources_change_only_what_is_given(
    cpu: str | None, memory: str | None, current: dict[str, str], result: dict[str, str] | None
) -> None:
    assert resources_value(InstanceOptions(cpu=cpu, memory=memory), current) == result


def test_auto_update_values() -> None:
    assert [auto_update_value(v) for v in ("none", "build", "generation", "default")] == [
        "none",
        "build",
        "generation",
        None,
    ]
    with pytest.raises(UsageError, match=r"^auto-update: must be one of 'none', 'build' or 'generation'"):
        auto_update_value("Build")


@pytest.mark.parametrize(
    ("old", "new", "patch"),
    [
        (None, {"worlds": {"mode": "new"}}, {"worlds": {"mode": "new"}}),
        (
            {"worlds": {"mode": "copied", "source": {"path": "maps"}}},
            {"worlds": {"mode": "copied", "source": {"instance": "alpha"}}},
            {"worlds": {"source": {"path": None, "instance": "alpha"}}},
        ),
        (
            {"worlds": {"mode": "copied", "source": {"path": "maps"}}, "plugins": {"mode": "shared"}},
            {"worlds": {"mode": "new"}, "plugins": {"mode": "shared"}},
            {"worlds": {"source": None, "mode": "new"}},
        ),
        ({"cpu": "2", "memory": "1Gi"}, None, None),
        ("build", "none", "none"),
    ],
)
def test_the_merge_patch_writes_the_change_and_nulls_what_went(old: Any, new: Any, patch: Any) -> None:
    assert merge_patch_for(old, new) == patch
