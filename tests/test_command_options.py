"""The instance options and spec changes below the front ends: what a typed option becomes in the spec,
the merge patch that writes only the change, and the reply when the pipeline has not run yet
(services/commands/options.py, services/commands/spec_changes.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_commands import LICENSE, NOW, NS, SETTINGS

from foundry_lib.access import Principal
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from services.commands import instances
from services.commands.context import Context, UsageError
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


def _memory_kube(tmp_path: Path) -> MemoryKube:
    kube = MemoryKube(ClusterState(tmp_path), lambda: NOW)
    kube.create(FOUNDRY_LICENSE, NS, LICENSE)
    alpha = {
        "metadata": {"name": "alpha", "namespace": NS},
        "spec": {"licenseRef": {"name": "guild"}, "resources": {"memory": "2Gi"}},
    }
    kube.create(FOUNDRY_INSTANCE, NS, alpha)
    earlier = {
        "type": "Accepted",
        "status": "True",
        "reason": "Rendered",
        "lastTransitionTime": "2026-11-28T19:00:00Z",
    }
    report = {"message": "Foundry 13.348 serving", "observedGeneration": 1, "conditions": [earlier]}
    kube.merge_patch_status(FOUNDRY_INSTANCE, NS, "alpha", report)
    kube.writes.clear()
    return kube


def test_an_update_patches_only_its_field_and_names_a_report_older_than_the_change(tmp_path: Path) -> None:
    """On a cluster the reply does not wait for the pipeline: status still describes the last generation."""
    kube = _memory_kube(tmp_path)
    ctx = Context(kube, Principal("1"), NS, SETTINGS, NOW)
    reply = instances.update(ctx, "alpha", "resources", options=InstanceOptions(cpu="2"))
    assert reply.text == (
        "asked for cpu 2, memory 2Gi on alpha; the platform has not acted on it yet "
        "(its last report: Foundry 13.348 serving)"
    )
    patches = [(w.method, w.body) for w in kube.writes if w.method == "PATCH"]
    assert patches == [("PATCH", {"spec": {"resources": {"cpu": "2"}}})]
    assert [w.body["reason"] for w in kube.writes if w.method == "POST"] == ["ResourcesChanged"]
