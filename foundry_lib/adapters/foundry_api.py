"""Asks a Foundry server `GET /api/status` over `requests`: the only module that imports it for Foundry.

No credentials (the endpoint needs none), redirects are never followed (a login or standby page
answering in Foundry's place is an unknown, not a Foundry), every request has a connect and a read
timeout and the whole answer a deadline, and at most `MAX_BODY` bytes are read. Every failure
becomes an unknown observation with a reason (`foundry_lib.foundry_status`); nothing here raises
for what a server did.
"""

from __future__ import annotations

import threading
import time

import requests
import urllib3

from foundry_lib.foundry_status import FoundryObservation, UnknownReason, parse_status, unknown

STATUS_PATH = "/api/status"
MAX_BODY = 64 * 1024  # a real answer is ~150 bytes; a page answering instead is cut off, not read whole


class FoundryClient:
    """Thread-safe: each thread keeps its own `requests.Session` (and so its keep-alive connections)."""

    def __init__(self, *, timeout: float = 5.0) -> None:
        self._timeout = (timeout, timeout)
        self._total = 2 * timeout  # connect, then the whole answer
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def status(self, base_url: str) -> FoundryObservation:
        """The observation of the server at `base_url` (`/api/status` is appended)."""
        url = base_url.rstrip("/") + STATUS_PATH
        try:
            with self._session().get(
                url,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json"},
            ) as response:
                body = self._body(response, started=time.monotonic())
                if body is None:
                    return unknown(UnknownReason.TIMEOUT, f"the answer took longer than {self._total:g} s")
                if len(body) > MAX_BODY:
                    return unknown(UnknownReason.NOT_FOUNDRY, f"the answer is larger than {MAX_BODY} bytes")
                return parse_status(response.status_code, response.headers.get("Content-Type", ""), body)
        except (requests.Timeout, urllib3.exceptions.ReadTimeoutError):
            return unknown(UnknownReason.TIMEOUT, f"no answer within {self._timeout[1]:g} s")
        except requests.ConnectionError as exc:
            return unknown(UnknownReason.UNREACHABLE, _cause(exc))
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            return unknown(UnknownReason.UNREACHABLE, type(exc).__name__)

    def _body(self, response: requests.Response, *, started: float) -> bytes | None:
        """Up to MAX_BODY + 1 bytes, or None when a server trickling bytes passes the total deadline
        (the read timeout alone applies to each read, not to the whole answer)."""
        chunks, size = [], 0
        while size <= MAX_BODY:
            chunk = response.raw.read1(4096, decode_content=True)  # what arrived, not a full 4096
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() - started > self._total:
                return None
        return b"".join(chunks)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxy or netrc from the environment: the cluster network only
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session


def _cause(exc: requests.ConnectionError) -> str:
    """A short cause (refused, reset, name resolution) without the URL's full repr."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "Connection reset", "timed out"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__
