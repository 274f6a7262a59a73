"""Safe shared-pool paths: a user-given pool path can only ever name a directory under its own root.

A pool path (`source.path`) comes from a FoundryInstance spec and ends up in a volume mount and in
shell scripts that copy data, so it is checked strictly here: a short relative path of DNS-like
labels. Roots (`sharedNfsRoot`, platform NFS roots) are absolute and normalised. `join_under` checks
containment again, so a bug upstream cannot reach another license's root.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import PurePosixPath

from foundry_lib.errors import UserError

MAX_SEGMENTS = 8
MAX_SEGMENT_LENGTH = 63
MAX_PATH_LENGTH = 253
MAX_ROOT_LENGTH = 1024

_SEGMENT = re.compile(r"[a-z0-9]([-a-z0-9_.]*[a-z0-9])?", re.ASCII)
_ALNUM = re.compile(r"[a-z0-9]", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ALLOWED = (
    f"a relative path of 1 to {MAX_SEGMENTS} segments separated by '/', each of lowercase letters, digits, "
    f"'-', '_' or '.', starting and ending with a letter or digit, at most {MAX_SEGMENT_LENGTH} characters "
    f"each and {MAX_PATH_LENGTH} in total (e.g. 'maps/v1')"
)


def _shown(text: str) -> str:
    """repr() escapes control characters; long input is cut so messages stay readable."""
    return repr(text if len(text) <= 60 else text[:60] + "…")


def _path_problem(text: str) -> str | None:
    if not text:
        return "it is empty"
    if _CONTROL.search(text):
        return "it contains a control character"
    if "\\" in text:
        return "it contains a backslash"
    if "~" in text:
        return "it contains '~'"
    if text.startswith("/"):
        return "it is absolute; give a path relative to the license's shared root"
    if ".." in text:
        return "it contains '..'"
    if len(text) > MAX_PATH_LENGTH:
        return f"it is {len(text)} characters long"
    segments = text.split("/")
    if len(segments) > MAX_SEGMENTS:
        return f"it has {len(segments)} segments"
    for segment in segments:
        if not segment:
            return "it has an empty segment ('//' or a trailing '/')"
        if segment == "." or segment.startswith("."):
            return f"segment {_shown(segment)} starts with '.'"
        if len(segment) > MAX_SEGMENT_LENGTH:
            return f"segment {_shown(segment)} is {len(segment)} characters long"
        if not _SEGMENT.fullmatch(segment):
            if not _ALNUM.fullmatch(segment[0]) or not _ALNUM.fullmatch(segment[-1]):
                return f"segment {_shown(segment)} does not start and end with a lowercase letter or digit"
            return f"segment {_shown(segment)} has a character outside a-z, 0-9, '-', '_' and '.'"
    return None


def validate_pool_path(text: str, field: str) -> PurePosixPath:
    """The pool path as a PurePosixPath, or a UserError naming `field` and the broken rule."""
    if not isinstance(text, str):
        raise UserError(f"{field}: must be a string: {_ALLOWED}", field=field)
    problem = _path_problem(text)
    if problem is not None:
        raise UserError(
            f"{field}: {_shown(text)} is not a valid pool path: {problem}. Allowed: {_ALLOWED}.", field=field
        )
    return PurePosixPath(text)


def _root_problem(text: str) -> str | None:
    if not text:
        return "it is empty"
    if _CONTROL.search(text):
        return "it contains a control character"
    if "\\" in text:
        return "it contains a backslash"
    if not text.startswith("/"):
        return "it is not absolute"
    if len(text) > MAX_ROOT_LENGTH:
        return f"it is {len(text)} characters long"
    if text == "/":
        return None
    if text.endswith("/"):
        return "it ends with '/'"
    for segment in text[1:].split("/"):
        if not segment:
            return "it contains '//'"
        if segment in (".", ".."):
            return f"it contains a {segment!r} segment"
    return None


def validate_root(text: str, field: str) -> str:
    """An absolute, normalised directory such as '/volume1/foundry/shared/guild', unchanged."""
    if not isinstance(text, str):
        raise UserError(f"{field}: must be an absolute path string", field=field)
    problem = _root_problem(text)
    if problem is not None:
        raise UserError(
            f"{field}: {_shown(text)} is not a valid root: {problem}. Allowed: an absolute, normalised path "
            "without '.' or '..' segments, '//', a trailing '/' or control characters (e.g. '/srv/foundry').",
            field=field,
        )
    return text


def join_under(root: str, rel: PurePosixPath) -> str:
    """root/rel as an absolute path, refusing (ValueError: a bug, callers validate first) any escape."""
    if _root_problem(root) is not None:
        raise ValueError(f"join_under: root {_shown(root)} is not an absolute, normalised path")
    problem = _path_problem(str(rel))
    if problem is not None:
        raise ValueError(f"join_under: {_shown(str(rel))} is not a valid pool path: {problem}")
    joined = posixpath.normpath(posixpath.join(root, str(rel)))
    prefix = root if root == "/" else root + "/"
    if not joined.startswith(prefix) or joined == root:
        raise ValueError(f"join_under: {_shown(str(rel))} escapes {_shown(root)}")
    return joined


def is_within(path: str, root: str) -> bool:
    """Whether normalised absolute `path` is `root` or below it."""
    return path == root or root == "/" or path.startswith(root + "/")


def parse_roots(text: str, *, instance_root: str | None = None) -> tuple[str, ...]:
    """FOUNDRY_SHARED_NFS_ROOTS: comma-separated absolute, normalised folders, none inside another
    nor overlapping the platform's instance root (ValueError naming the problem: a platform setting)."""
    roots = tuple(part.strip() for part in text.split(",") if part.strip())
    if not roots:
        raise ValueError("give at least one absolute folder (e.g. /srv/foundry/shared)")
    for root in roots:
        problem = _root_problem(root)
        if problem is not None:
            raise ValueError(f"{_shown(root)} is not an absolute, normalised folder: {problem}")
    for i, a in enumerate(roots):
        for b in roots[i + 1 :]:
            if is_within(a, b) or is_within(b, a):
                raise ValueError(f"{_shown(a)} and {_shown(b)} overlap; shared roots must be apart")
        if instance_root and (is_within(a, instance_root) or is_within(instance_root, a)):
            raise ValueError(f"{_shown(a)} overlaps FOUNDRY_NFS_INSTANCE_ROOT {_shown(instance_root)}")
    return roots
