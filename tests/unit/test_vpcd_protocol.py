"""The vpcd bridge without pcscd: frames, control messages, and a fake driver on 127.0.0.1
that plays the vpcd side (accepts the bridge, asks for the ATR, sends APDUs, sees removals)."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mrtd.sim import vpcd
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile
from mrtd.sim.vpcd import VPCDBridge, decode_frames, encode_frame, parse_address, simulated_atr

DEFAULT = Profile.default()
SELECT_EMRTD = bytes.fromhex("00A4040C07A0000002471001")
GET_CHALLENGE = bytes.fromhex("0084000008")
SELECT_EF_COM = bytes.fromhex("00A4020C02011E")  # 6A82 until the application is selected


class CountingChip(SimulatedChip):
    """Counts power cycles; `fail` makes every APDU raise, `answer` replaces the answers."""

    resets = 0
    fail = False
    answer: bytes | None = None

    def reset(self) -> None:
        self.resets += 1
        super().reset()

    def transmit(self, raw: bytes) -> bytes:
        if self.fail:
            raise RuntimeError("simulated chip bug")
        return self.answer if self.answer is not None else super().transmit(raw)


class FakeDriver:
    """The vpcd driver's end: listens on 127.0.0.1, one card connection at a time."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.port: int = self.server.getsockname()[1]
        self.card: socket.socket | None = None

    def accept(self, timeout: float = 5) -> socket.socket:
        self.server.settimeout(timeout)
        self.card, _ = self.server.accept()
        self.card.settimeout(5)
        return self.card

    def send(self, payload: bytes) -> None:
        assert self.card is not None
        self.card.sendall(encode_frame(payload))

    def ask(self, payload: bytes) -> bytes:
        self.send(payload)
        return self.receive()

    def receive(self) -> bytes:
        size = int.from_bytes(self._exactly(2), "big")
        return self._exactly(size)

    def closed_by_card(self) -> bool:
        assert self.card is not None
        return self.card.recv(1) == b""

    def _exactly(self, size: int) -> bytes:
        assert self.card is not None
        data = b""
        while len(data) < size:
            chunk = self.card.recv(size - len(data))
            assert chunk, "the card side closed the connection"
            data += chunk
        return data

    def close(self) -> None:
        if self.card is not None:
            self.card.close()
        self.server.close()


@contextmanager
def bridged(chip: SimulatedChip) -> Iterator[tuple[VPCDBridge, FakeDriver]]:
    driver = FakeDriver()
    bridge, stop = VPCDBridge(chip, "127.0.0.1", driver.port), threading.Event()
    thread = threading.Thread(target=bridge.serve, args=(stop,), daemon=True)
    thread.start()
    try:
        yield bridge, driver
    finally:
        stop.set()
        thread.join(5)
        driver.close()
        assert not thread.is_alive()


# -- frames ----------------------------------------------------------------------------------


def test_frames_are_length_prefixed_big_endian() -> None:
    assert encode_frame(b"") == b"\x00\x00"
    assert encode_frame(b"\x04") == b"\x00\x01\x04"
    assert encode_frame(bytes(0x1234))[:2] == b"\x12\x34"
    assert len(encode_frame(bytes(0xFFFF))) == 0x10001
    with pytest.raises(ValueError, match="at most 65535"):
        encode_frame(bytes(0x10000))


def test_a_partial_frame_stays_in_the_buffer() -> None:
    buffer = bytearray(encode_frame(b"\x01") + encode_frame(SELECT_EMRTD)[:5])
    assert decode_frames(buffer) == [b"\x01"]
    assert buffer == encode_frame(SELECT_EMRTD)[:5]
    buffer += encode_frame(SELECT_EMRTD)[5:]
    assert decode_frames(buffer) == [SELECT_EMRTD]
    assert buffer == b""


@given(st.lists(st.binary(max_size=300), max_size=6), st.lists(st.integers(1, 50), max_size=20))
def test_frames_survive_any_split_into_chunks(payloads: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(encode_frame(p) for p in payloads)
    buffer, decoded, position = bytearray(), [], 0
    for size in [*cuts, len(stream)]:
        buffer += stream[position : position + size]
        position += size
        decoded += decode_frames(buffer)
    assert decoded == payloads
    assert buffer == b""


# -- the card's answers ----------------------------------------------------------------------


def test_control_messages() -> None:
    chip = CountingChip(DEFAULT)
    bridge = VPCDBridge(chip)
    assert bridge.handle(b"\x04") == bridge.atr == simulated_atr(extended_length=False)
    before = chip.resets
    for control in (b"\x00", b"\x01", b"\x02"):  # power off, power on, reset: no answer
        assert bridge.handle(control) is None
    assert chip.resets == before + 3
    assert bridge.handle(b"\x07") is None  # unknown: ignored
    assert bridge.handle(b"") is None
    assert bridge.apdus == 0


def test_apdus_reach_the_chip_and_power_off_loses_the_session() -> None:
    chip = CountingChip(DEFAULT)
    bridge = VPCDBridge(chip)
    assert bridge.handle(SELECT_EMRTD) == b"\x90\x00"
    assert len(bridge.handle(GET_CHALLENGE) or b"") == 10
    assert bridge.handle(SELECT_EF_COM) == b"\x90\x00"
    bridge.handle(b"\x00")  # power off: the application is no longer selected
    assert bridge.handle(SELECT_EF_COM) == bytes.fromhex("6A82")
    assert bridge.apdus == 4


def test_the_atr_follows_the_profile() -> None:
    extended = Profile.from_dict({"chip": {"extended_length": True}})
    assert VPCDBridge(SimulatedChip(extended)).atr == simulated_atr(extended_length=True)
    assert VPCDBridge(SimulatedChip(DEFAULT), atr=b"\x3b\x00").atr == b"\x3b\x00"


def test_a_failing_chip_or_an_oversized_answer_becomes_6f00() -> None:
    chip = CountingChip(DEFAULT)
    bridge = VPCDBridge(chip)
    chip.fail = True
    assert bridge.handle(SELECT_EMRTD) == b"\x6f\x00"
    chip.fail, chip.answer = False, bytes(0x10000)
    assert bridge.handle(SELECT_EMRTD) == b"\x6f\x00"


# -- addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "address"),
    [
        ("127.0.0.1:35963", ("127.0.0.1", 35963)),
        ("localhost", ("localhost", 35963)),
        (":40000", ("127.0.0.1", 40000)),
        ("40000", ("127.0.0.1", 40000)),
        ("", ("127.0.0.1", 35963)),
        ("[::1]:40000", ("::1", 40000)),
        ("[::1]", ("::1", 35963)),
    ],
)
def test_parse_address(spec: str, address: tuple[str, int]) -> None:
    assert parse_address(spec) == address


@pytest.mark.parametrize("spec", ["host:port", "127.0.0.1:0", "127.0.0.1:65536", "[::1]x"])
def test_parse_address_refuses(spec: str) -> None:
    with pytest.raises(ValueError, match="vpcd"):
        parse_address(spec)


def test_only_loopback_addresses_are_served() -> None:
    chip = SimulatedChip(DEFAULT)
    assert VPCDBridge(chip, "localhost", 1).address == ("127.0.0.1", 1)
    assert VPCDBridge(chip, "127.0.0.2", 1).address == ("127.0.0.2", 1)
    for host in ("192.0.2.1", "0.0.0.0"):  # must be refused
        with pytest.raises(ValueError, match="not a loopback address"):
            VPCDBridge(chip, host, vpcd.VPCD_PORT)


# -- against a fake driver -------------------------------------------------------------------


def test_the_driver_gets_the_atr_and_answers() -> None:
    with bridged(SimulatedChip(DEFAULT)) as (bridge, driver):
        driver.accept()
        assert bridge.connected.wait(5)
        assert driver.ask(b"\x04") == bridge.atr
        driver.send(b"\x01")  # power on: no answer; the next frame is the ATR
        assert driver.ask(b"\x04") == bridge.atr
        assert driver.ask(SELECT_EMRTD) == b"\x90\x00"
        assert len(driver.ask(GET_CHALLENGE)) == 10


def test_remove_closes_the_connection_until_insert() -> None:
    chip = CountingChip(DEFAULT)
    with bridged(chip) as (bridge, driver):
        driver.accept()
        assert driver.ask(SELECT_EMRTD) == b"\x90\x00"
        resets = chip.resets
        bridge.remove()
        assert not bridge.inserted
        assert not bridge.connected.is_set()
        assert driver.closed_by_card()
        assert chip.resets == resets + 1  # out of the field
        with pytest.raises(TimeoutError):
            driver.accept(timeout=0.3)  # stays out
        bridge.insert()
        driver.accept()
        assert bridge.connected.wait(5)
        assert driver.ask(SELECT_EF_COM) == bytes.fromhex("6A82")  # from power-on


def test_the_bridge_comes_back_when_the_driver_drops_it() -> None:
    with bridged(SimulatedChip(DEFAULT)) as (bridge, driver):
        first = driver.accept()
        assert driver.ask(b"\x04") == bridge.atr
        first.close()  # pcscd restarted, say
        driver.accept()
        assert driver.ask(b"\x04") == bridge.atr


def test_the_bridge_waits_for_the_driver_to_listen() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free again once closed: nothing listens yet
    bridge, stop = VPCDBridge(SimulatedChip(DEFAULT), "127.0.0.1", port), threading.Event()
    thread = threading.Thread(target=bridge.serve, args=(stop,), daemon=True)
    thread.start()
    try:
        assert not bridge.connected.wait(0.5)
        with socket.create_server(("127.0.0.1", port)) as server:
            server.settimeout(5)
            card, _ = server.accept()
            card.close()
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_serve_vpcd_says_where_it_serves_and_that_it_waits_for_the_driver() -> None:
    out, stop = io.StringIO(), threading.Event()
    threading.Timer(0.6, stop.set).start()
    assert vpcd.serve_vpcd(DEFAULT, "127.0.0.1", 1, out=out, stop=stop) == 0  # nothing on :1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("serving the simulated chip to vpcd at 127.0.0.1:1 (ATR 3B 85")
    assert lines[1:] == [
        "waiting for vpcd at 127.0.0.1:1 (is pcscd running, with vsmartcard-vpcd?)"
    ]


def test_serve_vpcd_tells_when_the_card_is_in_the_reader() -> None:
    driver, out, stop = FakeDriver(), io.StringIO(), threading.Event()
    thread = threading.Thread(
        target=vpcd.serve_vpcd,
        args=(DEFAULT, "127.0.0.1", driver.port),
        kwargs={"out": out, "stop": stop},
    )
    thread.start()
    try:
        driver.accept()
        assert driver.ask(b"\x04") == simulated_atr(extended_length=False)
        deadline = time.monotonic() + 5
        while "the card is in the virtual reader" not in out.getvalue():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)
        driver.close()
    assert not thread.is_alive()


def test_serve_vpcd_refuses_a_remote_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert vpcd.serve_vpcd(DEFAULT, "192.0.2.1", 35963) == 2
    assert "not a loopback address" in capsys.readouterr().err
