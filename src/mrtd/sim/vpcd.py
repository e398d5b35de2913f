"""Serve the simulated chip to pcscd through vsmartcard's virtual reader driver (vpcd).

The vpcd driver (Debian: vsmartcard-vpcd, /etc/reader.conf.d/vpcd) listens on TCP port 35963
(its CHANNELID 0x8C7B; the second slot on 35964) and shows up in PC/SC as "Virtual PCD 00 00".
The card side, this bridge, connects to it as a client; the card is present while the
connection is open, so closing it is a removal and connecting again an insertion.

Every message is a frame: a 2-byte big-endian length, then the payload. A 1-byte payload is a
control message from the driver: 00 power off, 01 power on, 02 reset (no answer), 04 "send your
ATR" (answered with the ATR; the driver also polls it to see whether the card is still there).
Any longer payload is a command APDU, answered with the response APDU.

The chip gets a PC/SC Part 3 contactless pseudo-ATR whose card capabilities announce extended
Lc/Le exactly when the chip's profile takes extended-length APDUs. The bridge only ever
connects to a loopback address: the simulated chip is for this machine's pcscd.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import select
import socket
import sys
import threading
from typing import TextIO

from mrtd.readers.atr import EXTENDED_LC_LE, contactless_atr
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile

__all__ = [
    "DEFAULT_HOST",
    "VPCD_PORT",
    "VPCDBridge",
    "decode_frames",
    "encode_frame",
    "loopback_address",
    "parse_address",
    "serve_vpcd",
    "simulated_atr",
]

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
VPCD_PORT = 35963  # 0x8C7B, the CHANNELID of Debian's /etc/reader.conf.d/vpcd
CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0x00, 0x01, 0x02, 0x04
MAX_FRAME = 0xFFFF
SW_INTERNAL_ERROR = b"\x6f\x00"  # no precise diagnosis (ISO/IEC 7816-4 §5.6)
POLL_SECONDS = 0.05  # how often the serving loop looks at stop / remove()
RETRY_SECONDS = 0.2  # between attempts to reach the driver
FRAME_SECONDS = 5.0  # a send to, or a receive from, the driver that stalls drops it
STATUS_SECONDS = 0.25  # how often `mrtd sim --vpcd` looks whether the card is connected
# ISO/IEC 7816-4 §12.1.1.9 card capabilities (COMPACT-TLV tag 7, three software function
# tables): selection by full DF name, by file identifier and by short EF identifier; data
# coding byte 21 (one-byte data units); third byte: b7 extended Lc/Le, no chaining or channels.
SELECTION_METHODS = 0x94
DATA_CODING = 0x21


def simulated_atr(extended_length: bool) -> bytes:
    """The pseudo-ATR a PC/SC reader would report for the simulated chip (type A)."""
    third = EXTENDED_LC_LE if extended_length else 0x00
    return contactless_atr(bytes([0x80, 0x73, SELECTION_METHODS, DATA_CODING, third]))


def encode_frame(payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME:
        raise ValueError(f"a vpcd frame carries at most {MAX_FRAME} bytes, not {len(payload)}")
    return len(payload).to_bytes(2, "big") + payload


def decode_frames(buffer: bytearray) -> list[bytes]:
    """Take every complete frame off the front of `buffer`, leaving a partial one there."""
    frames = []
    while len(buffer) >= 2:
        size = int.from_bytes(buffer[:2], "big")
        if len(buffer) < 2 + size:
            break
        frames.append(bytes(buffer[2 : 2 + size]))
        del buffer[: 2 + size]
    return frames


def parse_address(spec: str) -> tuple[str, int]:
    """`HOST:PORT`, `HOST`, `:PORT` or `PORT` (IPv6 in brackets) -> (host, port)."""
    host, port_text = DEFAULT_HOST, str(VPCD_PORT)
    text = spec.strip()
    if text.startswith("["):
        inside, _, after = text[1:].partition("]")
        host = inside
        if after:
            if not after.startswith(":"):
                raise ValueError(f"bad vpcd address {spec!r}; expected [HOST]:PORT")
            port_text = after[1:]
    elif text.isdigit():
        port_text = text
    elif ":" in text:
        host_part, port_text = text.rsplit(":", 1)
        host = host_part or DEFAULT_HOST
    elif text:
        host = text
    if not port_text.isdigit() or not 0 < int(port_text) < 0x10000:
        raise ValueError(f"bad vpcd port in {spec!r}")
    return host, int(port_text)


def loopback_address(host: str, port: int) -> tuple[str, int]:
    """Resolve `host` and insist that it is this machine; prefer IPv4 (vpcd listens on it)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValueError(f"cannot resolve vpcd host {host!r}: {exc.strerror}") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise ValueError(f"vpcd host {host!r} is not a loopback address; the bridge stays local")
    ipv4 = [a for a in addresses if ":" not in a]
    return (ipv4 or addresses)[0], port


class VPCDBridge:
    """Connects one `SimulatedChip` to a vpcd slot; `remove()` / `insert()` move it in and out.

    `serve()` runs in one thread; `remove()`, `insert()` and the events may be used from
    others. The chip is only ever touched by the serving thread."""

    def __init__(
        self,
        chip: SimulatedChip,
        host: str = DEFAULT_HOST,
        port: int = VPCD_PORT,
        *,
        atr: bytes | None = None,
    ) -> None:
        self.chip = chip
        self.address = loopback_address(host, port)
        self.atr = atr if atr is not None else simulated_atr(chip.extended_length)
        self.connected = threading.Event()  # set while the driver sees the card
        self._idle = threading.Event()  # the opposite of `connected`
        self._idle.set()
        self.apdus = 0
        self._inserted = threading.Event()
        self._inserted.set()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None

    # -- the card in the field ------------------------------------------------------------

    @property
    def inserted(self) -> bool:
        return self._inserted.is_set()

    def remove(self, timeout: float = 2.0) -> None:
        """Take the card away: drop the connection and stay away until `insert()`.

        Waits up to `timeout` seconds for the serving loop to let go (0: do not wait, as
        when called from the chip, in the serving thread)."""
        self._inserted.clear()
        with self._lock:
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_RDWR)
        self._idle.wait(timeout)

    def insert(self) -> None:
        """Put the card back: the serving loop connects to the driver again."""
        self._inserted.set()

    # -- serving --------------------------------------------------------------------------

    def serve_forever(self) -> None:
        self.serve(threading.Event())

    def serve(self, stop: threading.Event) -> None:
        """Keep the card connected while inserted, answer the driver, until `stop` is set."""
        announced = False
        while not stop.is_set():
            if not self._inserted.is_set():
                stop.wait(POLL_SECONDS)
                continue
            sock = self._connect()
            if sock is None:
                if not announced:
                    log.info("waiting for vpcd at %s:%d", *self.address)
                    announced = True
                stop.wait(RETRY_SECONDS)
                continue
            announced = False
            try:
                self._session(sock, stop)
            finally:
                with self._lock:
                    self._sock = None
                sock.close()
                self.chip.reset()  # out of the field: power lost
                self.connected.clear()
                self._idle.set()

    def handle(self, payload: bytes) -> bytes | None:
        """The answer to one frame from the driver (None: nothing to send back)."""
        if len(payload) == 1:
            control = payload[0]
            if control in (CTRL_OFF, CTRL_ON, CTRL_RESET):
                self.chip.reset()
                return None
            if control == CTRL_ATR:
                return self.atr
            log.warning("unknown vpcd control message %02X ignored", control)
            return None
        if not payload:
            return None
        self.apdus += 1
        try:
            answer = self.chip.transmit(payload)
        except Exception:  # a bug in the simulated chip must not take the reader down
            log.exception("the simulated chip failed on an APDU")
            return SW_INTERNAL_ERROR
        return answer if len(answer) <= MAX_FRAME else SW_INTERNAL_ERROR

    def _connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(self.address, timeout=RETRY_SECONDS)
        except OSError:
            return None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if not self._inserted.is_set():  # removed while connecting
                sock.close()
                return None
            self._sock = sock
            self._idle.clear()
            self.connected.set()
        log.info("card inserted in vpcd at %s:%d", *self.address)
        return sock

    def _session(self, sock: socket.socket, stop: threading.Event) -> None:
        buffer = bytearray()
        sock.settimeout(FRAME_SECONDS)
        while not stop.is_set() and self._inserted.is_set():
            readable, _, _ = select.select([sock], [], [], POLL_SECONDS)
            if not readable:
                continue
            try:
                chunk = sock.recv(2 + MAX_FRAME)
                _quick_ack(sock)
                if not chunk:
                    return  # the driver (or pcscd) went away
                buffer += chunk
                for payload in decode_frames(buffer):
                    answer = self.handle(payload)
                    if answer is not None:
                        sock.sendall(encode_frame(answer))
            except OSError:
                return


def serve_vpcd(
    profile: Profile,
    host: str = DEFAULT_HOST,
    port: int = VPCD_PORT,
    *,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
) -> int:
    """`mrtd sim --vpcd`: serve until interrupted (or `stop`), telling when the card is in
    the virtual reader. Exit status 0, or 2 for an address that is not this machine's."""
    out = out if out is not None else sys.stdout
    try:
        bridge = VPCDBridge(SimulatedChip(profile), host, port)
    except ValueError as exc:
        print(f"mrtd: invalid: {exc}", file=sys.stderr)
        return 2
    where = f"{bridge.address[0]}:{port}"
    print(f"serving the simulated chip to vpcd at {where} "
          f"(ATR {bridge.atr.hex(' ').upper()}); Ctrl-C to stop", file=out, flush=True)  # fmt: skip
    stop = stop if stop is not None else threading.Event()
    thread = threading.Thread(target=bridge.serve, args=(stop,), name="vpcd", daemon=True)
    thread.start()
    shown: bool | None = None
    try:
        while thread.is_alive() and not stop.wait(STATUS_SECONDS):
            if bridge.connected.is_set() != shown:
                shown = bridge.connected.is_set()
                status = (
                    "the card is in the virtual reader"
                    if shown
                    else f"waiting for vpcd at {where} (is pcscd running, with vsmartcard-vpcd?)"
                )
                print(status, file=out, flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        thread.join(FRAME_SECONDS)
    return 0


def _quick_ack(sock: socket.socket) -> None:
    """Acknowledge at once (Linux; the kernel clears the flag again after a while).

    The driver writes the length and the payload of a frame separately without TCP_NODELAY,
    so Nagle holds the payload until the length is acknowledged, and a delayed ACK would
    make every APDU wait ~40 ms."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
