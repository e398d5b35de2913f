"""The simulated chip behind the real PC/SC stack: pcscd + vsmartcard's vpcd driver, read
through pyscard with `PCSCReader` and through `mrtd read --reader pcsc` (conftest.py starts
and stops pcscd). The first section needs pyscard only, not pcscd."""

from __future__ import annotations

import contextlib
import hashlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mrtd import errors
from mrtd.access.keys import MRZKey
from mrtd.errors import CardRemovedError, ReaderNotFoundError, TransportError
from mrtd.pipeline.read_chip import read_document
from mrtd.readers import pcsc
from mrtd.readers.atr import parse_atr
from mrtd.readers.pcsc import PCSCReader, get_responses, list_readers, translate_error
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.sim.vpcd import VPCDBridge, simulated_atr
from tests.interop.conftest import (
    READER_NAME,
    PCSCStack,
    require_pyscard,
    served,
    wait_for_card,
)

require_pyscard()

from smartcard.Exceptions import (  # noqa: E402 - after the check: it needs pyscard
    CardConnectionException,
    CardRequestTimeoutException,
    NoCardException,
    NoReadersException,
)
from smartcard.pcsc.PCSCExceptions import EstablishContextException  # noqa: E402

DEFAULT = Profile.default()
EXTENDED = Profile.from_dict({"chip": {"extended_length": True, "max_response": 65536}})
KEY = MRZKey.from_mrz(DEFAULT.mrz)
SELECT_EMRTD = bytes.fromhex("00A4040C07A0000002471001")


def _in_process(chip: SimulatedChip) -> tuple[dict[str, bytes], int]:
    """The same chip read in process: its files (EF.SOD is signed per chip) and APDU count."""
    document = read_document(SimulatedReader(chip), KEY)
    return dict(document.files), document.stats.apdus


# -- no pcscd needed -------------------------------------------------------------------------


def test_get_response_collects_61xx_answers_on_the_same_channel() -> None:
    sent: list[bytes] = []
    answers = [bytes.fromhex("0102 6103"), bytes.fromhex("030405 6102"), bytes.fromhex("0607 9000")]

    def send(apdu: bytes) -> bytes:
        sent.append(apdu)
        return answers[len(sent) - 1]

    assert get_responses(send, bytes.fromhex("0DB0000000")) == bytes.fromhex("01020304050607 9000")
    assert sent[1:] == [bytes.fromhex("01C0000003"), bytes.fromhex("01C0000002")]


@pytest.mark.parametrize("answer", ["6C10", "6282", "AB 9000"])
def test_get_response_leaves_other_status_words_alone(answer: str) -> None:
    raw = bytes.fromhex(answer)  # 6Cxx too: the session resends with the right Le
    assert get_responses(lambda _apdu: raw, SELECT_EMRTD) == raw


def test_get_response_is_bounded_against_a_chip_that_never_stops() -> None:
    with pytest.raises(TransportError, match="61xx"):
        get_responses(lambda _apdu: bytes(255) + b"\x61\x00", SELECT_EMRTD)
    with pytest.raises(TransportError, match="status word"):
        get_responses(lambda _apdu: b"\x90", SELECT_EMRTD)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (NoCardException("Unable to connect", hresult=pcsc.SCARD_E_NO_SMARTCARD), CardRemovedError),
        (CardConnectionException("x", hresult=pcsc.SCARD_W_REMOVED_CARD), CardRemovedError),
        (CardConnectionException("x", hresult=pcsc.SCARD_W_REMOVED_CARD - 2**32), CardRemovedError),
        (CardConnectionException("x", hresult=pcsc.SCARD_W_RESET_CARD), CardRemovedError),
        (CardRequestTimeoutException(hresult=pcsc.SCARD_E_TIMEOUT), errors.CardTimeoutError),
        (NoReadersException(), ReaderNotFoundError),
        (EstablishContextException(pcsc.SCARD_E_NO_SERVICE), ReaderNotFoundError),
        (CardConnectionException("x", hresult=pcsc.SCARD_E_SHARING_VIOLATION), TransportError),
        (CardConnectionException("Card not connected"), TransportError),
    ],
)
def test_pyscard_errors_are_translated(exc: Exception, expected: type[TransportError]) -> None:
    translated = translate_error(exc, "doing it")
    assert type(translated) is expected
    assert str(translated).startswith("doing it: ")


def test_no_service_hints_at_pcscd() -> None:
    translated = translate_error(EstablishContextException(pcsc.SCARD_E_NO_SERVICE), "listing")
    assert "is pcscd running?" in str(translated)


# -- through pcscd ---------------------------------------------------------------------------


def test_pcscd_lists_both_vpcd_slots(pcsc_stack: PCSCStack) -> None:
    assert set(pcsc_stack.readers) <= set(list_readers())


def test_bac_read_through_pcscd_gives_the_in_process_files(pcsc_stack: PCSCStack) -> None:
    chip = SimulatedChip(DEFAULT)
    with served(chip, pcsc_stack) as bridge:
        reader = PCSCReader(pcsc_stack.readers[0], timeout=5)
        try:
            assert reader.name == pcsc_stack.readers[0]
            assert not reader.extended_length
            document = read_document(reader, KEY)
        finally:
            reader.close()
    assert set(document.files) == {"EF.COM", "EF.SOD", "DG1", "DG2"}
    assert bridge.apdus == document.stats.apdus
    files, apdus = _in_process(chip)
    assert document.files == files
    assert document.stats.apdus == apdus


PACE_CAM = Profile.from_dict(
    {"chip": {"access": ["pace", "bac"],
              "pace": {"mapping": "CAM", "domain": "brainpoolP256r1", "cipher": "AES-128"}}}
)  # fmt: skip
PACE_DH_2048 = Profile.from_dict(
    {"chip": {"access": ["pace"], "extended_length": True, "max_response": 65536,
              "pace": {"mapping": "IM", "domain": "2", "cipher": "AES-256"}}}
)  # fmt: skip


@pytest.mark.parametrize(("profile", "slot"), [(PACE_CAM, 0), (PACE_DH_2048, 1)])
def test_pace_read_through_pcscd(pcsc_stack: PCSCStack, profile: Profile, slot: int) -> None:
    """PACE-CAM in short APDUs, and DH-2048 PACE whose public values need extended ones."""
    chip = SimulatedChip(profile)
    with served(chip, pcsc_stack, slot=slot) as bridge:
        reader = PCSCReader(pcsc_stack.readers[slot], timeout=5)
        try:
            document = read_document(reader, KEY)
        finally:
            reader.close()
    assert document.access.protocol == "PACE"
    assert document.access.pace["domain"] == chip.pace.options[0].domain.name  # type: ignore[union-attr]
    if profile is PACE_CAM:  # no CSCA given: EF.CardSecurity, so PACE-CAM, is not verified
        assert document.access.chip_authentication == "not_checked"
        assert document.verdict.chip.code == "chip.cam_unverified"
    assert bridge.apdus == document.stats.apdus
    files, apdus = _in_process(chip)
    assert document.files.keys() == files.keys()
    assert document.files["DG2"] == files["DG2"]
    assert document.stats.apdus == apdus


def test_pyscard_sees_the_bridge_atr(pcsc_stack: PCSCStack) -> None:
    # by index: our pcscd lists slot 0 first
    with served(SimulatedChip(DEFAULT), pcsc_stack) as bridge, PCSCReader(0, timeout=5) as reader:
        assert reader.atr == bridge.atr == simulated_atr(extended_length=False)
        assert reader.parsed_atr == parse_atr(bridge.atr)
        assert reader.parsed_atr is not None
        assert reader.parsed_atr.contactless
        assert reader.parsed_atr.card_capabilities == bytes.fromhex("942100")


def test_extended_length_chip_is_read_with_extended_apdus(pcsc_stack: PCSCStack) -> None:
    chip = SimulatedChip(EXTENDED)
    with served(chip, pcsc_stack, slot=1) as bridge:
        reader = PCSCReader("00 01", timeout=5)  # an unambiguous part of the name
        try:
            assert reader.name == pcsc_stack.readers[1]
            assert reader.atr == bridge.atr == simulated_atr(extended_length=True)
            assert reader.extended_length
            document = read_document(reader, KEY)
        finally:
            reader.close()
    files, apdus = _in_process(chip)
    assert document.files == files
    assert document.stats.apdus == apdus
    assert document.stats.bytes_received > len(document.files["DG2"])  # DG2 in one answer


def test_extended_length_can_be_switched_off(pcsc_stack: PCSCStack) -> None:
    chip = SimulatedChip(EXTENDED)
    with (
        served(chip, pcsc_stack, slot=1),
        PCSCReader(timeout=5, extended_length=False) as reader,  # any reader: slot 1 has the card
    ):
        assert reader.name == pcsc_stack.readers[1]
        assert not reader.extended_length
        document = read_document(reader, KEY)
    assert document.files == _in_process(chip)[0]


def test_cli_reads_through_pcsc_as_a_subprocess(pcsc_stack: PCSCStack, tmp_path: Path) -> None:
    chip = SimulatedChip(DEFAULT)
    csca = TestPKI().export_csca(tmp_path / "csca.pem")
    policy = tmp_path / "data-only.toml"  # the default chip has no key to prove it is no copy
    policy.write_text('clone_detection = "data_only_accepted"\n')
    with served(chip, pcsc_stack):
        result = subprocess.run(
            [sys.executable, "-m", "mrtd.cli", "read", "--reader", "pcsc",
             "--mrz", *DEFAULT.mrz.lines, "--json", "--csca", str(csca), "--allow-test-pki",
             "--policy", str(policy)],
            env=pcsc_stack.env(),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr  # genuine: the test CSCA is trusted
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["verdict"] == "genuine"
    assert report["policy"]["name"] == "data-only"
    files, _ = _in_process(chip)
    assert {name: entry["sha256"] for name, entry in report["files"].items()} == {
        name: _sha256(data) for name, data in files.items()
    }


def test_cli_without_a_card_exits_4(pcsc_stack: PCSCStack) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mrtd.cli", "read", "--reader", "pcsc:no such reader",
         "--mrz", *DEFAULT.mrz.lines],
        env=pcsc_stack.env(),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )  # fmt: skip
    assert result.returncode == 4
    assert "no reader matches 'no such reader'" in result.stderr
    assert "Traceback" not in result.stderr


@contextlib.contextmanager
def _ctrl_c_for_children() -> Iterator[None]:
    """A test run started in the background (`make test &`) ignores SIGINT, and a child
    inherits an ignored signal: handle it here while the child starts, so the child gets the
    default disposition (a handler does not survive exec), as under a terminal."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_mrtd_sim_vpcd_serves_the_chip_until_interrupted(pcsc_stack: PCSCStack) -> None:
    with _ctrl_c_for_children():
        server = subprocess.Popen(
            [sys.executable, "-m", "mrtd.cli", "sim", "--vpcd", f"localhost:{pcsc_stack.port}"],
            env=pcsc_stack.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        wait_for_card(pcsc_stack.readers[0], present=True, timeout=15)
        with PCSCReader(pcsc_stack.readers[0], timeout=5) as reader:
            document = read_document(reader, KEY)
    finally:
        server.send_signal(signal.SIGINT)  # by PID, like Ctrl-C
        out, err = server.communicate(timeout=10)
    assert server.returncode == 0, err
    assert f"serving the simulated chip to vpcd at 127.0.0.1:{pcsc_stack.port}" in out
    wait_for_card(pcsc_stack.readers[0], present=False)
    expected = _in_process(SimulatedChip(DEFAULT))[0]  # EF.SOD: another chip, another signature
    assert {n: d for n, d in document.files.items() if n != "EF.SOD"} == {
        n: d for n, d in expected.items() if n != "EF.SOD"
    }


def test_removal_mid_read_raises_card_removed_and_reconnect_resumes(
    pcsc_stack: PCSCStack,
) -> None:
    chip = SimulatedChip(DEFAULT)
    with served(chip, pcsc_stack) as bridge:
        reader = PCSCReader(pcsc_stack.readers[0], timeout=5)
        try:
            assert reader.transmit(SELECT_EMRTD) == b"\x90\x00"
            bridge.remove()  # the socket closes at once; pcscd notices within 0.4 s
            with pytest.raises(CardRemovedError) as removed:
                reader.transmit(SELECT_EMRTD)
            assert removed.value.__cause__ is not None  # raise ... from the pyscard error
            threading.Timer(0.3, bridge.insert).start()
            started = time.monotonic()
            reader.reconnect(5)
            assert time.monotonic() - started < 3
            assert reader.atr == bridge.atr
            document = read_document(reader, KEY)  # from power-on: SELECT, BAC, files
        finally:
            reader.close()
    assert document.files == _in_process(chip)[0]


class LeavingChip(SimulatedChip):
    """Leaves the field right after answering its `leave_at`-th APDU (so the answer is lost),
    and comes back half a second later."""

    bridge: VPCDBridge | None = None
    leave_at = 0

    def transmit(self, raw: bytes) -> bytes:
        answer = super().transmit(raw)
        if self.apdus == self.leave_at and self.bridge is not None:
            self.bridge.remove(timeout=0)  # from the serving thread: do not wait for it
            threading.Timer(0.5, self.bridge.insert).start()
        return answer


@pytest.mark.parametrize("leave_at", [5, 40, 100])  # EF.COM, the middle and end of DG2
def test_the_session_resumes_a_read_when_the_card_comes_back(
    pcsc_stack: PCSCStack, leave_at: int
) -> None:
    chip = LeavingChip(DEFAULT)
    chip.leave_at = leave_at
    with served(chip, pcsc_stack) as bridge:
        chip.bridge = bridge
        with PCSCReader(pcsc_stack.readers[0], timeout=5) as reader:
            document = read_document(reader, KEY)
        chip.bridge = None
    assert document.stats.resumes == 1
    files, apdus = _in_process(chip)
    assert document.files == files
    assert document.stats.apdus < leave_at + apdus  # fewer than a restart


def test_transmit_after_pcscd_saw_the_removal_raises_card_removed(
    pcsc_stack: PCSCStack,
) -> None:
    with (
        served(SimulatedChip(DEFAULT), pcsc_stack) as bridge,
        PCSCReader(pcsc_stack.readers[0], timeout=5) as reader,
    ):
        bridge.remove()
        wait_for_card(pcsc_stack.readers[0], present=False)
        with pytest.raises(CardRemovedError, match="removed"):
            reader.transmit(SELECT_EMRTD)
        bridge.insert()


def test_reconnect_times_out_when_the_card_stays_away(pcsc_stack: PCSCStack) -> None:
    with (
        served(SimulatedChip(DEFAULT), pcsc_stack) as bridge,
        PCSCReader(pcsc_stack.readers[0], timeout=5) as reader,
    ):
        bridge.remove()
        wait_for_card(pcsc_stack.readers[0], present=False)
        with pytest.raises(CardRemovedError, match=r"did not come back within 0\.3 s") as gone:
            reader.reconnect(0.3)
        assert isinstance(gone.value.__cause__, errors.CardTimeoutError)
        bridge.insert()


def test_any_reader_means_a_contactless_card_no_other_application_holds(
    pcsc_stack: PCSCStack,
) -> None:
    contact_atr = bytes.fromhex("3B 65 00 00 9C 11 01 01 03")  # T=0 only, as contact cards
    with (
        served(SimulatedChip(DEFAULT), pcsc_stack, slot=0, atr=contact_atr),
        served(SimulatedChip(DEFAULT), pcsc_stack, slot=1),
    ):
        with PCSCReader(timeout=5) as reader:
            assert reader.name == pcsc_stack.readers[1]  # contactless before contact
        with PCSCReader(pcsc_stack.readers[1], timeout=5), PCSCReader(timeout=5) as other:
            assert other.name == pcsc_stack.readers[0]  # the card held above is skipped
            assert other.atr == contact_atr


def test_reconnect_to_a_reader_that_went_away_fails_at_once(pcsc_stack: PCSCStack) -> None:
    with (
        served(SimulatedChip(DEFAULT), pcsc_stack),
        PCSCReader(pcsc_stack.readers[0], timeout=5) as reader,
    ):
        reader.name = f"{READER_NAME} 07 00"  # as if unplugged: pcscd no longer lists it
        started = time.monotonic()
        with pytest.raises(ReaderNotFoundError, match="not connected"):
            reader.reconnect(5)
        assert time.monotonic() - started < 1


def test_the_card_is_held_exclusively(pcsc_stack: PCSCStack) -> None:
    with (
        served(SimulatedChip(DEFAULT), pcsc_stack),
        PCSCReader(pcsc_stack.readers[0], timeout=5) as reader,
    ):
        with pytest.raises(TransportError, match="another application"):
            PCSCReader(pcsc_stack.readers[0], timeout=1)
        assert reader.transmit(SELECT_EMRTD) == b"\x90\x00"


def test_waiting_for_a_card_times_out(pcsc_stack: PCSCStack) -> None:
    started = time.monotonic()
    with pytest.raises(errors.CardTimeoutError, match="no card in PC/SC reader") as timed_out:
        PCSCReader(pcsc_stack.readers[1], timeout=0.3)  # slot 1 is empty
    assert isinstance(timed_out.value, errors.TransportError)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("reader", ["no such reader", "mrtd vpcd", 7])
def test_unknown_or_ambiguous_readers_are_refused(pcsc_stack: PCSCStack, reader: str | int) -> None:
    with pytest.raises(ReaderNotFoundError):
        PCSCReader(reader, timeout=0.3)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


CLONE_CHECKS = {"aa": "rsa-2048-sha256", "ca": "ecdh-brainpoolP256r1-aes128",
                "extended_length": True}  # fmt: skip


@pytest.mark.parametrize("clone", [False, True], ids=["genuine", "clone"])
def test_active_and_chip_authentication_through_pcscd(pcsc_stack: PCSCStack, clone: bool) -> None:
    """AA (RSA-2048, an extended answer under SM) and CA (new keys mid-read) over the real
    PC/SC stack; the clone is read completely and both checks fail."""
    profile = Profile.from_dict({"chip": CLONE_CHECKS, "faults": {"clone": clone}})
    chip = SimulatedChip(profile)
    with served(chip, pcsc_stack, slot=1) as bridge:
        reader = PCSCReader(pcsc_stack.readers[1], timeout=5)
        try:
            document = read_document(reader, KEY)
        finally:
            reader.close()
    assert bridge.apdus == document.stats.apdus
    assert {"DG1", "DG2", "DG14", "DG15"} <= set(document.files)
    expected = "failed" if clone else "passed"
    assert (document.verdict.active.status, document.verdict.chip.status) == (expected, expected)
