"""The reference client of the verification service: a kiosk's or an app's whole flow.

    answer = verify_with_service("https://verify.example", "pcsc", key, subject="cust-1")
    answer["verdict"]["status"]          # "genuine", "failed" or "incomplete"

Get a challenge, read the chip with Active Authentication over it, upload the files as read
and the chip's signature, return the service's answer. Only the standard library: a kiosk
needs no server extra to be a client. The service's verdict is the one that counts; the local
read's is not sent.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mrtd.access.keys import AccessKey
from mrtd.errors import ServiceError
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.base import Transport

__all__ = ["ServiceChallenge", "request_challenge", "submit_files", "verify_with_service"]

TOKEN_ENV = "MRTD_SERVICE_TOKEN"  # noqa: S105 - a variable's name. The bearer token, if the service wants one: never in argv
MAX_ANSWER_BYTES = 1024 * 1024  # a verdict is a few KiB; more is not the service speaking
UPLOAD_FORMAT = "mrtd-upload/1"


@dataclass(frozen=True, slots=True)
class ServiceChallenge:
    id: str
    nonce: bytes
    expires: datetime


def request_challenge(base_url: str, *, timeout: float = 10.0) -> ServiceChallenge:
    """A fresh single-use challenge from the service at `base_url`."""
    answer = _post(base_url, "/v1/challenges", None, timeout)
    try:
        nonce = base64.b64decode(str(answer["nonce"]), validate=True)
        expires = datetime.fromisoformat(str(answer["expires"]).replace("Z", "+00:00"))
        challenge_id = str(answer["id"])
    except (KeyError, ValueError) as exc:
        raise ServiceError("the service's challenge is malformed") from exc
    if len(nonce) != 8:  # 9303-11 §6.1: an 8-byte challenge
        raise ServiceError("the service's challenge is not 8 bytes")
    return ServiceChallenge(challenge_id, nonce, expires)


def upload_body(
    files: Mapping[str, bytes],
    *,
    challenge_id: str | None = None,
    signature: bytes | None = None,
    subject: str | None = None,
) -> dict[str, object]:
    """mrtd's upload format (docs/verify.md, "Verifying an upload"): files as read, base64."""
    body: dict[str, object] = {
        "format": UPLOAD_FORMAT,
        "files": {name: base64.b64encode(data).decode("ascii") for name, data in files.items()},
    }
    if challenge_id is not None and signature is not None:
        body["active_authentication"] = {
            "challenge_id": challenge_id,
            "signature": base64.b64encode(signature).decode("ascii"),
        }
    if subject is not None:
        body["subject"] = subject
    return body


def submit_files(
    base_url: str,
    files: Mapping[str, bytes],
    *,
    challenge_id: str | None = None,
    signature: bytes | None = None,
    subject: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Upload `files` (and AA's `signature` over challenge `challenge_id`): the service's
    answer, with its verdict. A refusal is a `ServiceError` with the problem document."""
    body = upload_body(files, challenge_id=challenge_id, signature=signature, subject=subject)
    return _post(base_url, "/v1/verifications", body, timeout)


def verify_with_service(
    base_url: str,
    source: Transport | str,
    key: AccessKey,
    *,
    subject: str | None = None,
    timeout: float = 30.0,
    **read_options: Any,
) -> dict[str, Any]:
    """The whole flow: a challenge, the read with AA over it, the upload, the service's
    answer. `read_options` go to `read_document` (on_event, cancel, access, ...)."""
    challenge = request_challenge(base_url, timeout=timeout)
    document = read_document(source, key, active_challenge=challenge.nonce, **read_options)
    return submit_document(base_url, document, challenge, subject=subject, timeout=timeout)


def submit_document(
    base_url: str,
    document: Document,
    challenge: ServiceChallenge,
    *,
    subject: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Upload a document read with AA over `challenge` (its signature, if the chip gave one)."""
    sent = document.active_challenge
    signed = (
        document.active_signature
        if sent is not None and hmac.compare_digest(sent, challenge.nonce)
        else None
    )
    return submit_files(
        base_url,
        document.files,
        challenge_id=challenge.id if signed is not None else None,
        signature=signed,
        subject=subject,
        timeout=timeout,
    )


def _post(base_url: str, path: str, body: object, timeout: float) -> dict[str, Any]:
    url = _endpoint(base_url, path)
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in _endpoint
        url, data=data, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as exc:
        problem = _problem(exc)
        title = problem.get("title") or exc.reason
        detail = f": {problem['detail']}" if problem.get("detail") else ""
        raise ServiceError(f"the service refused: {exc.code} {title}{detail}", exc.code,
                           problem) from None  # fmt: skip
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServiceError(f"cannot reach the service at {_origin(url)}: {reason}") from None
    if len(raw) > MAX_ANSWER_BYTES:
        raise ServiceError("the service's answer is too large")
    try:
        answer = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep
        raise ServiceError("the service's answer is not JSON") from None
    if not isinstance(answer, dict):
        raise ServiceError("the service's answer is not a JSON object")
    return answer


def _problem(exc: urllib.error.HTTPError) -> dict[str, object]:
    try:
        problem = json.loads(exc.read(64 * 1024))
    except (ValueError, OSError, RecursionError):
        return {}
    return problem if isinstance(problem, dict) else {}


def _endpoint(base_url: str, path: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ServiceError("the service URL must start with http:// or https:// and name a host")
    return urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, parts.path.rstrip("/") + path, "", "")
    )


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)  # without any user:password@ the URL may carry
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"
