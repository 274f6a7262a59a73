"""Where a server's Foundry comes from: the felddy/foundryvtt image contains none.

Its entrypoint installs `FOUNDRY_VERSION` on every new container, from the foundryvtt.com account
(`FOUNDRY_USERNAME`/`FOUNDRY_PASSWORD`) or from a zip in `CONTAINER_CACHE`, and exits 1 otherwise,
so the container would crash-loop. An instance therefore needs its license's `credentialsSecretRef`
or the platform's shared release cache claim (`FOUNDRY_RELEASE_CACHE_CLAIM`); with neither it is
refused before anything is rendered.
"""

from __future__ import annotations

from foundry_lib.errors import UserError
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.settings import PlatformSettings


def require_release_source(license_req: Request[FoundryLicenseSpec], settings: PlatformSettings) -> None:
    if license_req.spec.credentials_secret_ref is None and settings.release_cache_claim is None:
        raise UserError(
            "no release source: the Foundry image contains no Foundry release and installs it on every "
            "start, from the foundryvtt.com account or from the platform's release cache, and neither is "
            f"configured. Set spec.credentialsSecretRef on FoundryLicense {license_req.name!r} (a Secret "
            "with keys username and password), or ask the platform team to provide a release cache "
            "(Promise pipeline env FOUNDRY_RELEASE_CACHE_CLAIM)",
            reason="NoReleaseSource",
            field="spec.licenseRef.name",
        )


def release_source(lic: FoundryLicenseSpec, settings: PlatformSettings) -> dict[str, str]:
    """Shown in status.effective.releaseSource, with where it was configured."""
    if lic.credentials_secret_ref is None:
        return {"value": f"release cache {settings.release_cache_claim}", "from": "platform"}
    cache = f" (release cache {settings.release_cache_claim})" if settings.release_cache_claim else ""
    return {"value": f"account in Secret {lic.credentials_secret_ref.name}{cache}", "from": "license"}
