"""Remote chip authentication: the service is the terminal of the steps that prove the chip,
the client's reader a relay (docs/service.md, "Remote chip authentication").

A WebSocket at `/v1/relay` carries versioned JSON messages: APDUs in batches and a few control
messages. Bulk reading never crosses the network APDU by APDU: the client reads the files
under secure messaging and uploads them once; the service sends only the commands whose
answers prove something, in as few batches as their dependencies allow.

- **Hand-over** (BAC, PACE-GM/IM, any chip with AA or CA): the client opens access and reads,
  then sends the files and the secure-messaging state (keys, SSC). The service continues that
  channel with ONE batch: INTERNAL AUTHENTICATE over its own nonce (DG15), Chip
  Authentication v1 with its own ephemeral key (DG14), and a SELECT protected under the CA
  keys it derived, whose MAC only the holder of DG14's private key can produce.
- **PACE-CAM**: the service runs PACE itself through the relay (the client sends the
  password and the answers to MSE:Set AT and the first GENERAL AUTHENTICATE, which depend on
  no secret of the service), checks the chip's CAM data, reads DG1 under the channel only it
  knows yet (binding this chip to the uploaded EF.SOD), then hands the keys to the client.
- **Relay** (the baseline, and a fallback): `RemoteTransport`, a `Transport` whose every APDU
  is one round trip; the ordinary `read_document` drives the chip through it.

How batches are made (`_drive`): the service runs the ordinary protocol code (`Session`,
`clone_checks`, `pace`) over a transcript of the chip's answers so far, with its randomness
recorded. Commands past the transcript are answered optimistically (9000, protected with the
service's own copy of the keys) to learn the commands that follow; they are sent as one batch;
the run is repeated over the real answers, which must ask for exactly the commands sent. A run
that asks for nothing new has run on the chip's answers alone: its outcome is the proof.

Each connection is one session, on a thread of its own limiter; its keys, nonce and files are
dropped when the socket closes. Every message, batch and step is bounded.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast

import anyio
import anyio.from_thread
import anyio.to_thread
from prometheus_client import Counter, Gauge

from mrtd import crypto
from mrtd.access.keys import AccessKey, CANKey, MRZKey
from mrtd.access.pace import PACEResult, pace
from mrtd.access.pace.policy import AccessReport, PACEChoice, choose
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.errors import (
    AccessKeyError,
    CardRemovedError,
    DecodeError,
    MRTDError,
    MRZError,
    PACEError,
    UploadError,
)
from mrtd.lds.files import LDS_FILES
from mrtd.lds.security.infos import Mapping as PACEMapping
from mrtd.lds.security.infos import SecurityInfos
from mrtd.pipeline.clone_checks import CAMProof, active_check, cam_proof, chip_check
from mrtd.pipeline.document import Document, split_padding
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.result import ReadResult
from mrtd.pipeline.session import Session
from mrtd.pipeline.upload import _chip_outcome as client_side_chip
from mrtd.pipeline.upload import parse_upload
from mrtd.service.config import ServiceConfig
from mrtd.service.store import AuditRecord, Store
from mrtd.sm import SecureChannel
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.trust import TrustStore

try:
    from fastapi import FastAPI, WebSocket
except ImportError:  # pragma: no cover - app.py says which extra is missing
    raise

__all__ = [
    "PATH",
    "VERSION",
    "RelaySettings",
    "RemoteTransport",
    "mount_relay",
]

_log = logging.getLogger(__name__)
T = TypeVar("T")

PATH = "/v1/relay"
VERSION = 1
STEP_TIMEOUT_ENV = "MRTD_RELAY_STEP_TIMEOUT"  # seconds the service waits for one message
FAILED, PASSED = CheckStatus.FAILED, CheckStatus.PASSED
DG1 = LDS_FILES["DG1"]
INS_READ_BINARY = 0xB0
SM_NAMES = {SMAlgorithm.DES3: "3DES", SMAlgorithm.AES: "AES"}
SM_BY_NAME = {name: algorithm for algorithm, name in SM_NAMES.items()}
MAX_APDU_HEX = 2 * (65536 + 16)  # one extended command or answer, as hex
MAX_PASSWORD = 64

# WebSocket close codes (RFC 6455 §7.4.2: 4000-4999 are the application's)
CLOSE_DONE = 1000
CLOSE_POLICY = 1008  # refused at the handshake: no valid bearer token
CLOSE_BUSY = 1013  # every relay slot of this worker is taken: try again later
CLOSE_BAD_MESSAGE = 4400
CLOSE_TIMEOUT = 4408
CLOSE_TOO_LARGE = 4413
CLOSE_UNPROVEN = 4422  # the step could not be done: access refused, PACE failed
CLOSE_INTERNAL = 4500


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """The bounds of one relay session (docs/service.md, "Remote chip authentication")."""

    step_timeout: float = 15.0  # one message from the client; a stalling client is cut off
    session_timeout: float = 120.0  # the whole session, from the handshake
    max_message: int = 64 * 1024  # bytes of a message other than the files
    max_batch: int = 24  # APDUs in one batch
    max_rounds: int = 8  # batches of one proof
    max_relayed: int = 4096  # APDUs of one relay-everything session
    max_sessions: int = 32  # sessions at once in this worker (each holds a thread)

    @classmethod
    def from_environment(cls) -> RelaySettings:
        """The defaults, with `$MRTD_RELAY_STEP_TIMEOUT` (seconds) when it is set."""
        value = os.environ.get(STEP_TIMEOUT_ENV, "").strip()
        if not value:
            return cls()
        try:
            seconds = float(value)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 600:
            raise ValueError(f"{STEP_TIMEOUT_ENV} must be seconds in (0, 600]")
        return cls(step_timeout=seconds)


class Service(Protocol):
    """What the relay uses of the service's worker (`mrtd.service.app.Service`)."""

    config: ServiceConfig
    store: Store
    trust: TrustStore
    metrics: Any
    now: Callable[[], datetime]

    def authorize(self, request: Any) -> None:
        """Raise unless the caller shows one of the configured bearer tokens."""
        ...


Holder = Callable[[Document], dict[str, object] | None]


class RelayError(Exception):
    """The session ends: sent to the client as an `error` message, then the socket closes."""

    def __init__(self, code: str, detail: str, close: int = CLOSE_BAD_MESSAGE) -> None:
        super().__init__(detail)
        self.code, self.detail, self.close = code, detail, close


class _GoneError(Exception):
    """The client closed the connection."""


# -- the conversation (sync, on the session's thread) -----------------------------------------


class Conversation:
    """One client's WebSocket as the session's thread sees it: send, receive (bounded in size
    and time), exchange a batch of APDUs. Counts round trips: a message sent and its answer."""

    def __init__(self, websocket: WebSocket, settings: RelaySettings, max_files: int) -> None:
        self.websocket, self.settings, self.max_files = websocket, settings, max_files
        self.deadline = time.monotonic() + settings.session_timeout
        self.round_trips = 0
        self.apdus = 0
        self._awaiting = False

    def send(self, message: dict[str, object]) -> None:
        text = json.dumps({"v": VERSION, **message}, separators=(",", ":"))
        try:
            anyio.from_thread.run(self.websocket.send_text, text)
        except Exception as exc:  # the peer went away
            raise _GoneError from exc
        self._awaiting = True

    def receive(self, *expected: str, limit: int | None = None) -> dict[str, Any]:
        """The next message, one of the `expected` types; RelayError otherwise, when it
        does not come within the step's time, or is too large or malformed."""
        timeout = min(self.settings.step_timeout, self.deadline - time.monotonic())
        if timeout <= 0:
            raise RelayError("timeout", "the session took too long", CLOSE_TIMEOUT)
        raw = anyio.from_thread.run(self._receive, timeout)
        if self._awaiting:
            self.round_trips += 1
            self._awaiting = False
        text = raw.get("text")
        if text is None:
            data = raw.get("bytes")
            if not isinstance(data, bytes):
                raise _GoneError
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise RelayError("message-invalid", "a message is UTF-8 JSON") from None
        if len(text) > (limit or self.settings.max_message):
            raise RelayError("message-too-large", "the message is too large", CLOSE_TOO_LARGE)
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            raise RelayError("message-invalid", "the message is not JSON") from None
        if not isinstance(message, dict):
            raise RelayError("message-invalid", "a message is a JSON object")
        if message.get("v") != VERSION:
            raise RelayError("version-unsupported", f"this service speaks version {VERSION}")
        if message.get("type") not in expected:
            raise RelayError("message-unexpected", f"expected {' or '.join(expected)}")
        return message

    async def _receive(self, timeout: float) -> dict[str, Any]:
        try:
            with anyio.fail_after(timeout):
                raw = await self.websocket.receive()
        except TimeoutError:
            raise RelayError("timeout", "no message within the step's time",
                               CLOSE_TIMEOUT) from None  # fmt: skip
        if raw.get("type") != "websocket.receive":
            raise _GoneError
        return cast(dict[str, Any], raw)

    def exchange(self, apdus: list[bytes]) -> list[bytes]:
        """Have the client send `apdus` to the chip in order: the chip's answers."""
        if not 0 < len(apdus) <= self.settings.max_batch:
            raise RelayError("internal", "a batch out of bounds", CLOSE_INTERNAL)
        self.apdus += len(apdus)
        self.send({"type": "apdus", "apdus": [a.hex() for a in apdus]})
        answers = self.receive("answers").get("answers")
        if not isinstance(answers, list) or len(answers) != len(apdus):
            raise RelayError("message-invalid", "answers: one per APDU, in order")
        return [_apdu_hex(a, "answers") for a in answers]


class RemoteTransport:
    """A `Transport` whose chip is behind the client's reader: each `transmit` is one round
    trip. The service's ordinary `Session` drives it without knowing it is remote."""

    def __init__(self, conversation: Conversation, *, extended_length: bool = False) -> None:
        self.conversation = conversation
        self._extended = extended_length

    @property
    def extended_length(self) -> bool:
        return self._extended

    def transmit(self, apdu: bytes) -> bytes:
        if self.conversation.apdus >= self.conversation.settings.max_relayed:
            raise RelayError("too-many-apdus", "the session relayed too many APDUs")
        return self.conversation.exchange([bytes(apdu)])[0]

    def reconnect(self, timeout: float) -> None:
        raise CardRemovedError("a relayed card cannot be waited for")

    def close(self) -> None:
        return None


# -- batches: the protocol code over a transcript ---------------------------------------------


class _BatchFullError(Exception):
    """The run asked for more commands than a batch holds."""


class _DivergedError(Exception):
    """The run asked for another command than was sent: the chip's answers (or the client's)
    led elsewhere than a genuine chip's would."""


class _Randomness:
    """Random bytes, the same in every run of one drive: recorded the first time, replayed."""

    def __init__(self) -> None:
        self.draws: list[bytes] = []
        self.position = 0

    def restart(self) -> _Randomness:
        self.position = 0
        return self

    def __call__(self, size: int) -> bytes:
        if self.position == len(self.draws):
            self.draws.append(os.urandom(size))
        draw = self.draws[self.position]
        if len(draw) != size:
            raise _DivergedError
        self.position += 1
        return draw


class _Transcript:
    """A `Transport` over the answers received so far; past them, it plans: records the
    command and answers 9000 (under secure messaging, with the service's copy of the keys) so
    the run goes on to the next command that does not depend on a real answer."""

    def __init__(
        self, sent: list[bytes | None], answers: list[bytes], max_batch: int, extended: bool
    ) -> None:
        self.sent, self.answers, self.max_batch = sent, answers, max_batch
        self.extended_length = extended
        self.planned: list[bytes] = []
        self.link: Session | None = None
        self.position = 0

    def transmit(self, apdu: bytes) -> bytes:
        index, self.position = self.position, self.position + 1
        if index < len(self.answers):
            expected = self.sent[index]
            if expected is not None and not crypto.constant_time_equal(expected, apdu):
                raise _DivergedError
            self.sent[index] = apdu
            return self.answers[index]
        if len(self.planned) >= self.max_batch:
            raise _BatchFullError
        self.planned.append(bytes(apdu))
        channel = self.link.channel if self.link is not None else None
        if channel is None or channel.closed:
            return b"\x90\x00"
        mirror = SecureChannel(channel.algorithm, channel.k_enc, channel.k_mac, channel.ssc)
        try:
            return mirror.protect_response(ResponseAPDU(b"", 0x9000)).to_bytes()
        finally:
            mirror.wipe()

    def reconnect(self, timeout: float) -> None:
        raise CardRemovedError("a relayed card cannot be waited for")

    def close(self) -> None:
        return None


class _Link(Session):
    """The service's side of one proof: a `Session` over the transcript. Nothing can be
    opened again through a relay: a channel the chip ended stays ended."""

    def reopen(self) -> None:
        self.channel = None


@dataclass(slots=True)
class _SMState:
    """A secure channel's keys and SSC, as handed over; wiped when the session ends."""

    algorithm: SMAlgorithm
    k_enc: bytearray
    k_mac: bytearray
    ssc: bytes

    @classmethod
    def of(cls, channel: SecureChannel) -> _SMState:
        return cls(channel.algorithm, bytearray(channel.k_enc), bytearray(channel.k_mac),
                   channel.ssc)  # fmt: skip

    def channel(self) -> SecureChannel:
        return SecureChannel(self.algorithm, self.k_enc, self.k_mac, self.ssc)

    def as_message(self) -> dict[str, str]:
        return {
            "algorithm": SM_NAMES[self.algorithm],
            "k_enc": base64.b64encode(self.k_enc).decode("ascii"),
            "k_mac": base64.b64encode(self.k_mac).decode("ascii"),
            "ssc": base64.b64encode(self.ssc).decode("ascii"),
        }

    def wipe(self) -> None:
        crypto.wipe(self.k_enc, self.k_mac)


def _drive(
    conversation: Conversation,
    flow: Callable[[_Link], T],
    *,
    prepare: Callable[[_Link], None] | None = None,
    sent: list[bytes | None] | None = None,
    answers: list[bytes] | None = None,
    extended: bool = False,
) -> T:
    """Run `flow` over the chip's answers, batch by batch (see the module's docstring); its
    result once it ran on real answers alone. `sent`/`answers` are a transcript to start from
    (the PACE opening the client ran). `prepare` sets up each run's link (its channel)."""
    sent = list(sent or [])
    answers = list(answers or [])
    randomness = _Randomness()
    settings = conversation.settings
    for _ in range(settings.max_rounds + 1):
        transcript = _Transcript(sent, answers, settings.max_batch, extended)
        link = _Link(transcript, random_bytes=randomness.restart(), resume_timeout=0)
        transcript.link = link
        result: T | None = None
        try:
            if prepare is not None:
                prepare(link)
            result = flow(link)
        except _DivergedError:
            raise
        except Exception:  # a run on optimistic answers may fail anywhere
            if not transcript.planned:
                raise
        finally:
            link.close()
        if not transcript.planned:
            return cast(T, result)
        _discard(result)  # a run on provisional answers: its keys are no one's
        got = conversation.exchange(transcript.planned)
        sent.extend(transcript.planned)
        answers.extend(got)
    raise RelayError("too-many-rounds", "the proof took too many batches", CLOSE_UNPROVEN)


def _discard(result: object) -> None:
    """Wipe the key copies a discarded run made (`_PACEDone.state`)."""
    wipe = getattr(getattr(result, "state", None), "wipe", None)
    if callable(wipe):
        wipe()


# -- the session ------------------------------------------------------------------------------


@dataclass(slots=True)
class _PACEDone:
    """What the service's PACE showed: the result (CAM data), DG1 as read under the channel
    only the service knew, and the channel's state to hand over."""

    result: PACEResult
    choice: PACEChoice
    dg1: ResponseAPDU | None
    state: _SMState


@dataclass(slots=True)
class _Proofs:
    """The outcomes of one run of the clone checks, kept as they complete."""

    active: CheckOutcome | None = None
    chip: CheckOutcome | None = None
    signature: bytes | None = field(default=None, repr=False)


class RelaySession:
    """One relay session: what the client said, what the service proved."""

    def __init__(
        self,
        service: Service,
        conversation: Conversation,
        client: str | None,
        holder: Holder | None = None,
    ) -> None:
        self.service, self.conversation, self.client = service, conversation, client
        self.holder = holder
        self.flow = ""
        self.subject: str | None = None
        self.key: AccessKey | None = None
        self.nonce = os.urandom(8)  # the service's own AA challenge, fresh per session
        self.pace: _PACEDone | None = None
        self.state: _SMState | None = None

    def close(self) -> None:
        if self.key is not None:
            self.key.wipe()
        for state in (self.state, self.pace.state if self.pace is not None else None):
            if state is not None:
                state.wipe()

    def run(self) -> None:
        hello = self.conversation.receive("hello")
        self.subject = _subject(hello.get("subject"))
        mode = hello.get("mode", "proof")
        if mode not in ("proof", "relay"):
            raise RelayError("message-invalid", "mode is proof or relay")
        extended = hello.get("extended_length", False)
        if not isinstance(extended, bool):
            raise RelayError("message-invalid", "extended_length is true or false")
        password = hello.get("password")
        self.key = _password(password) if password is not None else None
        if mode == "relay":
            self._relay_everything(extended)
            return
        choice = _cam_choice(hello.get("card_access"))
        if choice is not None and self.key is not None and "pace_opening" in hello:
            self.flow = "pace-cam"
            self.pace = self._run_pace(choice, hello["pace_opening"], extended)
            self.conversation.send({"type": "keys", "sm": self.pace.state.as_message(),
                                    "access": choice.describe()})  # fmt: skip
            self.pace.state.wipe()
        else:
            self.flow = "handover"
            self.conversation.send({"type": "read"})
        files, state = self._files()
        self.state = state
        self._prove_and_answer(files, extended)

    # -- PACE-CAM, run by the service --------------------------------------------------------

    def _run_pace(self, choice: PACEChoice, opening: object, extended: bool) -> _PACEDone:
        if not isinstance(opening, dict):
            raise RelayError("message-invalid", "pace_opening is an object")
        commands = _apdu_list(opening.get("commands"), "pace_opening/commands", 2)
        answers = _apdu_list(opening.get("answers"), "pace_opening/answers", 2)
        key = self.key
        assert key is not None

        def flow(link: _Link) -> _PACEDone:
            result = link.run(pace(key, choice.info, choice.domain, link.random_bytes))
            link.channel = result.channel
            dg1: ResponseAPDU | None = None
            try:
                link.select_application()
                dg1 = link.transmit(_read_dg1(result.channel.max_short_ne()))
            except MRTDError:
                dg1 = None
            channel = link.channel
            if channel is None:  # the chip's answer under the new keys did not verify
                raise PACEError("the chip's answer under the PACE keys is not genuine")
            return _PACEDone(result, choice, dg1, _SMState.of(channel))

        try:
            return _drive(self.conversation, flow, sent=list(commands), answers=answers,
                          extended=extended)  # fmt: skip
        except PACEError as exc:
            code = "access-denied" if exc.wrong_key else "pace-failed"
            raise RelayError(code, f"PACE with the chip failed: {exc}", CLOSE_UNPROVEN) from None
        except (_DivergedError, MRTDError, ValueError):
            raise RelayError("pace-failed", "the chip's answers do not follow PACE",
                               CLOSE_UNPROVEN) from None  # fmt: skip

    # -- the files and the proofs ------------------------------------------------------------

    def _files(self) -> tuple[dict[str, bytes], _SMState | None]:
        message = self.conversation.receive("files", limit=self.conversation.max_files)
        body = message.get("upload")
        if not isinstance(body, dict):
            raise RelayError("upload-invalid", "upload is mrtd's upload format (an object)")
        if "active_authentication" in body:
            raise RelayError("upload-invalid", "the service runs Active Authentication itself")
        try:
            upload = parse_upload(body, "mrtd", max_bytes=self.conversation.max_files)
        except UploadError as exc:
            raise RelayError("upload-invalid", f"{exc} ({exc.field})") from None
        if upload.subject is not None:
            self.subject = upload.subject
        state = _sm_state(message.get("sm")) if message.get("sm") is not None else None
        return dict(upload.files), state

    def _prove_and_answer(self, given: dict[str, bytes], extended: bool) -> None:
        files: dict[str, bytes] = {}
        quirks: list[str] = []
        for name, data in given.items():
            files[name], note = split_padding(name, data)
            if note is not None:
                quirks.append(note)
        access = AccessReport()
        cam: CAMProof | None = None
        key: AccessKey | None = None
        if self.pace is not None:
            access = AccessReport(protocol="PACE", pace=self.pace.choice.describe())
            cam = _cam_of(self.pace.result, files.get("EF.CardSecurity"))
            access.chip_authentication = "passed" if cam.key is not None else "failed"
            key = self.key
        proofs = self._clone_checks(files, access, cam, extended)
        chip = proofs.chip or _unproven("chip")
        if self.pace is not None and chip.status is PASSED and chip.code == "chip.cam_passed":
            chip = _dg1_binding(self.pace.dg1, given.get("DG1")) or chip
        elif self.pace is None and chip.code == "chip.no_key":
            chip = client_side_chip(files)  # PACE-CAM offered, but the client ran access
        read = ReadResult(files=files, access=access, chip=chip,
                          active=proofs.active or _unproven("active"))  # fmt: skip
        self._answer(read, key, tuple(quirks))

    def _clone_checks(
        self,
        files: dict[str, bytes],
        access: AccessReport,
        cam: CAMProof | None,
        extended: bool,
    ) -> _Proofs:
        """AA over the service's nonce, then CA (or PACE-CAM's proof judged), in one batch
        over the client's channel; the outcomes of the checks that completed on real answers."""
        state, trust, nonce = self.state, self.service.trust, self.nonce
        kept = _Proofs()

        def prepare(link: _Link) -> None:
            link.access, link.cam, link.trust = access, cam, trust
            link.channel = state.channel() if state is not None else None

        def flow(link: _Link) -> _Proofs:
            proofs = _Proofs()
            kept.active = None  # a run's own outcome only, never a planning run's
            done = active_check(link, files, challenge=nonce)
            proofs.active, proofs.signature = done.outcome, done.signature
            kept.active = proofs.active
            proofs.chip = chip_check(link, files)
            return proofs

        try:
            return _drive(self.conversation, flow, prepare=prepare, extended=extended)
        except (_DivergedError, MRTDError, ValueError) as exc:
            _log.info("relay: the chip's answers did not prove it (%s)", type(exc).__name__)
            failed = CheckOutcome(FAILED, "the relayed answers are not a genuine chip's",
                                  "chip.failed")  # fmt: skip
            active = kept.active
            if active is None and "DG15" in files:
                active = CheckOutcome(FAILED, "the relayed answers are not a genuine chip's",
                                      "active.failed")  # fmt: skip
            return _Proofs(active=active, chip=failed)

    # -- relay everything (the baseline) -----------------------------------------------------

    def _relay_everything(self, extended: bool) -> None:
        self.flow = "relay"
        if self.key is None:
            raise RelayError("message-invalid", "relay mode needs the password")
        transport = RemoteTransport(self.conversation, extended_length=extended)
        service = self.service
        try:
            document = read_document(transport, self.key, trust=service.trust,
                                     policy=service.config.policy, resume_timeout=0,
                                     active_challenge=self.nonce,
                                     status=service.config.status)  # fmt: skip
        except MRTDError as exc:
            raise RelayError("read-failed", f"the relayed read failed: {type(exc).__name__}",
                               CLOSE_UNPROVEN) from None  # fmt: skip
        self._record_and_send(document)

    # -- the verdict -------------------------------------------------------------------------

    def _answer(self, read: ReadResult, key: AccessKey | None, quirks: tuple[str, ...]) -> None:
        moment = self.service.now()
        document = Document.from_read(
            read, trust=self.service.trust, today=moment.date(), now=moment,
            policy=self.service.config.policy, key=key, file_quirks=quirks, card_security=True,
            status=self.service.config.status,
        )  # fmt: skip
        if document.problems:
            name = document.problems[0].split(":", 1)[0]
            raise RelayError("file-unparsable", f"{name} is not a well-formed {name}")
        self._record_and_send(document, moment)

    def _record_and_send(self, document: Document, moment: datetime | None = None) -> None:
        moment = moment or self.service.now()
        verdict = document.verdict
        record = AuditRecord.of(document, time=moment, subject=self.subject,
                                client_ip=self.client)  # fmt: skip
        self.service.store.commit_verification(record, now=self.service.now())
        self.service.metrics.verifications.labels(str(verdict.status)).inc()
        _log.info("relay verification %s (%s): %s %s", record.verification_id, self.flow,
                  verdict.status, " ".join(verdict.codes))  # fmt: skip
        checks = verdict.checks
        answer: dict[str, object] = {
            "type": "verdict",
            "verification_id": record.verification_id,
            "time": _timestamp(moment),
            "verdict": verdict.as_dict(),
            "proven_by_server": {
                "passive": str(checks["passive"].status),
                "active": str(checks["active"].status),
                "chip": str(checks["chip"].status),
            },
            "relay": {
                "flow": self.flow,
                "round_trips": self.conversation.round_trips + 1,
                "apdus_relayed": self.conversation.apdus,
            },
        }
        if self.service.config.return_holder_data and self.holder is not None:
            answer["holder"] = self.holder(document)
        self.conversation.send(answer)


def _unproven(check: str) -> CheckOutcome:
    return CheckOutcome(CheckStatus.NOT_CHECKED, "not run", f"{check}.not_run")


def _cam_of(result: PACEResult, card_security: bytes | None) -> CAMProof:
    """PACE-CAM's proof with the uploaded EF.CardSecurity (verified later, with the rest)."""
    if card_security is None:
        return CAMProof(b"", None, "no EF.CardSecurity was uploaded")
    try:
        keys = SecurityInfos.from_card_security(card_security).chip_authentication_keys
    except DecodeError as exc:
        return CAMProof(b"", None, f"EF.CardSecurity is unusable: {exc}")
    return cam_proof(result, card_security, keys)


def _dg1_binding(read: ResponseAPDU | None, uploaded: bytes | None) -> CheckOutcome | None:
    """None when DG1 as the service read it under PACE's keys (before the client had them)
    begins the uploaded DG1: the chip that proved PACE-CAM is the uploaded files' chip.
    Otherwise the failure."""
    if read is None or not read.data or uploaded is None:
        return CheckOutcome(FAILED, "DG1 could not be read under the service's PACE channel",
                            "chip.failed")  # fmt: skip
    data = read.data
    whole = len(data) >= len(uploaded)
    same = uploaded[: len(data)] == data if not whole else uploaded == data[: len(uploaded)]
    if not same:
        return CheckOutcome(FAILED, "the chip that proved PACE-CAM to the service holds another "
                            "DG1 than the upload (a relay to another chip?)",
                            "chip.failed")  # fmt: skip
    return None


def _read_dg1(ne: int) -> CommandAPDU:
    """READ BINARY of DG1 by its short file identifier, its first `ne` bytes."""
    assert DG1.sfi is not None
    return CommandAPDU(0x00, INS_READ_BINARY, 0x80 | DG1.sfi, 0x00, b"", ne)


# -- message fields ---------------------------------------------------------------------------


def _apdu_hex(value: object, where: str) -> bytes:
    if not isinstance(value, str) or len(value) > MAX_APDU_HEX:
        raise RelayError("message-invalid", f"{where}: an APDU is a hex string")
    try:
        data = bytes.fromhex(value)
    except ValueError:
        raise RelayError("message-invalid", f"{where}: an APDU is a hex string") from None
    if len(data) < 2:
        raise RelayError("message-invalid", f"{where}: an answer has at least SW1 SW2")
    return data


def _apdu_list(value: object, where: str, size: int) -> list[bytes]:
    if not isinstance(value, list) or len(value) != size:
        raise RelayError("message-invalid", f"{where}: {size} APDUs")
    return [_apdu_hex(v, where) for v in value]


def _b64(value: object, where: str, sizes: tuple[int, ...]) -> bytes:
    if not isinstance(value, str) or len(value) > 64:
        raise RelayError("message-invalid", f"{where} is base64")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise RelayError("message-invalid", f"{where} is base64") from None
    if len(data) not in sizes:
        raise RelayError("message-invalid", f"{where} has the wrong length")
    return data


def _sm_state(value: object) -> _SMState:
    """The client's secure channel: its algorithm, keys and SSC after its last command."""
    if not isinstance(value, dict) or value.get("algorithm") not in SM_BY_NAME:
        raise RelayError("message-invalid", "sm: algorithm 3DES or AES, k_enc, k_mac, ssc")
    algorithm = SM_BY_NAME[value["algorithm"]]
    sizes = (16,) if algorithm is SMAlgorithm.DES3 else (16, 24, 32)
    block = 8 if algorithm is SMAlgorithm.DES3 else 16
    return _SMState(
        algorithm,
        bytearray(_b64(value.get("k_enc"), "sm/k_enc", sizes)),
        bytearray(_b64(value.get("k_mac"), "sm/k_mac", sizes)),
        _b64(value.get("ssc"), "sm/ssc", (block,)),
    )


def _password(value: object) -> AccessKey:
    """The access key the client sends for PACE run by the service (or relay mode)."""
    if not isinstance(value, dict):
        raise RelayError("message-invalid", "password: {kind: mrz|can, ...}")
    try:
        if value.get("kind") == "can":
            can = value.get("can")
            if not isinstance(can, str) or len(can) > MAX_PASSWORD:
                raise RelayError("message-invalid", "password/can is 6 digits")
            return CANKey(can)
        information = value.get("mrz_information")
        if value.get("kind") != "mrz" or not isinstance(information, str):
            raise RelayError("message-invalid", "password: kind mrz with mrz_information")
        if not 24 <= len(information) <= MAX_PASSWORD:
            raise RelayError("message-invalid", "password/mrz_information is malformed")
        key = MRZKey(information[:-15], information[-14:-8], information[-7:-1])
        if not crypto.constant_time_equal(key.mrz_information.encode(), information.encode()):
            key.wipe()
            raise RelayError("message-invalid", "password/mrz_information: a check digit")
        return key
    except (AccessKeyError, MRZError):
        raise RelayError("message-invalid", "the password is malformed") from None


def _cam_choice(value: object) -> PACEChoice | None:
    """The PACE variant the client's EF.CardAccess offers, when it is PACE-CAM."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 8192:
        raise RelayError("message-invalid", "card_access is base64")
    try:
        data = base64.b64decode(value, validate=True)
        choice = choose(SecurityInfos.from_bytes(data))
    except (binascii.Error, ValueError, DecodeError):
        raise RelayError("message-invalid", "card_access is not EF.CardAccess") from None
    if choice is None or choice.info.mapping is not PACEMapping.CAM:
        return None
    return choice


def _subject(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 128 or not value.isprintable():
        raise RelayError("message-invalid", "subject: 1 to 128 printable characters")
    return value


# -- the route --------------------------------------------------------------------------------


class RelayEndpoint:
    """`/v1/relay` on one worker: authorizes the handshake, runs each session on a thread of
    its own limiter, and keeps count of the sessions that are open (none after they end)."""

    def __init__(
        self, service: Service, settings: RelaySettings, holder: Holder | None = None
    ) -> None:
        self.service, self.settings, self.holder = service, settings, holder
        self.open = 0
        self.limiter: anyio.CapacityLimiter | None = None
        registry = service.metrics.registry
        self.gauge = Gauge("mrtd_relay_sessions_open", "Relay sessions open in this worker",
                           registry=registry)  # fmt: skip
        self.ended = Counter("mrtd_relay_sessions", "Relay sessions ended, by outcome",
                             ["outcome"], registry=registry)  # fmt: skip

    async def handle(self, websocket: WebSocket) -> None:
        try:
            self.service.authorize(websocket)  # the handshake's Authorization header
        except Exception:  # the service's refusal (a 401 problem)
            await websocket.close(code=CLOSE_POLICY)
            return
        if self.open >= self.settings.max_sessions:  # said after the handshake: a close code
            await websocket.accept()
            await websocket.close(code=CLOSE_BUSY)
            return
        if self.limiter is None:
            self.limiter = anyio.CapacityLimiter(self.settings.max_sessions)
        await websocket.accept()
        self.open += 1
        self.gauge.inc()
        max_files = self.service.config.max_body_bytes * 2  # the upload, inside one message
        conversation = Conversation(websocket, self.settings, max_files)
        client = websocket.client.host if websocket.client else None
        session = RelaySession(self.service, conversation, client, self.holder)
        close, outcome = CLOSE_INTERNAL, "internal"
        try:
            close, outcome = await anyio.to_thread.run_sync(
                self._run, session, limiter=self.limiter
            )
        finally:
            session.close()
            self.open -= 1
            self.gauge.dec()
            self.ended.labels(outcome).inc()
        with contextlib.suppress(Exception):  # the client may have left first
            await websocket.close(code=close)

    def _run(self, session: RelaySession) -> tuple[int, str]:
        """The session on its thread: the close code and the outcome for the metrics."""
        try:
            session.run()
            return CLOSE_DONE, "verdict"
        except RelayError as failure:
            _log.info("relay session ended: %s", failure.code)
            try:
                session.conversation.send(
                    {"type": "error", "code": failure.code, "detail": failure.detail}
                )
            except _GoneError:
                return CLOSE_DONE, "gone"
            return failure.close, failure.code
        except _GoneError:
            _log.info("relay session ended: the client left")
            return CLOSE_DONE, "gone"
        except Exception as exc:
            _log.error("relay session: internal error %s", type(exc).__name__)
            return CLOSE_INTERNAL, "internal"


def mount_relay(
    app: FastAPI,
    service: Service,
    settings: RelaySettings | None = None,
    *,
    holder: Holder | None = None,
) -> None:
    """Add `/v1/relay` to the service's app; its endpoint is `app.state.relay` (its
    `settings` may be replaced there). `holder` makes the answer's `holder` (DG1's data) when
    the configuration returns it."""
    endpoint = RelayEndpoint(service, settings or RelaySettings.from_environment(), holder)
    app.state.relay = endpoint
    app.add_api_websocket_route(PATH, endpoint.handle)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
