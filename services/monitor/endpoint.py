"""Where the monitor reaches an instance's Foundry: a URL template with `{name}` and `{namespace}`."""

from __future__ import annotations

import string
from dataclasses import dataclass

DEFAULT_TEMPLATE = "http://{name}.{namespace}.svc.cluster.local:30000"
PLACEHOLDERS = ("name", "namespace")


class TemplateError(ValueError):
    """The --endpoint-template is unusable; the message names what is wrong and what is allowed."""


@dataclass(frozen=True)
class EndpointTemplate:
    template: str

    @classmethod
    def parse(cls, template: str) -> EndpointTemplate:
        if not template.startswith(("http://", "https://")):
            raise TemplateError(f"--endpoint-template {template!r} must start with http:// or https://")
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        except ValueError as err:
            raise TemplateError(f"--endpoint-template {template!r} is not a valid template: {err}") from None
        unknown = sorted(fields - set(PLACEHOLDERS))
        if unknown:
            raise TemplateError(
                f"--endpoint-template {template!r} has unknown placeholders {{{'}, {'.join(unknown)}}}; "
                "allowed: {name}, {namespace}"
            )
        missing = [p for p in PLACEHOLDERS if p not in fields]
        if missing:
            raise TemplateError(
                f"--endpoint-template {template!r} lacks {{{'}, {'.join(missing)}}}: both {{name}} and "
                "{namespace} are needed so every instance has its own address"
            )
        return cls(template)

    def url(self, namespace: str, name: str) -> str:
        return self.template.format(name=name, namespace=namespace)
