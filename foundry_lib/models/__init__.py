"""Pydantic models of the three resources' `spec`: the single source of truth for their CRDs."""

from foundry_lib.models.activation import FoundryActivationRequestSpec
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request, parse_request

__all__ = [
    "FoundryActivationRequestSpec",
    "FoundryInstanceSpec",
    "FoundryLicenseSpec",
    "Request",
    "parse_request",
]
