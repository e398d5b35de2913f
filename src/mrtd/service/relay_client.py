"""The client side of remote chip authentication: the reader relays what the service sends.

    answer = prove_remotely("https://verify.example", "pcsc", key, subject="cust-1")
    answer["verdict"]["status"], answer["proven_by_server"]["chip"]

The client reads the chip's files itself, under secure messaging (its own access, or the keys
the service hands over after running PACE-CAM itself), uploads them once, and sends the
chip the service's batches of commands as they come, answering each batch in one message.
Protocol: docs/service.md, "Remote chip authentication". Needs the `websockets` package (the
service extra); everything else is the library's.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Literal

from mrtd.access.keys import AccessKey, CANKey
from mrtd.access.pace import pace
from mrtd.access.pace.policy import PACEChoice, choose
from mrtd.apdu import SHORT_MAX_NE, ResponseAPDU
from mrtd.crypto import SMAlgorithm, wipe
from mrtd.errors import (
    CardStatusError,
    DecodeError,
    OptionalDependencyError,
    ServiceError,
    TransportError,
)
from mrtd.lds.files import LDS_FILES
from mrtd.lds.security.infos import Mapping as PACEMapping
from mrtd.lds.security.infos import SecurityInfos
from mrtd.pipeline.read_binary import ChunkPolicy, EmptyFileError, read_file
from mrtd.pipeline.result import ReadResult
from mrtd.pipeline.session import Session
from mrtd.readers.base import Transport
from mrtd.readers.open import open_reader
from mrtd.service.client import TOKEN_ENV, upload_body
from mrtd.sm import SecureChannel

__all__ = ["RelayStats", "prove_remotely", "relay_url"]

VERSION = 1
RELAY_PATH = "/v1/relay"
MAX_MESSAGE = 1 << 20  # what the service sends: batches and a verdict
SM_BY_NAME = {"3DES": SMAlgorithm.DES3, "AES": SMAlgorithm.AES}
SM_NAMES = {algorithm: name for name, algorithm in SM_BY_NAME.items()}
Mode = Literal["proof", "relay"]


@dataclass(slots=True)
class RelayStats:
    """What one remote proof cost the client: messages, APDUs relayed, time."""

    round_trips: int = 0  # a message sent to the service and its answer awaited
    apdus_relayed: int = 0  # APDUs the service had the chip answer
    apdus_local: int = 0  # APDUs of the client's own reading
    seconds: float = 0.0
    flow: str = ""
    timeline: list[tuple[str, float]] = field(default_factory=list)


def relay_url(base_url: str) -> str:
    """The relay's WebSocket URL for the service at `base_url` (http(s):// or ws(s)://)."""
    parts = urllib.parse.urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ServiceError("the service URL must start with http(s):// or ws(s):// and name a host")
    path = parts.path.rstrip("/")
    if not path.endswith(RELAY_PATH):
        path += RELAY_PATH
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, "", ""))


def prove_remotely(
    base_url: str,
    source: Transport | str,
    key: AccessKey,
    *,
    subject: str | None = None,
    mode: Mode = "proof",
    timeout: float = 30.0,
    stats: RelayStats | None = None,
) -> dict[str, Any]:
    """Have the service at `base_url` prove the chip in `source` (a reader name, or an open
    `Transport`, which stays the caller's): the service's verdict, as `POST /v1/verifications`
    answers it, with `relay` (the flow, round trips, APDUs relayed). `mode="relay"` relays
    every APDU of the read (the baseline). A refusal is a `ServiceError`; a reader failure the
    reader's error."""
    try:
        from websockets.exceptions import WebSocketException  # noqa: PLC0415 - optional extra
        from websockets.sync.client import connect  # noqa: PLC0415
    except ImportError as exc:
        raise OptionalDependencyError(
            "remote chip authentication needs websockets: pip install 'mrtd[service]'"
        ) from exc
    stats = stats if stats is not None else RelayStats()
    started = time.perf_counter()
    transport = open_reader(source) if isinstance(source, str) else source
    headers = {}
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with connect(
            relay_url(base_url),
            additional_headers=headers,
            open_timeout=timeout,
            close_timeout=2,
            max_size=MAX_MESSAGE,
        ) as socket:
            link = _Link(socket, timeout, stats)
            return _Client(link, transport, key, subject, stats).run(mode)
    except (WebSocketException, OSError, TimeoutError) as exc:
        raise ServiceError(f"the relay to the service failed: {type(exc).__name__}") from None
    finally:
        stats.seconds = time.perf_counter() - started
        if isinstance(source, str):
            transport.close()


class _Link:
    """The WebSocket as the client uses it: JSON messages, round trips counted."""

    def __init__(self, socket: Any, timeout: float, stats: RelayStats) -> None:
        self.socket, self.timeout, self.stats = socket, timeout, stats
        self.started = time.perf_counter()

    def send(self, message: dict[str, object]) -> None:
        self.socket.send(json.dumps({"v": VERSION, **message}, separators=(",", ":")))
        self.stats.round_trips += 1

    def receive(self) -> dict[str, Any]:
        raw = self.socket.recv(timeout=self.timeout)
        try:
            message = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            raise ServiceError("the service sent a message that is not JSON") from None
        if not isinstance(message, dict) or message.get("v") != VERSION:
            raise ServiceError("the service speaks another version of the relay protocol")
        kind = message.get("type")
        self.stats.timeline.append((str(kind), time.perf_counter() - self.started))
        if kind == "error":
            raise ServiceError(f"the service ended the relay: {message.get('code')}: "
                               f"{message.get('detail')}", 0, message)  # fmt: skip
        return message


class _Client:
    def __init__(
        self,
        link: _Link,
        transport: Transport,
        key: AccessKey,
        subject: str | None,
        stats: RelayStats,
    ) -> None:
        self.link, self.transport, self.key = link, transport, key
        self.subject, self.stats = subject, stats

    def run(self, mode: Mode) -> dict[str, Any]:
        extended = bool(self.transport.extended_length)
        hello: dict[str, object] = {"type": "hello", "mode": mode, "extended_length": extended}
        if self.subject is not None:
            hello["subject"] = self.subject
        if mode == "relay":
            hello["password"] = _password(self.key)
            self.link.send(hello)
            return self._relay_until_verdict()
        card_access, choice = self._card_access()
        if card_access is not None:
            hello["card_access"] = base64.b64encode(card_access).decode("ascii")
        if choice is not None and choice.info.mapping is PACEMapping.CAM:
            hello["password"] = _password(self.key)
            hello["pace_opening"] = self._pace_opening(choice)
        self.link.send(hello)
        message = self._relay_until("keys", "read")
        session: Session
        if message["type"] == "keys":
            self.stats.flow = "pace-cam"
            channel = _channel(message.get("sm"))
            session = _HandedOver(self.transport, channel, card_access, message.get("access"))
        else:
            self.stats.flow = "handover"
            session = Session(self.transport, resume_timeout=0)
        try:
            read = session.read_document(self.key, authenticate=False)
            self.stats.apdus_local += session.stats.apdus
            files: dict[str, object] = {"type": "files", "upload": self._upload(read)}
            if session.channel is not None:
                files["sm"] = _state(session.channel)
        finally:
            session.close()  # the channel's keys are the service's from here on
        self.link.send(files)
        return self._relay_until_verdict()

    # -- steps -----------------------------------------------------------------------------

    def _card_access(self) -> tuple[bytes | None, PACEChoice | None]:
        """EF.CardAccess, read plain (the chip's PACE offer), and the variant it offers."""
        probe = Session(self.transport, resume_timeout=0)
        info = LDS_FILES["EF.CardAccess"]
        plain = ChunkPolicy(short_max=SHORT_MAX_NE, extended_max=0)
        try:
            data = probe.run(read_file(info.fid, info.sfi, plain))
        except (CardStatusError, EmptyFileError, DecodeError):
            return None, None
        finally:
            self.stats.apdus_local += probe.stats.apdus
        try:
            return data, choose(SecurityInfos.from_bytes(data))
        except DecodeError:
            return data, None

    def _pace_opening(self, choice: PACEChoice) -> dict[str, list[str]]:
        """MSE:Set AT and the first GENERAL AUTHENTICATE of PACE, sent by the client: they
        depend on no secret of the service, and save it a round trip. The service checks they
        are the commands it would send, and runs the rest."""
        protocol = pace(self.key, choice.info, choice.domain)
        commands, answers = [], []
        try:
            command = next(protocol)
            for step in range(2):
                raw = command.to_bytes()
                answer = self.transport.transmit(raw)
                commands.append(raw.hex())
                answers.append(answer.hex())
                self.stats.apdus_local += 1
                if step == 0:
                    command = protocol.send(ResponseAPDU.from_bytes(answer))
        finally:
            protocol.close()
        return {"commands": commands, "answers": answers}

    def _relay_until(self, *kinds: str) -> dict[str, Any]:
        """Answer the service's batches until it sends one of `kinds`."""
        while True:
            message = self.link.receive()
            kind = message.get("type")
            if kind in kinds:
                return message
            if kind != "apdus":
                raise ServiceError(f"the service sent an unexpected message ({kind})")
            self._answer(message)

    def _relay_until_verdict(self) -> dict[str, Any]:
        message = self._relay_until("verdict")
        message.pop("type", None)
        message.pop("v", None)
        relay = message.setdefault("relay", {})
        if isinstance(relay, dict):
            relay["client_round_trips"] = self.stats.round_trips
        return message

    def _answer(self, message: dict[str, Any]) -> None:
        apdus = message.get("apdus")
        if not isinstance(apdus, list) or not all(isinstance(a, str) for a in apdus):
            raise ServiceError("the service sent a malformed batch")
        answers = []
        for hexed in apdus:
            try:
                raw = bytes.fromhex(hexed)
            except ValueError:
                raise ServiceError("the service sent a malformed APDU") from None
            answers.append(self.transport.transmit(raw).hex())
            self.stats.apdus_relayed += 1
        self.link.send({"type": "answers", "answers": answers})

    def _upload(self, read: ReadResult) -> dict[str, object]:
        return upload_body(read.files, subject=self.subject)


class _HandedOver(Session):
    """A session on the channel the service opened with PACE: no access protocol of its own.
    The service left the chip in the eMRTD application; EF.CardSecurity (in the master
    file) is read first, then the application selected again."""

    def __init__(
        self,
        transport: Transport,
        channel: SecureChannel,
        card_access: bytes | None,
        access: object,
    ) -> None:
        super().__init__(transport, resume_timeout=0)
        self._handed: SecureChannel | None = channel
        self.card_access = card_access
        self._access_probed = True
        if isinstance(access, dict):
            self.access.pace = {str(k): str(v) for k, v in access.items()}

    def _open(self) -> None:
        channel, self._handed = self._handed, None
        if channel is None:  # the card left the field: the service's channel is gone
            raise TransportError("the secure channel the service opened is gone: start again")
        self.channel = channel
        self.access.protocol = "PACE"
        self._learn_limits(channel)
        assert self.policy is not None
        self._in_application = True
        self._select_master_file()
        info = LDS_FILES["EF.CardSecurity"]
        policy = ChunkPolicy(short_max=channel.max_short_ne(), extended_max=0)
        try:
            self.card_security = self._remember(info.name, self._read_ef(info, policy))
        except (CardStatusError, DecodeError):
            self.card_security = None  # the service judges PACE-CAM without it: not proven
        self.select_application()


def _password(key: AccessKey) -> dict[str, str]:
    if isinstance(key, CANKey):
        return {"kind": "can", "can": key.password.decode("ascii")}
    return {"kind": "mrz", "mrz_information": key.mrz_information}


def _state(channel: SecureChannel) -> dict[str, str]:
    return {
        "algorithm": SM_NAMES[channel.algorithm],
        "k_enc": base64.b64encode(channel.k_enc).decode("ascii"),
        "k_mac": base64.b64encode(channel.k_mac).decode("ascii"),
        "ssc": base64.b64encode(channel.ssc).decode("ascii"),
    }


def _channel(value: object) -> SecureChannel:
    if not isinstance(value, dict) or value.get("algorithm") not in SM_BY_NAME:
        raise ServiceError("the service's keys are malformed")
    try:
        k_enc = bytearray(base64.b64decode(str(value["k_enc"]), validate=True))
        k_mac = bytearray(base64.b64decode(str(value["k_mac"]), validate=True))
        ssc = base64.b64decode(str(value["ssc"]), validate=True)
    except (KeyError, ValueError):
        raise ServiceError("the service's keys are malformed") from None
    try:
        return SecureChannel(SM_BY_NAME[value["algorithm"]], k_enc, k_mac, ssc)
    except ValueError:
        raise ServiceError("the service's keys are malformed") from None
    finally:
        wipe(k_enc, k_mac)
