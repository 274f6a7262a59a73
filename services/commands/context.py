"""What every command shares: who asks and where, the reply, the errors, lookups and the audit."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any

from pydantic import ValidationError

from foundry_lib.access import Action, Principal, Target, creator_of, decide
from foundry_lib.errors import FoundryError, UserError
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, Kind, KubeAPI, KubeObject
from foundry_lib.models.license import Ownership
from foundry_lib.names import dns1123_label_problem
from foundry_lib.outcome import RecordEvent
from pipelines.effects import apply_effect
from services.commands.settings import CommandSettings

DISCORD_LIMIT = 2000
COMPONENT = "foundry-vtt-commands"


class Code(IntEnum):
    """The CLI's exit codes; the bot shows the text either way."""

    DONE = 0
    FAILED = 1
    USAGE = 2
    DENIED = 3


@dataclass(frozen=True)
class Reply:
    """What a front end shows: text cut to Discord's 2000-character message limit."""

    text: str
    code: Code = Code.DONE

    def __post_init__(self) -> None:
        if len(self.text) > DISCORD_LIMIT:
            object.__setattr__(self, "text", self.text[: DISCORD_LIMIT - 1] + "…")


class CommandError(Exception):
    code = Code.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CommandError):
    code = Code.USAGE


class DeniedError(CommandError):
    code = Code.DENIED


@dataclass(frozen=True)
class Context:
    """One command's world: `settle` lets the platform react (the simulator runs the pipelines; on a
    cluster it returns at once), `log` receives the audit line."""

    kube: KubeAPI
    who: Principal
    namespace: str
    settings: CommandSettings
    now: datetime
    settle: Callable[[], None] = field(default=lambda: None)
    log: Callable[[str], None] = field(default=lambda _: None)

    def served(self) -> None:
        if self.namespace not in self.settings.access.namespaces:
            raise DeniedError(f"namespace {self.namespace} is not served here")

    def get(self, kind: Kind, name: str) -> KubeObject:
        self.served()
        noun = "instance" if kind is FOUNDRY_INSTANCE else "license"
        problem = dns1123_label_problem(name)
        if problem:  # never sent to the API, never echoed as typed
            raise UsageError(f"{noun} name {quoted(name)}: {problem}")
        obj = self.kube.get(kind, self.namespace, name)
        if obj is None:
            raise UsageError(f"there is no {noun} {name} in namespace {self.namespace}")
        return obj

    def require(self, action: Action, target: Target) -> None:
        decision = decide(action, self.who, target, self.settings.access)
        if not decision.allowed:
            raise DeniedError(f"{self.who.mention}: {decision.reason}")

    def audit(self, kind: Kind, obj: Mapping[str, Any], reason: str, what: str) -> None:
        """A Kubernetes Event on the object (who, what, outcome) and a log line."""
        meta = obj.get("metadata") or {}
        name = str(meta.get("name") or "")
        message = f"discord:{self.who.user_id} {what}"
        digest = hashlib.sha256(f"{self.now.isoformat()}\0{message}".encode()).hexdigest()[:12]
        event = RecordEvent(
            regarding=kind,
            namespace=self.namespace,
            regarding_name=name,
            regarding_uid=str(meta.get("uid") or ""),
            name=f"{name[:200]}.vtt-{digest}",
            reason=reason,
            message=message[:1000],
            warning=False,
            at=self.now,
            component=COMPONENT,
        )
        apply_effect(self.kube, event)
        self.log(f"{kind.kind} {self.namespace}/{name} {reason}: {message}")


def defang(text: str) -> str:
    """A reply that may quote what someone typed must not ping anyone in Discord (@everyone)."""
    return text.replace("@", "@\u200b")


def quoted(text: str) -> str:
    """Untrusted text quoted in a reply: cut, escaped (repr), pinging nobody."""
    return defang(repr(text if len(text) <= 60 else text[:60] + "…"))


def ownership_of(license_obj: Mapping[str, Any]) -> Ownership:
    """The license's ownership; an invalid one grants nobody anything (the admin still can)."""
    try:
        return Ownership.model_validate((license_obj.get("spec") or {}).get("ownership") or {})
    except ValidationError:
        return Ownership()


def license_of(instance: Mapping[str, Any]) -> str:
    return str(((instance.get("spec") or {}).get("licenseRef") or {}).get("name") or "")


def target(ctx: Context, license_obj: Mapping[str, Any], instance: Mapping[str, Any] | None = None) -> Target:
    annotations = ((instance or {}).get("metadata") or {}).get("annotations")
    return Target(
        namespace=ctx.namespace,
        license=str(license_obj["metadata"]["name"]),
        ownership=ownership_of(license_obj),
        creator=creator_of(annotations) if instance is not None else None,
    )


def instance_target(ctx: Context, name: str) -> tuple[KubeObject, KubeObject, Target]:
    """The instance, its license and the policy target they make."""
    instance = ctx.get(FOUNDRY_INSTANCE, name)
    license_obj = ctx.get(FOUNDRY_LICENSE, license_of(instance))
    return instance, license_obj, target(ctx, license_obj, instance)


Command = Callable[[Context], Reply]


def execute(command: Command, ctx: Context) -> Reply:
    """The one place a command's error becomes a reply (CLI and Discord alike): short and honest,
    never a traceback."""
    try:
        return command(ctx)
    except CommandError as err:
        return Reply(err.message, err.code)
    except UserError as err:
        return Reply(err.message, Code.USAGE)
    except FoundryError as err:
        return Reply(f"the Kubernetes API refused or failed: {err}", Code.FAILED)
