"""The simulated chip as a Type 4A tag on nfcpy's udp link (loopback only), read through nfcpy's
ISO-DEP initiator with `NFCReader`: the same files as in process, tag removal, resume, S(WTX)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mrtd import errors
from mrtd.access.keys import MRZKey
from mrtd.errors import CardRemovedError, ReaderNotFoundError
from mrtd.pipeline.document import Document
from mrtd.pipeline.events import FileProgress, ReadEvent
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.result import ReadResult
from mrtd.pipeline.session import Session
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.nfc_target import NFCTarget
from mrtd.sim.profile import Profile

pytest.importorskip("nfc", reason="nfcpy is not installed")

from mrtd.readers.nfc import NFCReader  # after the skip: it needs nfcpy

DEFAULT = Profile.default()
KEY = MRZKey.from_mrz(DEFAULT.mrz)
TYPE_A = ("106A",)  # the target is Type A; sensing 106B too costs nfcpy's udp driver 1 s a round


@contextmanager
def served(chip: SimulatedChip, *, fwi: int = 9) -> Iterator[NFCTarget]:
    """`chip` served on 127.0.0.1 in a thread; stopped, and the thread joined, afterwards."""
    target, stop = NFCTarget(chip, "127.0.0.1", 0, fwi=fwi), threading.Event()
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            target.serve(stop)
        except BaseException as exc:
            failures.append(exc)
            raise

    thread = threading.Thread(target=serve, name="nfc-target", daemon=True)
    thread.start()
    assert target.ready.wait(5)
    try:
        yield target
    finally:
        stop.set()
        thread.join(5)
        assert not thread.is_alive(), "the target did not stop within 5 s"
        assert not failures


def _profile(**tables: dict[str, Any]) -> Profile:
    return Profile.from_dict(tables)


def _in_process_files(chip: SimulatedChip) -> dict[str, bytes]:
    """The same chip read in process (its EF.SOD signature differs from chip to chip)."""
    chip.present = True
    return dict(read_document(SimulatedReader(chip), KEY).files)


class RecordingChip(SimulatedChip):
    """Keeps what crossed the air; `delay` makes it a slow chip."""

    def __init__(self, profile: Profile, *, delay: float = 0.0) -> None:
        super().__init__(profile)
        self.delay = delay
        self.received: list[bytes] = []
        self.sent: list[bytes] = []

    def transmit(self, raw: bytes) -> bytes:
        self.received.append(raw)
        time.sleep(self.delay)
        self.sent.append(super().transmit(raw))
        return self.sent[-1]


def test_reading_over_nfcpy_udp_gives_the_in_process_files() -> None:
    chip = SimulatedChip(DEFAULT)
    with served(chip) as target:
        assert target.path.startswith("udp:127.0.0.1:")
        reader = NFCReader(target.path, timeout=5)
        try:
            assert not reader.extended_length
            assert reader.ats[3] >> 4 == 9  # FWI, as nfcpy's Type4ATag reads it
            document = read_document(reader, KEY)
        finally:
            reader.close()
    assert target.stats.activations == 1
    assert target.stats.apdus == chip.apdus
    assert set(document.files) == {"EF.COM", "EF.SOD", "DG1", "DG2"}
    assert document.files == _in_process_files(chip)


def test_extended_length_chip_is_announced_in_the_ats_and_responses_are_chained() -> None:
    chip = RecordingChip(_profile(chip={"extended_length": True, "max_response": 4096}))
    with served(chip) as target:
        reader = NFCReader(target.path, timeout=5)
        try:
            assert reader.extended_length
            document = read_document(reader, KEY)
        finally:
            reader.close()
    assert max(map(len, chip.sent)) > 4096  # 17 chained I-blocks of at most 253 bytes
    assert document.files == _in_process_files(chip)


def test_a_long_command_is_chained_to_the_chip_intact() -> None:
    chip = RecordingChip(DEFAULT)
    command = bytes.fromhex("00A40400") + bytes([255]) + bytes(range(255)) + b"\x00"  # 261 B
    with served(chip) as target:
        reader = NFCReader(target.path, timeout=5)
        try:
            answer = reader.transmit(command)
        finally:
            reader.close()
    assert chip.received == [command]
    assert answer == bytes.fromhex("6A82")  # no such application


def test_a_slow_chip_asks_for_waiting_time_and_nfcpy_waits() -> None:
    chip = RecordingChip(DEFAULT, delay=0.1)
    with served(chip, fwi=6) as target:  # FWT 19 ms: every APDU needs S(WTX)
        reader = NFCReader(target.path, timeout=5)
        try:
            answer = reader.transmit(bytes.fromhex("00A4040C07A0000002471001"))
            answer_again = reader.transmit(bytes.fromhex("0084000008"))
        finally:
            reader.close()
    assert answer == bytes.fromhex("9000")
    assert len(answer_again) == 10
    assert target.stats.wtx >= 2


def _read_over_udp(path: str) -> Document:
    reader = NFCReader(path, timeout=5)
    try:
        return read_document(reader, KEY)
    finally:
        reader.close()


def test_pace_read_over_nfcpy_udp() -> None:
    pace = {"mapping": "GM", "domain": "P-256", "cipher": "AES-128"}
    chip = SimulatedChip(_profile(chip={"access": ["pace", "bac"], "pace": pace}))
    with served(chip) as target:
        document = _read_over_udp(target.path)
    assert document.access.protocol == "PACE"
    assert document.access.pace["domain"] == "P-256"
    assert target.stats.apdus == chip.apdus
    assert document.files == _in_process_files(chip)


@pytest.mark.parametrize("clone", [False, True], ids=["genuine", "clone"])
def test_active_and_chip_authentication_over_nfcpy_udp(clone: bool) -> None:
    chip_settings = {"aa": "ecdsa-brainpoolP256r1-sha256", "ca": "dh-1024-3des"}
    chip = SimulatedChip(_profile(chip=chip_settings, faults={"clone": clone}))
    with served(chip) as target:
        document = _read_over_udp(target.path)
    assert target.stats.apdus == chip.apdus
    assert {"DG14", "DG15"} <= set(document.files)
    expected = "failed" if clone else "passed"
    assert (document.verdict.active.status, document.verdict.chip.status) == (expected, expected)


def test_removal_mid_read_is_card_removed_within_two_seconds() -> None:
    chip = SimulatedChip(_profile(faults={"remove_at_apdu": [40], "return_after_ms": -1}))
    result = ReadResult()
    with served(chip) as target:
        reader = NFCReader(target.path, timeout=5, technologies=TYPE_A)
        try:
            started = time.monotonic()
            with pytest.raises(CardRemovedError) as caught:
                Session(reader, resume_timeout=0).read_document(KEY, result=result)
            elapsed = time.monotonic() - started
            with pytest.raises(CardRemovedError, match="did not come back"):
                reader.reconnect(0.5)
        finally:
            reader.close()
    # 6 x (FWT 155 ms + 4 ms) of nfcpy retries, then one R(NAK) presence check
    assert elapsed < 2.0
    assert "left the field" in str(caught.value)
    assert type(caught.value.__cause__).__name__ == "Type4TagCommandError"
    assert {"EF.COM", "EF.SOD"} <= set(result.files)  # what was read before stays read
    assert target.stats.removals == 1


@pytest.mark.parametrize("at", [5, 40, 100])  # EF.COM, the middle and end of DG2
def test_the_read_resumes_when_the_tag_comes_back(at: int) -> None:
    chip = SimulatedChip(_profile(faults={"remove_at_apdu": [at], "return_after_ms": 300}))
    with served(chip) as target:
        reader = NFCReader(target.path, timeout=5, technologies=TYPE_A)
        try:
            session = Session(reader, resume_timeout=5)
            result = session.read_document(KEY)
        finally:
            reader.close()
    assert session.stats.resumes == 1
    assert target.stats.activations == 2  # the reader switched its field off and on again
    assert result.files == _in_process_files(chip)
    assert session.stats.apdus < at + 108  # fewer than a restart (108 APDUs without a loss)


def test_stopping_the_target_mid_read_is_card_removed() -> None:
    chip = SimulatedChip(DEFAULT)
    stop, target = threading.Event(), NFCTarget(chip, fwi=8)
    thread = threading.Thread(target=target.serve, args=(stop,), daemon=True)
    thread.start()
    assert target.ready.wait(5)

    def pull_the_tag(event: ReadEvent) -> None:
        if isinstance(event, FileProgress) and event.name == "DG2" and event.done > 1000:
            stop.set()

    reader = NFCReader(target.path, timeout=5, technologies=TYPE_A)
    try:
        started = time.monotonic()
        with pytest.raises(CardRemovedError):
            Session(reader, resume_timeout=0, on_event=pull_the_tag).read_document(KEY)
        elapsed = time.monotonic() - started
    finally:
        reader.close()
        thread.join(5)
    assert not thread.is_alive()
    assert elapsed < 2.0


def test_a_new_reader_takes_over_from_one_that_vanished_with_its_field_on() -> None:
    chip = SimulatedChip(DEFAULT)
    with served(chip) as target:
        first = NFCReader(target.path, timeout=5, technologies=TYPE_A)
        try:
            assert first.transmit(bytes.fromhex("00A4040C07A0000002471001")) == b"\x90\x00"
            second = NFCReader(target.path, timeout=5, technologies=TYPE_A)  # no RFOFF before
            try:
                document = read_document(second, KEY)
            finally:
                second.close()
        finally:
            first.close()
    assert target.stats.activations == 2
    assert document.files == _in_process_files(chip)


def test_no_tag_is_a_timeout_bounded_by_the_wait() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # a port nobody answers on
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(errors.CardTimeoutError, match="no ISO 14443-4 tag"):
            NFCReader(f"udp:127.0.0.1:{port}", timeout=0.5, technologies=TYPE_A)
    assert time.monotonic() - started < 2.5  # nfcpy's udp sense waits 1 s for SENS_RES


@pytest.mark.parametrize("path", ["usb:ffff:ffff", "nowhere", "udp:127.0.0.1:port"])
def test_a_missing_reader_is_reader_not_found(path: str) -> None:
    with pytest.raises(ReaderNotFoundError):
        NFCReader(path, timeout=0.1)


def test_the_target_process_fails_with_status_4_when_its_port_is_taken() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = str(taken.getsockname()[1])
        command = [sys.executable, "-m", "mrtd.sim.nfc_target", "--port", port]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 4
    assert "in use" in done.stderr


def test_the_target_runs_as_a_process_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mrtd.sim.nfc_target", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on udp:127.0.0.1:"), line
        reader = NFCReader(line.split()[-1], timeout=5, technologies=TYPE_A)
        try:
            document = read_document(reader, KEY)
        finally:
            reader.close()
        assert document.mrz is not None
        assert document.mrz.lines == DEFAULT.mrz.lines
        process.send_signal(signal.SIGTERM)
        assert process.wait(5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
