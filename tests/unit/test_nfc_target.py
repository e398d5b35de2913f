"""The ISO-DEP target (ISO/IEC 14443-4 §7, PICC side) without sockets: block numbering,
chaining, R- and S-blocks; then nfcpy's own ISO-DEP initiator against it, over a lossy
in-memory link."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from mrtd.readers.nfc import ats_extended_length, list_devices
from mrtd.sim import nfc_target
from mrtd.sim.nfc_target import (
    MAX_APDU,
    Command,
    ISODEPTarget,
    State,
    frame_waiting_time,
    historical_bytes,
)

RATS_FSD_256 = bytes.fromhex("E080")
RATS_FSD_64 = bytes.fromhex("E050")


def _active(rats: bytes = RATS_FSD_256, *, max_apdu: int = MAX_APDU) -> ISODEPTarget:
    target = ISODEPTarget(max_apdu=max_apdu)
    assert target.receive(rats) == target.ats
    return target


def _command(target: ISODEPTarget, frame: bytes) -> bytes:
    event = target.receive(frame)
    assert isinstance(event, Command)
    return event.apdu


# -- activation ----------------------------------------------------------------------------------


def test_rats_is_answered_with_an_ats_naming_fsc_fwi_and_no_cid_or_nad() -> None:
    target = ISODEPTarget(fwi=9, historical=historical_bytes(extended_length=True))
    ats = target.receive(RATS_FSD_64)
    assert ats == bytes.fromhex("0A 78 00 90 00 80 73 80 01 40")
    assert ats is not None
    assert ats[1] & 0x0F == 8  # FSCI 8: 256-byte frames
    assert ats[3] >> 4 == 9  # FWI
    assert ats[4] & 0x03 == 0  # TC: neither NAD nor CID
    assert target.state is State.READY
    assert target.fsd == 64


def test_only_rats_activates() -> None:
    target = ISODEPTarget()
    for frame in (b"", bytes.fromhex("0200A4"), bytes.fromhex("E0"), bytes.fromhex("E08000")):
        assert target.receive(frame) is None
    assert target.state is State.IDLE


def test_fsdi_above_8_is_answered_with_frames_of_256() -> None:
    assert _active(bytes.fromhex("E0C0")).fsd == 256


@pytest.mark.parametrize("fwi", [-1, 15])
def test_fwi_outside_the_standard_range_is_refused(fwi: int) -> None:
    with pytest.raises(ValueError, match="FWI"):
        ISODEPTarget(fwi=fwi)


def test_frame_waiting_time_follows_the_formula() -> None:
    assert frame_waiting_time(0) == pytest.approx(302e-6, rel=1e-3)
    assert frame_waiting_time(9) == pytest.approx(0.1547, rel=1e-3)


# -- I-blocks and block numbering ----------------------------------------------------------------


def test_block_numbers_alternate_from_zero() -> None:
    target = _active()
    assert _command(target, bytes.fromhex("02 00A4040C")) == bytes.fromhex("00A4040C")
    assert target.respond(bytes.fromhex("9000")) == bytes.fromhex("02 9000")  # rules C and D
    assert _command(target, bytes.fromhex("03 0084000008")) == bytes.fromhex("0084000008")
    assert target.respond(bytes.fromhex("0102030405060708 9000"))[0] == 0x03
    assert _command(target, bytes.fromhex("02 00B0000004")) == bytes.fromhex("00B0000004")
    assert target.respond(bytes.fromhex("6982"))[0] == 0x02


def test_command_chaining_is_acknowledged_and_reassembled() -> None:
    target = _active()
    assert target.receive(bytes.fromhex("12 00D60000")) == bytes.fromhex("A2")  # rule 2
    assert target.state is State.RECEIVING
    assert target.receive(bytes.fromhex("13 0401")) == bytes.fromhex("A3")
    assert _command(target, bytes.fromhex("02 0203 04")) == bytes.fromhex("00D60000 0401 0203 04")
    assert target.respond(b"\x90\x00") == bytes.fromhex("02 9000")


def test_response_chaining_splits_at_fsd_and_continues_on_each_ack() -> None:
    target = _active(RATS_FSD_64)
    _command(target, bytes.fromhex("02 00B0000096"))
    response = bytes(range(150)) + b"\x90\x00"
    blocks = [target.respond(response)]
    while blocks[-1][0] & 0x10:
        ack = 0xA2 | (blocks[-1][0] & 1) ^ 1  # the reader's R(ACK) carries its next number
        block = target.receive(bytes([ack]))
        assert isinstance(block, bytes)
        blocks.append(block)
    assert [b[0] for b in blocks] == [0x12, 0x13, 0x02]
    assert all(len(b) <= 64 - 2 for b in blocks)  # FSD includes the two CRC bytes
    assert b"".join(b[1:] for b in blocks) == response
    assert target.state is State.READY


def test_an_oversized_command_is_answered_wrong_length_without_reaching_the_chip() -> None:
    target = _active(max_apdu=6)
    assert target.receive(bytes.fromhex("12 00D60000")) == bytes.fromhex("A2")
    assert target.receive(bytes.fromhex("03 04010203")) == bytes.fromhex("03 6700")
    assert _command(target, bytes.fromhex("02 00B00000")) == bytes.fromhex("00B00000")


# -- R-blocks (rules 11, 12, 13) -----------------------------------------------------------------


def test_nak_with_the_current_number_repeats_the_last_block() -> None:
    target = _active()
    _command(target, bytes.fromhex("02 00A4040C"))
    answer = target.respond(bytes.fromhex("9000"))
    assert target.receive(bytes.fromhex("B2")) == answer  # rule 11
    assert target.receive(bytes.fromhex("A2")) == answer


def test_nak_with_the_other_number_is_acknowledged() -> None:
    target = _active()
    assert target.receive(bytes.fromhex("B2")) == bytes.fromhex("A3")  # presence check, rule 12
    _command(target, bytes.fromhex("02 00A4040C"))
    target.respond(bytes.fromhex("9000"))
    assert target.receive(bytes.fromhex("B3")) == bytes.fromhex("A2")


def test_ack_with_the_other_number_outside_chaining_is_ignored() -> None:
    target = _active()
    _command(target, bytes.fromhex("02 00A4040C"))
    target.respond(bytes.fromhex("9000"))
    assert target.receive(bytes.fromhex("A3")) is None


def test_nak_while_the_chip_works_waits_for_the_answer() -> None:
    target = _active()
    _command(target, bytes.fromhex("02 00A4040C"))
    assert target.receive(bytes.fromhex("B2")) is None  # the reader timed out; answer comes
    assert target.respond(bytes.fromhex("9000")) == bytes.fromhex("02 9000")


# -- S-blocks ------------------------------------------------------------------------------------


def test_waiting_time_extension_is_requested_and_confirmed() -> None:
    target = _active()
    _command(target, bytes.fromhex("02 0082000028"))
    assert target.request_wtx(5) == bytes.fromhex("F2 05")
    assert target.receive(bytes.fromhex("02 00")) is None  # not an I-block's turn
    assert target.receive(bytes.fromhex("B2")) == bytes.fromhex("F2 05")  # lost: rule 11
    assert target.receive(bytes.fromhex("F2 04")) is None  # not the WTXM asked for
    states = [target.state]
    assert target.receive(bytes.fromhex("F2 05")) is None
    states.append(target.state)
    assert states == [State.WAITING_TIME, State.PROCESSING]
    assert target.respond(bytes.fromhex("9000")) == bytes.fromhex("02 9000")


def test_wtx_and_respond_need_a_command_in_progress() -> None:
    target = _active()
    with pytest.raises(RuntimeError):
        target.respond(b"\x90\x00")
    with pytest.raises(RuntimeError):
        target.request_wtx(1)
    _command(target, bytes.fromhex("02 00A4040C"))
    with pytest.raises(ValueError, match="WTXM"):
        target.request_wtx(60)


def test_deselect_halts_the_target() -> None:
    target = _active()
    assert target.receive(bytes.fromhex("C2")) == bytes.fromhex("C2")
    assert target.state is State.HALTED
    for frame in (RATS_FSD_256, bytes.fromhex("02 00A4040C"), bytes.fromhex("B2")):
        assert target.receive(frame) is None


@pytest.mark.parametrize(
    "frame",
    [
        "0A 00 00A4040C",  # CID follows
        "06 00 00A4040C",  # NAD follows
        "01",  # b2 must be 1
        "E0 80",  # RATS once active
        "C2 00",  # DESELECT with a body
        "F2 01",  # an unasked-for S(WTX) response
        "02" + "00" * 254,  # longer than FSC
    ],
)
def test_invalid_blocks_are_not_answered(frame: str) -> None:
    target = _active()
    assert target.receive(bytes.fromhex(frame)) is None
    assert target.state is State.READY


# -- the ATS as the reader reads it --------------------------------------------------------------


@pytest.mark.parametrize("extended", [True, False])
def test_the_reader_reads_the_extended_length_claim_of_the_target_ats(extended: bool) -> None:
    target = ISODEPTarget(historical=historical_bytes(extended))
    assert ats_extended_length(target.ats) is extended


@pytest.mark.parametrize(
    ("ats", "extended"),
    [
        ("", False),
        ("05 78 00 80 00", False),  # no historical bytes
        ("0A 78 00 80 00 80 73 00 00 40 FF", True),  # bytes past TL are not the ATS
        ("09 78 00 80 00 80 73 00 00 40", False),  # card capabilities cut short by TL
        ("0A 08 73 00 00 40 00 90 00", False),  # category 73 is proprietary
        ("0A 08 00 73 00 00 40 00 90 00", True),  # no TA/TB/TC; category 00, status last
        ("07 78 00 80 00 80 41 05", False),  # another compact-TLV object only
        ("07 78 00 80 00 FF 00", False),  # proprietary historical bytes
        ("10 78", False),  # TL longer than the ATS
    ],
)
def test_ats_extended_length_parses_historical_bytes_strictly(ats: str, extended: bool) -> None:
    assert ats_extended_length(bytes.fromhex(ats)) is extended


def test_list_devices_is_best_effort() -> None:
    assert all(device.path.startswith("usb:") for device in list_devices())


# -- nfcpy's ISO-DEP initiator against the target, in memory -------------------------------------


class Link:
    """Stands in for nfcpy's ContactlessFrontend: `exchange` hands the frame to the target.

    `lose(n)` says whether the n-th frame is lost on the air: odd n on the way to the target
    (it never sees the frame), even n on the way back (it acted, the reader hears nothing)."""

    def __init__(
        self,
        target: ISODEPTarget,
        chip: Callable[[bytes], bytes],
        lose: Callable[[int], bool] = lambda n: False,
        wtx: int = 0,
    ) -> None:
        self.target, self.chip, self.lose, self.wtx = target, chip, lose, wtx
        self.timeout_error = pytest.importorskip("nfc.clf").TimeoutError
        self.frames = 0
        self.apdus: list[bytes] = []

    def exchange(self, data: bytearray, timeout: float) -> bytearray:
        self.frames += 2
        if self.lose(self.frames - 1):
            raise self.timeout_error("lost on the way to the target")
        out = self.target.receive(bytes(data))
        if isinstance(out, Command):
            self.apdus.append(out.apdu)
            out = self.target.request_wtx(self.wtx) if self.wtx else self.answer()
        elif self.target.state is State.PROCESSING:  # the reader confirmed S(WTX)
            out = self.answer()
        if out is None or self.lose(self.frames):
            raise self.timeout_error("no answer")
        return bytearray(out)

    def answer(self) -> bytes:
        return self.target.respond(self.chip(self.apdus[-1]))


def _initiator(link: Link, fsc: int) -> Any:
    tt4 = pytest.importorskip("nfc.tag.tt4")
    return tt4.IsoDepInitiator(link, fsc, frame_waiting_time(6))


def _echo(apdu: bytes) -> bytes:
    return apdu[::-1] * 2 + b"\x90\x00"


COMMANDS = [bytes([n]) * size for n, size in enumerate((4, 60, 61, 62, 300, 5))]


@pytest.mark.parametrize("fsd_fsc", [64, 256])
def test_nfcpy_initiator_chains_both_ways(fsd_fsc: int) -> None:
    target = _active(bytes([0xE0, {64: 0x50, 256: 0x80}[fsd_fsc]]))
    link = Link(target, _echo)
    initiator = _initiator(link, fsd_fsc)
    for command in COMMANDS:
        assert bytes(initiator.exchange(command)) == _echo(command)
    assert link.apdus == COMMANDS


@pytest.mark.parametrize("every", [4, 5, 7, 11])  # 3: more losses than nfcpy retries
def test_nfcpy_initiator_recovers_from_lost_frames(every: int) -> None:
    target = _active(RATS_FSD_64)
    link = Link(target, _echo, lose=lambda n: n % every == 0)
    initiator = _initiator(link, 64)
    for command in COMMANDS:
        assert bytes(initiator.exchange(command)) == _echo(command)
    assert link.apdus == COMMANDS  # each APDU reached the chip exactly once


def test_nfcpy_initiator_follows_waiting_time_extensions() -> None:
    target = _active()
    link = Link(target, _echo, wtx=7)
    initiator = _initiator(link, 256)
    for command in COMMANDS:
        assert bytes(initiator.exchange(command)) == _echo(command)


def test_a_free_port_with_a_service_name_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """nfcpy's reader turns a named port (60177 is "tfido" on Debian) into int("tfido")."""
    named: list[int] = []

    def getservbyport(port: int, protocol: str) -> str:
        if len(named) < 3:  # the first three ports the kernel offers have names
            named.append(port)
            return "named"
        raise OSError("port/proto not found")

    monkeypatch.setattr(socket, "getservbyport", getservbyport)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bound = nfc_target._bind_unnamed_port(sock, "127.0.0.1")
    try:
        host, port = bound.getsockname()[:2]
        assert host == "127.0.0.1"
        assert len(named) == 3
        assert port not in named
        for rejected in named:  # closed again: each can be bound once more
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.bind(("127.0.0.1", rejected))
    finally:
        bound.close()


def test_no_unnamed_port_is_an_error_not_a_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getservbyport", lambda port, protocol: "named")
    with pytest.raises(OSError, match="without a service name"):
        nfc_target._bind_unnamed_port(
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM), "127.0.0.1", attempts=4
        )
