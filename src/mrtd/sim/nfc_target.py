"""The simulated chip as an ISO/IEC 14443-4 Type 4A target on nfcpy's `udp` link.

nfcpy's udp driver (nfc/clf/udp.py) plays the ISO/IEC 14443-3 half of a Type A target:
`listen_tta` answers SENS_REQ, SDD_REQ and SEL_REQ and hands over the first frame after
selection (`tt4_cmd`, the RATS); `ContactlessFrontend.exchange` then sends one frame and waits
for the next. nfcpy has no ISO-DEP target (`nfc.tag.emulate` emulates Type 3 only), so the
block protocol lives here: `ISODEPTarget` is sans-I/O (frames in, frames and APDUs out) and
`NFCTarget` carries its frames over nfcpy and hands each APDU to the `SimulatedChip`.

    python -m mrtd.sim.nfc_target --port 54321 [--profile P.toml]
    NFCReader("udp:127.0.0.1:54321")          # mrtd.readers.nfc, the other side

The chip leaves the field when its profile says so ([faults] remove_at_apdu, return_after_ms)
and the target then falls silent, as a real chip does; `stop` pulls it for good.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import math
import os
import select
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from mrtd.errors import CardRemovedError
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile, ProfileError

FRAME_SIZES = (16, 24, 32, 40, 48, 64, 96, 128, 256)  # FSCI / FSDI -> bytes (14443-4 §5.2.3)
FSC = 256  # the largest frame this target takes (FSCI 8, sent in the ATS)
PCB_AND_CRC = 3  # frame bytes that are not INF (no CID, no NAD: the ATS says so)
MAX_APDU = 4 + 3 + 65535 + 3  # an extended-length command APDU with Lc and Le
SW_WRONG_LENGTH = b"\x67\x00"

RATS = 0xE0
I_BLOCK, CHAINING, CID, NAD = 0x02, 0x10, 0x08, 0x04
R_ACK, R_NAK = 0xA2, 0xB2
S_DESELECT, S_WTX = 0xC2, 0xF2
MAX_WTXM = 59


class State(enum.Enum):
    IDLE = "idle"  # selected by 14443-3, waiting for RATS
    READY = "ready"  # active, waiting for the next command block
    RECEIVING = "receiving"  # command chaining: more I-blocks to come
    PROCESSING = "processing"  # a whole APDU is with the chip
    WAITING_TIME = "waiting time"  # S(WTX) request sent, waiting for the reader to confirm it
    SENDING = "sending"  # response chaining: waiting for the reader's R(ACK)
    HALTED = "halted"  # S(DESELECT) answered; only a new activation wakes it


@dataclass(frozen=True, slots=True)
class Command:
    """A whole command APDU for the chip (after command chaining, if any)."""

    apdu: bytes


def frame_waiting_time(fwi: int) -> float:
    """FWT = 256 * 16 / fc * 2**FWI seconds (14443-4 §7.2)."""
    return 4096 / 13.56e6 * (1 << fwi)


def historical_bytes(extended_length: bool) -> bytes:
    """ATS historical bytes: category 80, card capabilities (7816-4 §8.1.1.2.7): selection
    by full DF name, and third byte b7 set when the chip takes extended Lc/Le."""
    return bytes([0x80, 0x73, 0x80, 0x01, 0x40 if extended_length else 0x00])


class ISODEPTarget:
    """The PICC side of the ISO/IEC 14443-4 half-duplex block protocol (§7), without I/O.

    `receive(frame)` returns the frame to answer with, a `Command` for the chip (answer it
    with `respond`), or None for silence (invalid blocks, §7.5.6). Block numbering follows
    rules C, D, E and 10-13 of §7.5.4; CID and NAD are not supported (the ATS says so)."""

    def __init__(self, *, fwi: int = 9, historical: bytes = b"", max_apdu: int = MAX_APDU) -> None:
        if not 0 <= fwi <= 14:
            raise ValueError("FWI must be 0..14")
        if len(historical) > 9:
            raise ValueError("the ATS must fit the smallest FSD (16 bytes with CRC): 9 bytes")
        self.fwi = fwi
        self.historical = historical
        self.max_apdu = max_apdu
        self.state = State.IDLE
        self.fsd = FRAME_SIZES[0]
        self._block = 1
        self._last: bytes | None = None
        self._command = bytearray()
        self._overflow = False
        self._pending = b""
        self._wtxm = 0

    @property
    def fwt(self) -> float:
        return frame_waiting_time(self.fwi)

    @property
    def ats(self) -> bytes:
        """TL T0 TA TB TC historical (§5.2): FSCI 8, 106 kbit/s only, FWI and SFGI 0, no CID,
        no NAD."""
        body = bytes([0x70 | FRAME_SIZES.index(FSC), 0x00, self.fwi << 4, 0x00]) + self.historical
        return bytes([len(body) + 1]) + body

    def receive(self, frame: bytes) -> bytes | Command | None:
        if not frame or self.state is State.HALTED:
            return None
        if self.state is State.IDLE:
            return self._rats(frame)
        pcb = frame[0]
        if len(frame) > FSC - 2 or pcb & CID:
            return None
        if pcb & 0xE2 == I_BLOCK:
            return self._i_block(pcb, frame[1:])
        if pcb & 0xE6 == R_ACK:
            return self._r_block(pcb)
        if pcb & 0xC7 == S_DESELECT:
            return self._s_block(pcb, frame[1:])
        return None

    def respond(self, response: bytes) -> bytes:
        """The first block of the chip's answer to the last `Command`."""
        if self.state is not State.PROCESSING:
            raise RuntimeError(f"no command to answer (state {self.state.value})")
        self._pending = response
        return self._next_block()

    def request_wtx(self, wtxm: int) -> bytes:
        """S(WTX): ask for `wtxm` times FWT more while the chip works (§7.3)."""
        if self.state is not State.PROCESSING:
            raise RuntimeError(f"no command in progress (state {self.state.value})")
        if not 1 <= wtxm <= MAX_WTXM:
            raise ValueError("WTXM must be 1..59")
        self._wtxm = wtxm
        self.state = State.WAITING_TIME
        return self._sent(bytes([S_WTX, wtxm]))

    # -- blocks --------------------------------------------------------------------------------

    def _rats(self, frame: bytes) -> bytes | None:
        if len(frame) != 2 or frame[0] != RATS:
            return None
        self.fsd = FRAME_SIZES[min(frame[1] >> 4, len(FRAME_SIZES) - 1)]  # larger: use 256
        self.state, self._block, self._last = State.READY, 1, None  # rule C
        return self.ats

    def _i_block(self, pcb: int, inf: bytes) -> bytes | Command | None:
        if self.state not in (State.READY, State.RECEIVING) or pcb & NAD:
            return None
        self._block ^= 1  # rule D: whatever its block number
        if len(self._command) + len(inf) > self.max_apdu:
            self._overflow = True
        else:
            self._command += inf
        if pcb & CHAINING:
            self.state = State.RECEIVING
            return self._sent(bytes([R_ACK | self._block]))  # rule 2
        apdu, overflow = bytes(self._command), self._overflow
        self._command, self._overflow = bytearray(), False
        self.state = State.PROCESSING
        return self.respond(SW_WRONG_LENGTH) if overflow else Command(apdu)

    def _r_block(self, pcb: int) -> bytes | None:
        number, nak = pcb & 1, pcb & 0xF6 == R_NAK
        if self.state is State.PROCESSING:
            return None  # the reader gave up waiting; the answer to come answers its R(NAK)
        if self._last is not None and number == self._block:
            return self._last  # rule 11
        if nak:
            return bytes([R_ACK | self._block])  # rule 12
        if self.state is State.SENDING:
            self._block ^= 1  # rule E
            return self._next_block()  # rule 13
        return None

    def _s_block(self, pcb: int, inf: bytes) -> bytes | None:
        if pcb == S_DESELECT and not inf:
            self.state, self._pending, self._command = State.HALTED, b"", bytearray()
            return bytes([S_DESELECT])
        if pcb == S_WTX and self.state is State.WAITING_TIME and inf == bytes([self._wtxm]):
            self.state = State.PROCESSING
        return None

    def _next_block(self) -> bytes:
        size = self.fsd - PCB_AND_CRC
        chunk, self._pending = self._pending[:size], self._pending[size:]
        self.state = State.SENDING if self._pending else State.READY
        pcb = I_BLOCK | self._block | (CHAINING if self._pending else 0)
        return self._sent(bytes([pcb]) + chunk)

    def _sent(self, block: bytes) -> bytes:
        self._last = block
        return block


# -- the loop over nfcpy's udp driver ------------------------------------------------------------

LISTEN_SECONDS = 0.5  # nfcpy's listen_tta waits at least this long (udp.py _listen_tta)
POLL_SECONDS = 0.05  # how often a waiting target looks at `stop`
POLLS = (b"\x26", b"\x52")  # SENS_REQ, ALL_REQ: a reader starts over (its field went off unsaid)
WTX_SECONDS = 0.5  # how much more time one S(WTX) asks for


@dataclass
class TargetStats:
    activations: int = 0  # RATS answered
    apdus: int = 0  # APDUs answered
    wtx: int = 0  # S(WTX) requests sent
    removals: int = 0  # times the chip left the field


class _LinkLostError(Exception):
    """The reader switched the field off, or `stop` was set: leave the session."""


class NFCTarget:
    """Serve `chip` as a Type 4A tag on nfcpy's udp link, bound to `host` only.

    Port 0 picks a free port; `port` holds it once `ready` is set. nfcpy's own driver binds
    the listening socket to 0.0.0.0 (udp.py `_bind_socket`); this target binds to `host`."""

    def __init__(
        self,
        chip: SimulatedChip,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        fwi: int = 9,
        ready: threading.Event | None = None,
    ) -> None:
        ISODEPTarget(fwi=fwi)  # reject a bad FWI now, not in the first session
        self.chip = chip
        self.fwi = fwi
        self.ready = ready if ready is not None else threading.Event()
        self.stats = TargetStats()
        self._device = _loopback_device(host, port, self.ready)

    @property
    def port(self) -> int:
        return int(self._device.addr[1])

    @property
    def path(self) -> str:
        """The nfcpy path a reader opens: udp:HOST:PORT."""
        return f"udp:{self._device.addr[0]}:{self.port}"

    def serve(self, stop: threading.Event) -> TargetStats:
        """Answer readers until `stop` is set; then fall silent and return."""
        clf = _nfcpy().ContactlessFrontend()
        clf.device = self._device
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="mrtd-chip") as worker:
                while not stop.is_set():
                    if not self.chip.present:
                        self._away(clf, stop)
                        continue
                    activated = clf.listen(self._local_target(), LISTEN_SECONDS)
                    if activated is not None and activated.tt4_cmd is not None:
                        self._session(clf, bytes(activated.tt4_cmd), stop, worker)
        finally:
            clf.close()
            self.chip.reset()
        return self.stats

    def _local_target(self) -> Any:
        uid = b"\x08" + os.urandom(3)  # a random NFCID1 for every activation (14443-3 §6.5.4)
        return _nfcpy().clf.LocalTarget(
            "106A", sens_res=bytearray(b"\x04\x00"), sdd_res=bytearray(uid), sel_res=b"\x20"
        )

    def _session(
        self, clf: Any, rats: bytes, stop: threading.Event, worker: ThreadPoolExecutor
    ) -> None:
        """One activation: RATS, blocks, until the field goes off or the chip leaves."""
        iso = ISODEPTarget(fwi=self.fwi, historical=historical_bytes(self.chip.extended_length))
        ats = iso.receive(rats)
        if ats is None:
            return  # no RATS: not a reader speaking ISO-DEP
        self.chip.reset()  # a new activation is a new power-up
        self.stats.activations += 1
        try:
            frame = self._exchange(clf, ats, stop)
            while frame not in POLLS:
                answer = iso.receive(frame)
                if isinstance(answer, Command):
                    answer = self._process(clf, iso, answer.apdu, stop, worker)
                if iso.state is State.HALTED:
                    self._send(clf, answer)
                    return
                frame = self._exchange(clf, answer, stop)
        except _LinkLostError:
            return

    def _process(
        self,
        clf: Any,
        iso: ISODEPTarget,
        apdu: bytes,
        stop: threading.Event,
        worker: ThreadPoolExecutor,
    ) -> bytes | None:
        """The chip's answer to `apdu`, as the first block to send."""
        future = worker.submit(self.chip.transmit, apdu)
        try:
            out = self._wait_for_chip(clf, iso, future, stop)
        finally:
            response = self._settle(future)  # never leave the chip half-way through an APDU
        if iso.state is State.PROCESSING:
            for frame in self._queued(clf):  # late R(NAK)s: the answer below answers them
                out = iso.receive(frame) or out
        if iso.state is not State.PROCESSING:  # deselected while the chip worked
            return out if isinstance(out, bytes) else None
        self.stats.apdus += 1
        return iso.respond(response)

    def _wait_for_chip(
        self, clf: Any, iso: ISODEPTarget, future: Future[bytes], stop: threading.Event
    ) -> bytes | Command | None:
        """Ask for waiting time (S(WTX), §7.3) while the chip works past half of FWT."""
        budget = iso.fwt / 2
        while not wait([future], timeout=budget).done:
            wtxm = max(1, min(MAX_WTXM, math.ceil(WTX_SECONDS / iso.fwt)))
            out: bytes | Command | None = iso.request_wtx(wtxm)
            self.stats.wtx += 1
            while iso.state is State.WAITING_TIME:
                out = iso.receive(self._exchange(clf, out, stop))
            if iso.state is not State.PROCESSING:
                return out
            budget = wtxm * iso.fwt / 2
        return None

    def _settle(self, future: Future[bytes]) -> bytes:
        try:
            return future.result()
        except CardRemovedError:  # the profile's fault: the chip left the field
            self.stats.removals += 1
            raise _LinkLostError from None

    def _exchange(self, clf: Any, answer: bytes | Command | None, stop: threading.Event) -> bytes:
        """Send `answer` (None: stay silent) and wait for the reader's next frame."""
        nfc = _nfcpy()
        data = bytearray(answer) if isinstance(answer, bytes) else None
        while not stop.is_set():
            try:
                frame = clf.exchange(data, POLL_SECONDS)
            except nfc.clf.BrokenLinkError:
                break  # RFOFF: the reader switched its field off
            except nfc.clf.CommunicationError:
                frame = None  # nothing yet (timeout) or a malformed datagram
            data = None
            if frame:
                return bytes(frame)
        raise _LinkLostError

    def _send(self, clf: Any, answer: bytes | Command | None) -> None:
        if isinstance(answer, bytes):
            clf.exchange(bytearray(answer), 0)

    def _queued(self, clf: Any) -> list[bytes]:
        """Frames that came while the chip worked (the reader timed out and sent R(NAK))."""
        nfc = _nfcpy()
        frames: list[bytes] = []
        while clf.device.pending():
            try:
                frame = clf.exchange(None, POLL_SECONDS)
            except nfc.clf.BrokenLinkError:
                raise _LinkLostError from None
            except nfc.clf.CommunicationError:
                continue
            if frame:
                frames.append(bytes(frame))
        return frames

    def _away(self, clf: Any, stop: threading.Event) -> None:
        """Out of the field: no socket, no answers, until the profile brings the chip back."""
        clf.device.mute()
        back_after = self.chip.profile.faults.return_after_ms
        if back_after < 0:
            stop.wait()
        elif not stop.wait(back_after / 1000):
            self.chip.wait_for_return(back_after / 1000)


def _loopback_device(host: str, port: int, ready: threading.Event) -> Any:
    """nfcpy's udp Device, listening on `host` only and keeping the port it first got."""

    class LoopbackDevice(_nfcpy().clf.udp.Device):  # type: ignore[misc]
        addr: tuple[str, int]
        socket: socket.socket

        def _bind_socket(self, time_to_return: float) -> bool:
            if self.addr[1] == 0:
                self.socket = _bind_unnamed_port(self.socket, self.addr[0])
            else:
                self.socket.bind(self.addr)
            self.addr = self.socket.getsockname()[:2]
            ready.set()
            return True

        def pending(self) -> bool:
            """Whether a datagram waits (never blocks)."""
            return self.socket is not None and bool(select.select([self.socket], [], [], 0)[0])

    device = LoopbackDevice(host, port)
    device._vendor_name, device._device_name, device._chipset_name = "mrtd", "SimulatedChip", "UDP"
    device._path = f"udp:{host}:{port}"
    return device


def _bind_unnamed_port(sock: socket.socket, host: str, attempts: int = 64) -> socket.socket:
    """`sock`, or a fresh socket, bound to a free port of `host` that /etc/services names no
    service for. nfcpy's reader resolves the port of a udp path with getnameinfo without
    NI_NUMERICSERV and fails on int("tfido") when the port has a name (60177 on Debian)."""
    rejected: list[socket.socket] = []  # kept bound until the end, so the kernel offers others
    try:
        for _ in range(attempts):
            sock.bind((host, 0))
            try:
                socket.getservbyport(sock.getsockname()[1], "udp")
            except OSError:  # no service has this port: its number survives getnameinfo
                return sock
            rejected.append(sock)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.close()
        raise OSError(f"no free UDP port without a service name on {host} in {attempts} tries")
    finally:
        for named in rejected:
            named.close()


def _nfcpy() -> Any:
    """The `nfc` package with its udp driver, imported on first use (an optional dependency)."""
    try:
        importlib.import_module("nfc.clf.udp")
        return importlib.import_module("nfc")
    except ImportError as exc:
        raise ImportError("the NFC target needs nfcpy: pip install 'mrtd[nfc]'") from exc


def serve_nfc_target(
    chip: SimulatedChip,
    path: str = "udp:127.0.0.1:54321",
    *,
    stop: threading.Event,
    fwi: int = 9,
    ready: threading.Event | None = None,
) -> TargetStats:
    """Serve `chip` on `path` (udp:HOST:PORT) until `stop` is set. For a thread or a process."""
    kind, _, rest = path.partition(":")
    host, _, port = rest.rpartition(":")
    if kind != "udp" or not host or not port.isdigit():
        raise ValueError(f"expected udp:HOST:PORT, got {path!r}")
    return NFCTarget(chip, host, int(port), fwi=fwi, ready=ready).serve(stop)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mrtd.sim.nfc_target", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=54321, help="UDP port (0: any free one)")
    parser.add_argument("--profile", metavar="PROFILE.toml", help="chip profile")
    parser.add_argument("--fwi", type=int, default=9, help="frame waiting time integer 0..14")
    args = parser.parse_args(argv)
    try:
        chip = SimulatedChip(Profile.load(args.profile) if args.profile else None)
        target = NFCTarget(chip, args.host, args.port, fwi=args.fwi)
    except (ProfileError, ValueError) as exc:
        print(f"mrtd.sim.nfc_target: {exc}", file=sys.stderr)
        return 2
    except (ImportError, OSError) as exc:
        print(f"mrtd.sim.nfc_target: {exc}", file=sys.stderr)
        return 4
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=_announce, args=(target, stop), daemon=True).start()
    try:
        stats = target.serve(stop)
    except OSError as exc:  # e.g. the port is taken
        print(f"mrtd.sim.nfc_target: {exc}", file=sys.stderr)
        return 4
    print(f"stopped after {stats.apdus} APDUs", file=sys.stderr)
    return 0


def _announce(target: NFCTarget, stop: threading.Event) -> None:
    while not stop.is_set():
        if target.ready.wait(POLL_SECONDS):
            print(f"listening on {target.path}", flush=True)
            return


if __name__ == "__main__":
    sys.exit(main())
