"""The `foundry-platform` command: local simulator, release catalog and Promise generation."""

from importlib.metadata import version as _package_version

# The release version has one place, pyproject.toml; this reads it from the installed package.
__version__ = _package_version("foundry-platform")
