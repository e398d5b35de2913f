"""A document-status service over HTTP(S): the deployment's gateway to a national register or
Interpol's SLTD. mrtd asks

    POST URL  {"issuing_state": "UTO", "document_type": "P", "document_number": "L898902C3"}

and expects `{"status": "not_listed"}` or `{"status": "listed", "reason": "stolen",
"listed_on": "2026-01-31", "source": "SLTD"}` (docs/status.md). Timeouts, refused
connections and 5xx answers are retried until the deadline; 4xx answers and malformed bodies
are not (asking again will not fix them). Whatever goes wrong is `unavailable`, never an
exception and never "not listed".
"""

from __future__ import annotations

import json
import logging
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

from mrtd.status.base import LISTING_REASONS, MAX_FIELD, StatusAnswer, StatusKind, StatusQuery

__all__ = ["HTTPStatusProvider"]

_log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 64 * 1024
SERVER_ERROR = 500
CLIENT_ERROR = 400


class _Unusable(Exception):  # noqa: N818 - internal: an answer not worth retrying
    pass


class HTTPStatusProvider:
    """Ask the status service at `url` (http or https). `timeout` bounds one attempt,
    `deadline` the whole check including `retries` more attempts; `client_cert` / `client_key`
    authenticate mrtd to it (mutual TLS), `ca_file` names who may serve it."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 2.0,
        deadline: float = 5.0,
        retries: int = 2,
        client_cert: str | Path | None = None,
        client_key: str | Path | None = None,
        ca_file: str | Path | None = None,
        name: str = "",
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the status service URL is http:// or https:// and names a host")
        if not 0 < timeout <= deadline <= 60:
            raise ValueError("0 < timeout <= deadline <= 60 seconds")
        if not 0 <= retries <= 10:
            raise ValueError("retries is between 0 and 10")
        self.url, self.timeout, self.deadline, self.retries = url, timeout, deadline, retries
        self._name = name or f"status service {parts.hostname}"
        self._context: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self._context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
            if client_cert is not None:
                self._context.load_cert_chain(
                    str(client_cert), str(client_key) if client_key else None
                )
        elif client_cert is not None:
            raise ValueError("a client certificate needs an https:// URL")

    @property
    def name(self) -> str:
        return self._name

    def check(self, query: StatusQuery) -> StatusAnswer:
        body = json.dumps({
            "issuing_state": query.issuing_state,
            "document_type": query.document_type,
            "document_number": query.document_number,
        }).encode()  # fmt: skip
        give_up = time.monotonic() + self.deadline
        last = "no attempt"
        for attempt in range(self.retries + 1):
            left = give_up - time.monotonic()
            if left <= 0:
                break
            try:
                return self._ask(body, min(self.timeout, left))
            except _Unusable as exc:
                return StatusAnswer.unavailable(str(exc), self._name)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                last = _describe(exc)
                _log.warning("status service attempt %d failed: %s", attempt + 1, last)
            pause = min(0.1 * 2**attempt, give_up - time.monotonic())
            if pause > 0 and attempt < self.retries:
                time.sleep(pause)
        return StatusAnswer.unavailable(f"no answer within {self.deadline:g} s ({last})",
                                        self._name)  # fmt: skip

    def _ask(self, body: bytes, timeout: float) -> StatusAnswer:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=self._context) as answer:  # noqa: S310
                raw = answer.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code >= SERVER_ERROR:
                raise OSError(f"HTTP {exc.code}") from None
            raise _Unusable(f"the status service refused the query: HTTP {exc.code}") from None
        if len(raw) > MAX_ANSWER_BYTES:
            raise _Unusable("the status service's answer is too large")
        return self._parse(raw)

    def _parse(self, raw: bytes) -> StatusAnswer:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            raise _Unusable("the status service's answer is not JSON") from None
        if not isinstance(data, dict):
            raise _Unusable("the status service's answer is not a JSON object")
        status = data.get("status")
        if status == StatusKind.NOT_LISTED:
            return StatusAnswer(StatusKind.NOT_LISTED, source=self._source(data))
        if status != StatusKind.LISTED:
            raise _Unusable("the status service's answer has no valid status")
        reason = data.get("reason", "other")
        if reason not in LISTING_REASONS:
            raise _Unusable("the status service's answer has an unknown listing reason")
        listed_on = data.get("listed_on")
        try:
            when = date.fromisoformat(listed_on) if isinstance(listed_on, str) else None
        except ValueError:
            raise _Unusable("the status service's listed_on is not a date") from None
        if listed_on is not None and when is None:
            raise _Unusable("the status service's listed_on is not a date")
        return StatusAnswer(StatusKind.LISTED, reason=reason, source=self._source(data),
                            listed_on=when)  # fmt: skip

    def _source(self, data: dict[str, object]) -> str:
        source = data.get("source")
        if isinstance(source, str) and source and len(source) <= MAX_FIELD and source.isprintable():
            return source
        return self._name


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        exc = reason
    if isinstance(exc, TimeoutError | ssl.SSLError):
        return type(exc).__name__
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
