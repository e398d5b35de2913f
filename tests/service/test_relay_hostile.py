"""Hostile clients of `/v1/relay`: forged chip answers, a replayed session, Chip
Authentication or PACE-CAM relayed to another genuine chip than the uploaded files', a
connection dropped mid-step, a stalling client, oversized and malformed messages, too many
sessions. Each: never `genuine`, bounded in time, and no session left open in the service."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from mrtd.access.keys import CANKey
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.errors import MRTDError, ServiceError
from mrtd.pipeline.result import ReadResult
from mrtd.pipeline.session import Session
from mrtd.readers.base import Transport
from mrtd.readers.simulated import SimulatedReader
from mrtd.service import relay_client
from mrtd.service.client import upload_body
from mrtd.service.relay import RelaySettings
from mrtd.service.relay_client import RelayStats, prove_remotely, relay_url
from mrtd.service.store import Store
from mrtd.sm import SecureChannel
from tests.service.test_relay import (  # noqa: F401 - fixtures
    AA_ONLY,
    CA_ONLY,
    OTHER_DOCUMENT,
    PACE_CAM,
    Served,
    chip,
    make_app,
    mrz_key,
    serve_in_thread,
    served,
    sqlite_store,
)

BOUND = 10.0  # seconds any hostile session may take


class Raw:
    """A client that speaks the relay protocol by hand."""

    def __init__(self, url: str) -> None:
        self.socket: ClientConnection = connect(
            relay_url(url), open_timeout=5, close_timeout=2, legacy=True
        )

    def send(self, **message: object) -> None:
        self.socket.send(json.dumps({"v": 1, **message}))

    def send_text(self, text: str) -> None:
        self.socket.send(text)

    def receive(self, timeout: float = BOUND) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.socket.recv(timeout=timeout))
        return message

    def closed_with(self, timeout: float = BOUND) -> int | None:
        """The close code the service ended the connection with (messages before it skipped)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.socket.recv(timeout=deadline - time.monotonic())
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None
        raise AssertionError("the service did not close the connection")

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def raw(served: Served) -> Iterator[Raw]:  # noqa: F811 - the fixture
    client = Raw(served.url)
    try:
        yield client
    finally:
        client.close()


def local_read(reader: SimulatedReader, key: Any) -> tuple[ReadResult, dict[str, str]]:
    """What an honest client reads and the state of its secure channel after it."""
    session = Session(reader, resume_timeout=0)
    read = session.read_document(key, authenticate=False)
    assert session.channel is not None
    return read, relay_client._state(session.channel)


def relay_batches(
    raw: Raw, transport: Transport, record: list[str] | None = None
) -> dict[str, Any]:
    """Answer batches through `transport` until the verdict or an error."""
    while True:
        message = raw.receive()
        if message["type"] != "apdus":
            return message
        answers = [transport.transmit(bytes.fromhex(a)).hex() for a in message["apdus"]]
        if record is not None:
            record.extend(answers)
        raw.send(type="answers", answers=answers)


def not_genuine(answer: dict[str, Any]) -> None:
    assert answer["type"] in ("verdict", "error"), answer
    if answer["type"] == "verdict":
        assert answer["verdict"]["status"] != "genuine"
        assert answer["proven_by_server"]["chip"] != "passed" or (
            answer["proven_by_server"]["active"] == "failed"
        )


# -- forged answers ---------------------------------------------------------------------------


class BadMACClient(relay_client._Client):
    """An honest client but for the answers it relays: one bit of each flipped before SW1."""

    def _answer(self, message: dict[str, Any]) -> None:
        inner = self.transport

        class Flipping:
            extended_length = inner.extended_length

            def transmit(self, apdu: bytes) -> bytes:
                answer = bytearray(inner.transmit(apdu))
                if len(answer) > 2:
                    answer[-3] ^= 0x01
                return bytes(answer)

        self.transport = Flipping()  # type: ignore[assignment]
        try:
            super()._answer(message)
        finally:
            self.transport = inner


@pytest.mark.parametrize("settings", [CA_ONLY, AA_ONLY, PACE_CAM], ids=["ca", "aa", "pace-cam"])
def test_answers_with_bad_macs_are_never_genuine(
    served: Served,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, object],
) -> None:
    monkeypatch.setattr(relay_client, "_Client", BadMACClient)
    reader, profile = chip(settings)
    started = time.monotonic()
    try:
        answer = prove_remotely(served.url, reader, mrz_key(profile))
    except ServiceError as exc:  # PACE's own answers garbled: the service ends the session
        refused = exc.problem.get("code")
        assert settings is PACE_CAM
        assert refused == "pace-failed"
    else:
        assert answer["verdict"]["status"] == "failed"
        assert "clone.proof_failed" in [r["code"] for r in answer["verdict"]["reasons"]]
    assert time.monotonic() - started < BOUND
    served.wait_closed()


def test_a_client_that_plays_the_chip_with_the_bac_keys_is_not_genuine(
    served: Served,  # noqa: F811
    raw: Raw,
) -> None:
    """The client knows the BAC keys, so it can answer every command under them, well-formed
    and MAC'd; not under the Chip Authentication keys, nor sign with DG15's key."""
    reader, profile = chip({**CA_ONLY, **AA_ONLY})
    read, state = local_read(reader, mrz_key(profile))
    raw.send(type="hello", mode="proof")
    assert raw.receive()["type"] == "read"
    raw.send(type="files", upload=upload_body(read.files), sm=state)
    batch = raw.receive()
    assert batch["type"] == "apdus"
    forger = SecureChannel(
        relay_client.SM_BY_NAME[state["algorithm"]],
        base64.b64decode(state["k_enc"]),
        base64.b64decode(state["k_mac"]),
        base64.b64decode(state["ssc"]),
    )
    answers = []
    for hexed in batch["apdus"]:
        command = CommandAPDU.from_bytes(bytes.fromhex(hexed))
        with contextlib.suppress(MRTDError):  # under keys it cannot know: BAC's all the same
            forger.unprotect_command(command)
        answers.append(forger.protect_response(ResponseAPDU(bytes(8), 0x9000)).to_bytes().hex())
    raw.send(type="answers", answers=answers)
    answer = raw.receive()
    not_genuine(answer)
    assert answer["proven_by_server"] == {"passive": "passed", "active": "failed", "chip": "failed"}
    served.wait_closed()


# -- replay -----------------------------------------------------------------------------------


def test_a_replayed_session_is_not_genuine(served: Served) -> None:  # noqa: F811
    reader, profile = chip(CA_ONLY)
    read, state = local_read(reader, mrz_key(profile))
    first = Raw(served.url)
    first.send(type="hello", mode="proof")
    assert first.receive()["type"] == "read"
    first.send(type="files", upload=upload_body(read.files), sm=state)
    recorded: list[str] = []
    verdict = relay_batches(first, reader, recorded)
    assert verdict["verdict"]["status"] == "genuine"
    first.close()
    # the same messages again, the chip's recorded answers for the new batch
    second = Raw(served.url)
    second.send(type="hello", mode="proof")
    assert second.receive()["type"] == "read"
    second.send(type="files", upload=upload_body(read.files), sm=state)
    batch = second.receive()
    assert batch["type"] == "apdus"
    assert len(batch["apdus"]) == len(recorded)
    second.send(type="answers", answers=recorded)
    not_genuine(second.receive())
    second.close()
    served.wait_closed()


# -- a relay to another genuine chip ----------------------------------------------------------


def test_chip_authentication_relayed_to_another_genuine_chip_fails(
    served: Served,  # noqa: F811
    raw: Raw,
) -> None:
    """The files of chip X, the secure channel of chip Y (another genuine document with its
    own CA key), the batch answered by Y: Y cannot compute X's Chip Authentication keys."""
    x_reader, x_profile = chip(CA_ONLY)
    y_reader, y_profile = chip(CA_ONLY, document=OTHER_DOCUMENT)
    x_read, _ = local_read(x_reader, mrz_key(x_profile))
    _, y_state = local_read(y_reader, mrz_key(y_profile))
    raw.send(type="hello", mode="proof")
    assert raw.receive()["type"] == "read"
    raw.send(type="files", upload=upload_body(x_read.files), sm=y_state)
    answer = relay_batches(raw, y_reader)
    not_genuine(answer)
    assert answer["proven_by_server"]["chip"] == "failed"
    assert answer["proven_by_server"]["passive"] == "passed"
    served.wait_closed()


def test_pace_cam_relayed_to_another_genuine_chip_fails(
    served: Served,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PACE-CAM with chip Y (the same CAN), the files of chip X with Y's EF.CardSecurity: Y
    proves its key, but the DG1 the service read under its own channel is Y's, not X's."""
    x_reader, _ = chip(PACE_CAM)
    y_reader, _ = chip(PACE_CAM, document=OTHER_DOCUMENT)
    x_files = (
        Session(x_reader, resume_timeout=0)
        .read_document(CANKey("123456"), authenticate=False)
        .files
    )

    class Swapping(relay_client._Client):
        def _upload(self, read: ReadResult) -> dict[str, object]:
            files = {**x_files, "EF.CardSecurity": read.files["EF.CardSecurity"]}
            return upload_body(files)

    monkeypatch.setattr(relay_client, "_Client", Swapping)
    answer = prove_remotely(served.url, y_reader, CANKey("123456"))
    assert answer["verdict"]["status"] == "failed"
    assert answer["proven_by_server"]["chip"] == "failed"
    assert "another DG1" in json.dumps(answer["verdict"])
    served.wait_closed()


def test_a_pace_cam_chip_read_by_the_client_alone_proves_nothing(
    served: Served,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client that keeps the password and runs PACE-CAM itself: the service cannot tell
    what it did, so the chip is not proven."""
    monkeypatch.setattr(relay_client._Client, "_card_access", lambda self: (None, None))
    reader, profile = chip(PACE_CAM)
    answer = prove_remotely(served.url, reader, mrz_key(profile))
    assert answer["relay"]["flow"] == "handover"
    assert answer["verdict"]["status"] != "genuine"
    assert answer["proven_by_server"]["chip"] == "not_checked"


def test_a_pace_opening_that_is_not_the_service_s_is_refused(
    served: Served,  # noqa: F811
    raw: Raw,
) -> None:
    reader, _ = chip(PACE_CAM)
    client = relay_client._Client(None, reader, CANKey("123456"), None, RelayStats())  # type: ignore[arg-type]
    card_access, choice = client._card_access()
    assert card_access is not None
    assert choice is not None
    opening = client._pace_opening(choice)
    opening["commands"][0] = opening["commands"][0][:-2] + "FF"
    raw.send(type="hello", mode="proof", password={"kind": "can", "can": "123456"},
             card_access=base64.b64encode(card_access).decode(),
             pace_opening=opening)  # fmt: skip
    message = raw.receive()
    while message["type"] == "apdus":  # answered by nobody: the service must end it
        raw.send(type="answers", answers=["6A80"] * len(message["apdus"]))
        message = raw.receive()
    assert message == {"v": 1, "type": "error", "code": "pace-failed",
                       "detail": message["detail"]}  # fmt: skip
    assert raw.closed_with() == 4422
    served.wait_closed()


# -- connections dropped, stalled, flooded ----------------------------------------------------


@pytest.mark.parametrize("step", ["after-hello", "mid-batch", "mid-pace"])
def test_a_connection_dropped_mid_step_leaves_nothing_behind(
    served: Served,  # noqa: F811
    sqlite_store: Store,  # noqa: F811
    step: str,
) -> None:
    raw = Raw(served.url)
    if step == "mid-pace":
        reader, _ = chip(PACE_CAM)
        client = relay_client._Client(None, reader, CANKey("123456"), None, RelayStats())  # type: ignore[arg-type]
        card_access, choice = client._card_access()
        assert card_access is not None
        assert choice is not None
        raw.send(type="hello", mode="proof", password={"kind": "can", "can": "123456"},
                 card_access=base64.b64encode(card_access).decode(),
                 pace_opening=client._pace_opening(choice))  # fmt: skip
        assert raw.receive()["type"] == "apdus"
    else:
        raw.send(type="hello", mode="proof")
        assert raw.receive()["type"] == "read"
        if step == "mid-batch":
            reader, profile = chip(CA_ONLY)
            read, state = local_read(reader, mrz_key(profile))
            raw.send(type="files", upload=upload_body(read.files), sm=state)
            assert raw.receive()["type"] == "apdus"
    raw.close()
    served.wait_closed()
    assert sqlite_store.audit_records() == []


@pytest.mark.parametrize("step", ["hello", "batch"])
def test_a_stalling_client_is_cut_off_after_the_step_timeout(
    served: Served,  # noqa: F811
    raw: Raw,
    step: str,
) -> None:
    served.relay.settings = RelaySettings(step_timeout=0.5)
    raw.socket.close()
    raw.socket = Raw(served.url).socket  # a connection made under the new settings
    if step == "batch":
        raw.send(type="hello", mode="proof")
        assert raw.receive()["type"] == "read"
        reader, profile = chip(CA_ONLY)
        read, state = local_read(reader, mrz_key(profile))
        raw.send(type="files", upload=upload_body(read.files), sm=state)
        assert raw.receive()["type"] == "apdus"
    started = time.monotonic()
    error = raw.receive(timeout=5)
    assert (error["type"], error["code"]) == ("error", "timeout")
    assert raw.closed_with() == 4408
    assert time.monotonic() - started < 2.0
    served.wait_closed()


def test_a_session_is_bounded_as_a_whole(served: Served, raw: Raw) -> None:  # noqa: F811
    served.relay.settings = RelaySettings(step_timeout=5, session_timeout=0.6)
    raw.socket.close()
    raw.socket = Raw(served.url).socket
    raw.send(type="hello", mode="proof")
    assert raw.receive()["type"] == "read"
    started = time.monotonic()
    error = raw.receive(timeout=5)
    assert error["code"] == "timeout"
    assert time.monotonic() - started < 2.0
    served.wait_closed()


@pytest.mark.parametrize(
    ("message", "code", "close"),
    [
        ("x" * 100_000, "message-too-large", 4413),
        ("{", "message-invalid", 4400),
        ("[1, 2]", "message-invalid", 4400),
        (json.dumps({"v": 2, "type": "hello"}), "version-unsupported", 4400),
        (json.dumps({"v": 1, "type": "answers", "answers": []}), "message-unexpected", 4400),
        (json.dumps({"v": 1, "type": "hello", "mode": "everything"}), "message-invalid", 4400),
        (json.dumps({"v": 1, "type": "hello", "extended_length": "yes"}), "message-invalid", 4400),
        (json.dumps({"v": 1, "type": "hello", "subject": "x" * 500}), "message-invalid", 4400),
        (json.dumps({"v": 1, "type": "hello", "card_access": "!!"}), "message-invalid", 4400),
        (json.dumps({"v": 1, "type": "hello", "password": {"kind": "can", "can": "12"}}),
         "message-invalid", 4400),
        (json.dumps({"v": 1, "type": "hello", "password": {"kind": "mrz",
                     "mrz_information": "U0R45C7D<38805170350930X"}}), "message-invalid", 4400),
        (json.dumps({"v": 1, "type": "hello", "mode": "relay"}), "message-invalid", 4400),
    ],
    ids=["too-large", "not-json", "not-object", "version", "unexpected", "mode", "extended",
         "subject", "card-access", "can", "mrz-check-digit", "relay-without-password"],
)  # fmt: skip
def test_malformed_hellos_end_the_session(
    served: Served,  # noqa: F811
    raw: Raw,
    message: str,
    code: str,
    close: int,
) -> None:
    raw.send_text(message)
    error = raw.receive()
    assert (error["type"], error["code"]) == ("error", code)
    assert message[:40] not in error["detail"]  # nothing of the message echoed
    assert raw.closed_with() == close
    served.wait_closed()


@pytest.mark.parametrize(
    "tamper",
    ["answers-count", "answers-hex", "answers-short", "sm-algorithm", "sm-key-length",
     "upload-signature", "upload-name", "files-too-large"],
)  # fmt: skip
def test_malformed_files_and_answers_end_the_session(
    sqlite_store: Store,  # noqa: F811
    tamper: str,
) -> None:
    app = make_app(sqlite_store, max_body_bytes=8 * 1024)
    with serve_in_thread(app) as url:
        raw = Raw(url)
        reader, profile = chip(CA_ONLY)
        read, state = local_read(reader, mrz_key(profile))
        files = dict(read.files)
        if tamper != "files-too-large":
            files.pop("DG2")  # keeps the message small; completeness fails, not the relay
        upload = upload_body(files)
        if tamper == "sm-algorithm":
            state["algorithm"] = "RC4"
        elif tamper == "sm-key-length":
            state["k_enc"] = "AAAA"
        elif tamper == "upload-signature":
            upload["active_authentication"] = {"challenge_id": "x", "signature": "AAAA"}
        elif tamper == "upload-name":
            upload["files"]["SOD"] = upload["files"]["EF.SOD"]  # type: ignore[index]
        raw.send(type="hello", mode="proof")
        assert raw.receive()["type"] == "read"
        raw.send(type="files", upload=upload, sm=state)
        message = raw.receive()
        if tamper.startswith("answers"):
            assert message["type"] == "apdus"
            answers = ["9000"] * len(message["apdus"])
            bad = {"answers-count": answers[:-1], "answers-hex": ["zz"] * len(answers),
                   "answers-short": ["90"] * len(answers)}[tamper]  # fmt: skip
            raw.send(type="answers", answers=bad)
            message = raw.receive()
        assert message["type"] == "error", message
        assert message["code"] in ("message-invalid", "upload-invalid", "message-too-large")
        assert raw.closed_with() in (4400, 4413)
        raw.close()
        Served(url, app).wait_closed()
    assert sqlite_store.audit_records() == []


def test_sessions_beyond_the_limit_are_refused(served: Served) -> None:  # noqa: F811
    served.relay.settings = RelaySettings(max_sessions=1)
    first = Raw(served.url)
    first.send(type="hello", mode="proof")
    assert first.receive()["type"] == "read"
    second = Raw(served.url)
    assert second.closed_with() == 1013  # try again later
    first.close()
    second.close()
    served.wait_closed()


def test_an_unauthorized_handshake_is_refused(sqlite_store: Store) -> None:  # noqa: F811
    app = make_app(sqlite_store, api_token_hashes=(hashlib.sha256(b"token").digest(),))
    with serve_in_thread(app) as url, pytest.raises(Exception, match=r"403|1008"):
        Raw(url).receive()


def test_a_replayed_pace_cam_session_is_refused(served: Served) -> None:  # noqa: F811
    """The chip's answers of a genuine PACE-CAM session, sent again to a new one: the service's
    mapping and ephemeral keys are new, so the recorded tokens do not verify."""
    reader, _ = chip(PACE_CAM)
    client = relay_client._Client(None, reader, CANKey("123456"), None, RelayStats())  # type: ignore[arg-type]
    card_access, choice = client._card_access()
    assert card_access is not None
    assert choice is not None
    hello = {"type": "hello", "mode": "proof", "password": {"kind": "can", "can": "123456"},
             "card_access": base64.b64encode(card_access).decode(),
             "pace_opening": client._pace_opening(choice)}  # fmt: skip
    first = Raw(served.url)
    first.send(**hello)
    recorded: list[list[str]] = []
    message = first.receive()
    while message["type"] == "apdus":
        answers = [reader.transmit(bytes.fromhex(a)).hex() for a in message["apdus"]]
        recorded.append(answers)
        first.send(type="answers", answers=answers)
        message = first.receive()
    assert message["type"] == "keys"  # the genuine session got that far
    first.close()
    second = Raw(served.url)
    second.send(**hello)
    message = second.receive()
    for answers in recorded:
        if message["type"] != "apdus":
            break
        second.send(type="answers", answers=answers)
        message = second.receive()
    assert message["type"] == "error"
    assert message["code"] == "pace-failed"
    second.close()
    served.wait_closed()
