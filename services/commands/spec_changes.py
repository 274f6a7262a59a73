"""`update <name> version|auto-update|volumes|resources`: one spec field of an instance changed.

Each change checks the policy, validates the whole new spec through the model before anything is
written (bad input changes nothing), merge-patches only the changed field, records who did it, lets
the platform react and reports what the instance pipeline said: accepted, waiting, or refused (a live
instance may not take some volume moves; the pipeline then keeps the running server as it was).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from foundry_lib.access import Action, Target
from foundry_lib.conditions import condition_of, rfc3339
from foundry_lib.kube import FOUNDRY_INSTANCE, KubeObject
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.request import describe_validation_error
from foundry_lib.running import WAIT_REASONS
from services.commands import options as opt
from services.commands.context import Context, Reply, UsageError, defang
from services.commands.options import InstanceOptions

# What each `update` word needs, besides the instance: a VALUE, or some of the options.
VALUE_HELP = {
    "version": "a version: an exact build like 13.348, 13.x or latest",
    "auto-update": "a value: none, build, generation or default (the license's default)",
}
OPTIONS_HELP = {
    "volumes": "--worlds and/or --plugins " + opt.VOLUME_SYNTAX,
    "resources": "--cpu and/or --memory (a quantity like 500m or 2, 512Mi or 2Gi; default = the license's)",
}


@dataclass(frozen=True)
class _Change:
    field: str  # the spec key in camelCase
    reason: str  # the audit Event's reason
    new: Callable[[Mapping[str, Any], str | None, InstanceOptions], Any]  # value; None removes it
    shown: Callable[[Any], str]


_CHANGES: dict[str, _Change] = {
    "version": _Change(
        "foundryVersion",
        "VersionChanged",
        lambda spec, value, _: opt.version_value(value or ""),
        lambda v: f"Foundry version {v}",
    ),
    "auto-update": _Change(
        "autoUpdate",
        "AutoUpdateChanged",
        lambda spec, value, _: opt.auto_update_value(value or ""),
        lambda v: f"auto-update {v}" if v else "auto-update from the license default",
    ),
    "volumes": _Change(
        "volumes",
        "VolumesChanged",
        lambda spec, _, o: opt.volumes_value(o, spec.get("volumes") or {}),
        lambda v: ", ".join(opt.describe_volume(k, (v or {}).get(k)) for k in opt.VOLUMES),
    ),
    "resources": _Change(
        "resources",
        "ResourcesChanged",
        lambda spec, _, o: opt.resources_value(o, spec.get("resources") or {}),
        opt.describe_resources,
    ),
}
WORDS = tuple(_CHANGES)


def change(
    ctx: Context,
    instance: KubeObject,
    tgt: Target,
    what: str,
    value: str | None,
    options: InstanceOptions,
) -> Reply:
    name = str(instance["metadata"]["name"])
    ctx.require(Action.UPDATE, tgt)
    _check_arguments(what, value, options)
    spec: Mapping[str, Any] = instance.get("spec") or {}
    step = _CHANGES[what]
    old, new = spec.get(step.field), step.new(spec, value, options)
    updated = {k: v for k, v in {**spec, step.field: new}.items() if v is not None}
    if validate_spec(updated) == _parsed(spec):  # e.g. `--worlds new` on a volume that is new already
        return Reply(f"{name} already has {step.shown(new)}; nothing changed")
    patch = {"spec": {step.field: merge_patch_for(old, new)}}
    ctx.kube.merge_patch(FOUNDRY_INSTANCE, ctx.namespace, name, patch)
    ctx.audit(FOUNDRY_INSTANCE, instance, step.reason, f"set {step.shown(new)} on {name}")
    ctx.settle()
    return Reply(f"asked for {step.shown(new)} on {name}; {platform_says(ctx, name, edit=True)}")


def _check_arguments(what: str, value: str | None, options: InstanceOptions) -> None:
    if what in VALUE_HELP:
        if not value:
            raise UsageError(f"update {what} needs {VALUE_HELP[what]}")
        if options.volumes_given or options.resources_given:
            raise UsageError(f"update {what} takes {VALUE_HELP[what]}, no --worlds/--plugins/--cpu/--memory")
        return
    if value is not None:
        raise UsageError(f"update {what} takes no value; give {OPTIONS_HELP[what]}")
    given, other = (
        (options.volumes_given, options.resources_given)
        if what == "volumes"
        else (options.resources_given, options.volumes_given)
    )
    if not given or other:
        raise UsageError(f"update {what} needs {OPTIONS_HELP[what]} (and nothing else)")


def validate_spec(spec: Mapping[str, Any]) -> FoundryInstanceSpec:
    try:
        return FoundryInstanceSpec.model_validate(spec)
    except ValidationError as err:
        raise UsageError(defang(describe_validation_error(err))) from None


def _parsed(spec: Mapping[str, Any]) -> FoundryInstanceSpec | None:
    try:
        return FoundryInstanceSpec.model_validate(spec)
    except ValidationError:
        return None


def merge_patch_for(old: Any, new: Any) -> Any:
    """The JSON merge patch that turns `old` into `new`: removed keys become null, so a volume
    switching from {path} to {instance} does not keep both."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return new
    patch: dict[str, Any] = {k: None for k in old if k not in new}
    for key, value in new.items():
        if key not in old or old[key] != value:
            patch[key] = merge_patch_for(old.get(key), value)
    return patch


def platform_says(ctx: Context, name: str, *, edit: bool = False) -> str:
    """What the instance pipeline reported after this command, read from status; never a guess.
    A report older than the command (the pipeline has not run yet) is named as such; a refused
    `edit` leaves the instance on its last accepted spec (DESIGN §2 rule 10)."""
    obj = ctx.kube.get(FOUNDRY_INSTANCE, ctx.namespace, name) or {}
    meta, st = obj.get("metadata") or {}, obj.get("status") or {}
    message = st.get("message")
    accepted = condition_of(st, "Accepted")
    fresh = st.get("observedGeneration") == meta.get("generation") or str(
        accepted.get("lastTransitionTime") or ""
    ) >= rfc3339(ctx.now)
    if not message:
        return "the platform has not reported on it yet"
    if not fresh:
        return f"the platform has not acted on it yet (its last report: {message})"
    if accepted.get("status") == "False":
        reason = accepted.get("reason")
        if reason in WAIT_REASONS:
            return f"waiting ({reason}): {message}"
        kept = " and keeps the instance on its previous spec" if edit else ""
        return f"the platform refused it ({reason}){kept}: {message}"
    return f"the platform says: {message}"
