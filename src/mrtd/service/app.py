"""The verification service's ASGI application (docs/service.md).

A worker holds no state of its own: challenges and audit records live in the database, so any
worker redeems a challenge another issued, and a replay is refused at every one. Trust
material and the policy are loaded once, when the worker starts. What a request carries that
is personal (the files, DG1's data, the subject) lives for the length of the request: the
audit record keeps the document number, the subject and the client's address only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mrtd.errors import (
    ChallengeError,
    FaceError,
    MRTDError,
    OptionalDependencyError,
    ServiceConfigError,
    TrustStoreError,
    UploadError,
)
from mrtd.face.compare import compare_faces
from mrtd.pipeline.document import Document
from mrtd.service.config import CONFIG_ENV, ServiceConfig, load_config
from mrtd.verify.policy import FaceMatch
from mrtd.verify.trust import TrustStore

try:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        CollectorRegistry,
        Counter,
        Gauge,
        Histogram,
        generate_latest,
    )
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError as exc:  # pragma: no cover - the extra is part of the test lock
    raise OptionalDependencyError(
        "the verification service needs the service extra: pip install 'mrtd[service]'"
    ) from exc

from mrtd.pipeline.upload import Upload, parse_upload, verify_upload
from mrtd.service.relay import mount_relay
from mrtd.service.store import AuditRecord, Challenge, Store, StoreUnavailableError

__all__ = ["PROBLEM_TYPE", "Problem", "app_from_environment", "create_app"]

_log = logging.getLogger(__name__)

PROBLEM_TYPE = "urn:mrtd:problem:"  # + a slug; the slugs are listed in docs/service.md
JSON_TYPES = ("application/json",)
UPLOAD_FORMATS = ("auto", "mrtd", "nfcpassportreader", "jmrtd", "zeropass")
CLEANUP_EVERY = 256  # challenges issued by one worker between two purges of expired ones
VERIFY_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class Problem(Exception):  # noqa: N818 - it is the RFC 9457 word
    """An RFC 9457 problem document: `slug` makes the type URI, `pointer` names the field of
    the request at fault (JSON pointer) without echoing its value."""

    def __init__(
        self, status: int, slug: str, title: str, detail: str = "", pointer: str = ""
    ) -> None:
        super().__init__(detail or title)
        self.status, self.slug, self.title = status, slug, title
        self.detail, self.pointer = detail, pointer

    def document(self, instance: str) -> dict[str, object]:
        body: dict[str, object] = {
            "type": PROBLEM_TYPE + self.slug,
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        body["instance"] = instance
        if self.pointer:
            body["errors"] = [{"pointer": self.pointer, "detail": self.detail or self.title}]
        return body


@dataclass(frozen=True, slots=True)
class TrustSummary:
    """What /healthz and /metrics say of the trust material: how much, and how old."""

    loaded: datetime
    certificates: int
    crls: int
    oldest_crl_update: datetime | None  # thisUpdate of the oldest CRL loaded
    earliest_crl_expiry: datetime | None  # nextUpdate soonest reached

    @classmethod
    def of(cls, trust: TrustStore, loaded: datetime) -> TrustSummary:
        updates, expiries = [], []
        for certificate_list in trust.crls:
            tbs = certificate_list["tbs_cert_list"]
            updates.append(tbs["this_update"].native)
            if tbs["next_update"].native is not None:
                expiries.append(tbs["next_update"].native)
        return cls(
            loaded,
            len(trust.certificates),
            len(trust.crls),
            min(updates, default=None),
            min(expiries, default=None),
        )

    def as_dict(self, now: datetime) -> dict[str, object]:
        def age(moment: datetime | None) -> float | None:
            return None if moment is None else round((now - moment).total_seconds(), 3)

        return {
            "certificates": self.certificates,
            "crls": self.crls,
            "loaded_seconds_ago": age(self.loaded),
            "oldest_crl_age_seconds": age(self.oldest_crl_update),
            "crl_expires_in_seconds": (
                None
                if self.earliest_crl_expiry is None
                else round((self.earliest_crl_expiry - now).total_seconds(), 3)
            ),
        }


class Metrics:
    """The worker's Prometheus metrics, in a registry of its own (one app, one registry)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.verifications = Counter(
            "mrtd_verifications", "Verifications answered, by verdict", ["verdict"],
            registry=self.registry,
        )  # fmt: skip
        self.verify_seconds = Histogram(
            "mrtd_verification_seconds", "Time to verify one upload and record it",
            buckets=VERIFY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.challenges = Counter(
            "mrtd_challenges_issued", "Challenges issued", registry=self.registry
        )
        self.problems = Counter(
            "mrtd_problems", "Requests refused, by problem type", ["type"], registry=self.registry
        )
        self.trust_age = Gauge(
            "mrtd_trust_loaded_age_seconds", "Seconds since the trust material was loaded",
            registry=self.registry,
        )  # fmt: skip
        self.crl_age = Gauge(
            "mrtd_trust_oldest_crl_age_seconds", "Age of the oldest CRL loaded (thisUpdate)",
            registry=self.registry,
        )  # fmt: skip
        self.trust_certificates = Gauge(
            "mrtd_trust_certificates", "CSCA and link certificates loaded", registry=self.registry
        )


def load_trust(config: ServiceConfig) -> TrustStore:
    """The trust store of the configuration; a path that cannot be read stops the start."""
    try:
        trust = TrustStore.from_paths(config.trust_paths, allow_test_pki=config.allow_test_pki)
    except (OSError, TrustStoreError) as exc:
        raise ServiceConfigError(f"trust material: {exc}") from exc
    for problem in trust.problems:
        _log.warning("trust material not used: %s: %s", problem.source, problem.reason)
    return trust


def create_app(
    config: ServiceConfig | None = None,
    *,
    store: Store | None = None,
    trust: TrustStore | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The service for `config` (the defaults without one). The database schema is brought up
    to date when `config.migrate`, and checked otherwise; `store`, `trust` and `clock` let a
    test or an embedding application hand in its own."""
    config = config or ServiceConfig()
    if store is None:
        store = Store(config.database_url, audit=config.audit_settings())
    if config.migrate:
        store.migrate()
    else:
        store.check_schema()
    trust = trust if trust is not None else load_trust(config)
    service = Service(config, store, trust, clock or (lambda: datetime.now(UTC)))
    app = FastAPI(
        title="mrtd verification service",
        version="1",
        summary="Verifies what a phone or kiosk read from an eMRTD chip; keeps no personal data",
    )
    app.state.service = service
    app.add_exception_handler(Problem, service.on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, service.on_http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, service.on_invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StoreUnavailableError, service.on_store_down)  # type: ignore[arg-type]
    app.add_api_route("/v1/challenges", service.issue_challenge, methods=["POST"],
                      status_code=201, tags=["verification"])  # fmt: skip
    app.add_api_route("/v1/verifications", service.verify, methods=["POST"],
                      tags=["verification"])  # fmt: skip
    app.add_api_route("/healthz", service.healthz, methods=["GET"], tags=["operations"])
    app.add_api_route("/metrics", service.prometheus, methods=["GET"], tags=["operations"])
    app.add_middleware(_NoInternals, service=service)
    mount_relay(app, service, holder=_holder)  # /v1/relay: remote chip authentication
    return app


class Service:
    """One worker's routes over the shared database, its trust material and policy."""

    def __init__(
        self,
        config: ServiceConfig,
        store: Store,
        trust: TrustStore,
        now: Callable[[], datetime],
    ) -> None:
        self.config, self.store, self.trust, self.now = config, store, trust, now
        self.summary = TrustSummary.of(trust, now())
        self.metrics = Metrics()
        self.issued = 0

    # -- routes ------------------------------------------------------------------------------

    async def issue_challenge(self, request: Request) -> dict[str, object]:
        """A single-use nonce for Active Authentication: the chip signs `nonce`, the upload
        names `id`. Redeemable once, at any worker, until `expires`."""
        self.authorize(request)
        self.issued += 1
        cleanup = self.issued % CLEANUP_EVERY == 0  # expired challenges go: the table stays small
        challenge = await run_in_threadpool(self._issue, self.now(), cleanup)
        self.metrics.challenges.inc()
        return {
            "id": challenge.id,
            "nonce": base64.b64encode(challenge.nonce).decode("ascii"),
            "expires": _timestamp(challenge.expires),
        }

    def _issue(self, moment: datetime, cleanup: bool) -> Challenge:
        challenge = self.store.issue_challenge(now=moment, ttl=self.config.challenge_ttl)
        if cleanup:
            self.store.delete_expired_challenges(now=moment)
        return challenge

    async def verify(self, request: Request, format: str = "auto") -> dict[str, object]:  # noqa: A002
        """Verify an upload: the chip's files as read and, for a chip with DG15, Active
        Authentication's signature over a challenge of this service. The verdict is decided
        under the configured policy; an audit record is written in the same transaction that
        redeems the challenge."""
        started = time.perf_counter()
        self.authorize(request)
        if format not in UPLOAD_FORMATS:
            raise Problem(400, "format-unknown", "Unknown upload format",
                          f"format is one of {', '.join(UPLOAD_FORMATS)}", "/format")  # fmt: skip
        body = await _limited_body(request, self.config.max_body_bytes)
        try:
            upload = parse_upload(body, format, max_bytes=self.config.max_body_bytes)
        except UploadError as exc:
            raise Problem(400, "upload-invalid", "The upload cannot be used", str(exc),
                          exc.field) from None  # fmt: skip
        if upload.challenge_id is None and upload.aa_signature is not None:
            raise Problem(400, "challenge-missing", "The signature answers no challenge",
                          "an Active Authentication signature must answer a challenge of this "
                          "service (POST /v1/challenges)",
                          "/active_authentication/challenge_id")  # fmt: skip
        client_ip = request.client.host if request.client else None
        # one hop off the event loop for the whole of it: the nonce, the verification, the
        # audit record in the redeeming transaction, the face
        document, record, face = await run_in_threadpool(self._verify_and_record, upload, client_ip)
        verdict, moment = document.verdict, record.time
        self.metrics.verifications.labels(str(verdict.status)).inc()
        self.metrics.verify_seconds.observe(time.perf_counter() - started)
        _log.info("verification %s: %s %s", record.verification_id, verdict.status,
                  " ".join(verdict.codes))  # fmt: skip
        del upload  # the capture goes no further: never stored, never logged
        answer: dict[str, object] = {
            "verification_id": record.verification_id,
            "time": _timestamp(moment),
            "accepted": verdict.genuine and (face["decision"] == "match" or not face["required"]),
            "verdict": verdict.as_dict(),
            "face": face,
            "proven_by_server": _proven_by_server(document, record.challenge_id is not None),
        }
        if self.config.return_holder_data:
            answer["holder"] = _holder(document)
        return answer

    def _verify_and_record(
        self, upload: Upload, client_ip: str | None
    ) -> tuple[Document, AuditRecord, dict[str, Any]]:
        """The blocking part of a verification, on a worker thread."""
        nonce = None
        if upload.challenge_id is not None:
            nonce = _nonce(self.store, upload.challenge_id, self.now())
        moment = self.now()
        document = _verify(upload, nonce, self.trust, self.config, moment)
        record = AuditRecord.of(document, time=moment, subject=upload.subject,
                                client_ip=client_ip, challenge_id=upload.challenge_id)  # fmt: skip
        try:
            self.store.commit_verification(record, now=self.now())
        except ChallengeError as exc:
            raise _challenge_problem(exc) from None
        return document, record, _face(upload.capture, document, self.config)

    async def healthz(self) -> JSONResponse:
        """Whether this worker can serve: the database answers; the trust material's age."""
        database = "ok"
        try:
            await run_in_threadpool(self.store.ping)
        except StoreUnavailableError:
            database = "unavailable"
        body = {
            "status": "ok" if database == "ok" else "unavailable",
            "database": {"status": database, "dialect": self.store.dialect},
            "trust": self.summary.as_dict(self.now()),
            "policy": self.config.policy.name,
            "status_provider": self.config.status.name if self.config.status else None,
        }
        return JSONResponse(body, status_code=200 if database == "ok" else 503)

    async def prometheus(self) -> Response:
        """Prometheus text format: verifications by verdict, latency, problems, trust age."""
        moment, summary, metrics = self.now(), self.summary, self.metrics
        metrics.trust_age.set((moment - summary.loaded).total_seconds())
        if summary.oldest_crl_update is not None:
            metrics.crl_age.set((moment - summary.oldest_crl_update).total_seconds())
        metrics.trust_certificates.set(summary.certificates)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def authorize(self, request: Request) -> None:
        """With `api_tokens` configured, a caller shows one as `Authorization: Bearer`. Its
        SHA-256 is compared with every configured hash in constant time, all of them, so
        neither the match nor its position shows in the timing."""
        hashes = self.config.api_token_hashes
        if not hashes:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        presented = hashlib.sha256(token.strip().encode()).digest()
        matched = False
        for expected in hashes:
            matched |= hmac.compare_digest(presented, expected)
        if scheme.lower() != "bearer" or not token.strip() or not matched:
            raise Problem(401, "unauthorized", "A valid bearer token is required",
                          "send Authorization: Bearer <token>")  # fmt: skip

    # -- errors ------------------------------------------------------------------------------

    def problem_response(self, problem: Problem, request: Request) -> JSONResponse:
        self.metrics.problems.labels(problem.slug).inc()
        headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
        return JSONResponse(
            problem.document(request.url.path),
            status_code=problem.status,
            media_type="application/problem+json",
            headers=headers,
        )

    async def on_problem(self, request: Request, exc: Problem) -> JSONResponse:
        return self.problem_response(exc, request)

    async def on_http(self, request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        return self.problem_response(Problem(exc.status_code, slug, str(exc.detail)), request)

    async def on_invalid(self, request: Request, exc: RequestValidationError) -> JSONResponse:
        where = exc.errors()[0].get("loc", ()) if exc.errors() else ()
        pointer = "/" + "/".join(str(p) for p in where[1:]) if len(where) > 1 else ""
        problem = Problem(400, "request-invalid", "The request is not valid", pointer=pointer)
        return self.problem_response(problem, request)

    async def on_store_down(self, request: Request, exc: StoreUnavailableError) -> JSONResponse:
        _log.error("database unavailable: %s", type(exc).__name__)
        problem = Problem(503, "database-unavailable", "The database cannot be reached")
        return self.problem_response(problem, request)

    def internal_error(self, path: str) -> JSONResponse:
        """A bug: a 500 problem document that names nothing of the request or the code."""
        self.metrics.problems.labels("internal").inc()
        problem = Problem(500, "internal", "Internal error")
        return JSONResponse(
            problem.document(path), status_code=500, media_type="application/problem+json"
        )


class _NoInternals:
    """ASGI middleware (a plain one: Starlette's BaseHTTPMiddleware costs a task and a queue
    per request): an exception that escapes the routes becomes `internal_error`, logged by
    its type only; after the answer has begun, the connection is just closed."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            _log.error("internal error %s on %s", type(exc).__name__, scope.get("path", ""))
            if not started:
                await self.service.internal_error(scope.get("path", ""))(scope, receive, send)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _limited_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes `limit` (a declared length first), and refused
    unless it is JSON."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in JSON_TYPES and not content_type.endswith("+json"):
        raise Problem(415, "unsupported-media-type", "The upload is JSON",
                      "send Content-Type: application/json")  # fmt: skip
    declared = request.headers.get("content-length")
    too_large = Problem(413, "body-too-large", "The upload is too large",
                        f"the service accepts at most {limit} bytes")  # fmt: skip
    if declared is not None:
        if not declared.isdigit():
            raise Problem(400, "request-invalid", "Content-Length is not a number")
        if int(declared) > limit:
            raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _nonce(store: Store, challenge_id: str, now: datetime) -> bytes:
    try:
        return store.challenge_nonce(challenge_id, now=now)
    except ChallengeError as exc:
        raise _challenge_problem(exc) from None


def _challenge_problem(exc: ChallengeError) -> Problem:
    pointer = "/active_authentication/challenge_id"
    if exc.reason == "used":
        return Problem(409, "challenge-used", "The challenge was already used",
                       "each challenge is redeemed once: ask for a new one", pointer)  # fmt: skip
    if exc.reason == "expired":
        return Problem(422, "challenge-expired", "The challenge has expired",
                       "ask for a new challenge and read the chip again", pointer)  # fmt: skip
    return Problem(422, "challenge-unknown", "The challenge is not one of this service's",
                   "", pointer)  # fmt: skip


def _verify(
    upload: Any, nonce: bytes | None, trust: TrustStore, config: ServiceConfig, now: datetime
) -> Document:
    """The verification itself (CPU-bound: run off the event loop). A file that does not
    parse is the client's problem (422), not a verdict."""
    try:
        document = verify_upload(
            upload.files,  # never the client's own challenge: only this service's nonce
            challenge=nonce,
            signature=upload.aa_signature if nonce is not None else None,
            trust=trust,
            policy=config.policy,
            today=now.date(),
            now=now,
            status=config.status,
        )
    except UploadError as exc:
        raise Problem(422, "upload-unverifiable", "The upload cannot be verified", str(exc),
                      exc.field) from None  # fmt: skip
    except MRTDError as exc:
        raise Problem(422, "upload-unverifiable", "The upload cannot be verified",
                      type(exc).__name__) from None  # fmt: skip
    if document.problems:
        name = document.problems[0].split(":", 1)[0]
        raise Problem(422, "file-unparsable", "A file of the upload does not parse",
                      f"{name} is not a well-formed {name}", f"/files/{name}")  # fmt: skip
    return document


def _face(capture: bytes | None, document: Document, config: ServiceConfig) -> dict[str, Any]:
    """The `face` field (docs/service.md, "Face comparison"): the capture compared with DG2's
    portrait, or why not. It never changes the verdict; under `face_match = "required"` the
    answer is `accepted` only for a match. Nothing of the capture is kept or logged."""
    required = config.policy.face_match is FaceMatch.REQUIRED
    if capture is None:
        return {"required": required, "decision": "not_compared", "reason": "no_capture"}
    try:
        result = compare_faces(capture, document)
    except FaceError as exc:
        return {"required": required, "decision": "refused", "reason": exc.reason,
                "image": exc.image}  # fmt: skip
    except OptionalDependencyError:
        _log.warning("a capture was sent but the face extra is not installed")
        return {"required": required, "decision": "not_compared", "reason": "unavailable"}
    return {"required": required, **result.as_json()}


def _proven_by_server(document: Document, challenged: bool) -> dict[str, str]:
    """What this service itself proved, as opposed to what a client could claim."""
    checks = document.verdict.checks
    active = checks["active"]
    return {
        "passive": str(checks["passive"].status),
        "active": str(active.status) if challenged else "not_proven: no challenge of this service",
        "chip": "not_proven: Chip Authentication and PACE-CAM run by a client prove nothing "
        "to a server",
    }


def _holder(document: Document) -> dict[str, object] | None:
    mrz = document.mrz
    if mrz is None:
        return None
    return {
        "document_code": mrz.document_code,
        "issuing_state": mrz.issuing_state,
        "document_number": mrz.document_number,
        "surname": mrz.surname,
        "given_names": mrz.given_names,
        "nationality": mrz.nationality,
        "birth_date": mrz.birth_date.isoformat() if mrz.birth_date else mrz.birth_date_text,
        "sex": mrz.sex,
        "expiry_date": mrz.expiry_date.isoformat() if mrz.expiry_date else mrz.expiry_date_text,
    }


def app_from_environment() -> FastAPI:
    """The app of the configuration file named by $MRTD_SERVICE_CONFIG (the defaults without
    it): what each uvicorn worker process of `mrtd serve` builds."""
    return create_app(load_config(os.environ.get(CONFIG_ENV) or None))
