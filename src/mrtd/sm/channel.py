"""A secure-messaging channel: session keys and the send sequence counter (SSC).

The terminal protects commands and unprotects responses; the simulated chip does the reverse
with the same object, so both sides are built from one implementation (docs/design.md,
"Principles", 2).
The byte work is in `mrtd.crypto` (C core, or its pure-Python twin).
"""

from __future__ import annotations

from typing import Self

from mrtd import crypto
from mrtd.apdu import SHORT_MAX_NE, CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.errors import CardStatusError, SecureMessagingError

BLOCK_SIZE = {SMAlgorithm.DES3: 8, SMAlgorithm.AES: 16}
SM_CLA = 0x0C  # 9303-11 §9.8.4: CLA with secure messaging, header authenticated
SM_ERRORS = (0x6987, 0x6988)  # SM data objects missing / incorrect: the chip ends SM
CLOSED = "the secure channel is closed: its keys were wiped"


class SecureChannel:
    """Keys and SSC of one secure-messaging session. Each side increments the SSC before
    protecting or unprotecting an APDU (9303-11 §9.8.2). A bare error status word means the
    chip did not process the protected command (e.g. 6700 to an extended APDU it cannot
    take), so the terminal takes back the increment it made for that command.

    K_enc and K_mac are copied into bytearrays of the channel's own; `wipe()` (also `close()`,
    or leaving a `with` block; the session calls it when it drops the channel) zeroes them,
    and a wiped channel refuses to protect or unprotect anything. The C core reads the keys in
    place; what Python cannot wipe is listed in `mrtd.crypto.wipe`."""

    __slots__ = ("_size", "_ssc", "algorithm", "k_enc", "k_mac")

    def __init__(
        self, algorithm: SMAlgorithm, k_enc: crypto.BytesLike, k_mac: crypto.BytesLike, ssc: bytes
    ):
        if len(ssc) != BLOCK_SIZE[algorithm]:
            raise ValueError("SSC length must equal the cipher block size")
        self.algorithm = algorithm
        self._size = len(ssc)
        self.k_enc = bytearray(k_enc)
        self.k_mac = bytearray(k_mac)
        self._ssc = int.from_bytes(ssc, "big")

    @property
    def closed(self) -> bool:
        return not self.k_mac

    def wipe(self) -> None:
        """Zero both session keys; the channel cannot be used afterwards."""
        crypto.wipe(self.k_enc, self.k_mac)
        self.k_enc.clear()
        self.k_mac.clear()

    close = wipe

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wipe()

    @property
    def ssc(self) -> bytes:
        return self._ssc.to_bytes(self._size, "big")

    def _next(self) -> bytes:
        self._ssc = (self._ssc + 1) % (1 << (8 * self._size))
        return self.ssc

    def max_short_ne(self) -> int:
        """The largest Le whose protected response still fits a short APDU (256 bytes)."""
        return max(ne for ne in range(1, 257) if protected_response_size(ne, self._size) <= 256)

    # -- terminal role ----------------------------------------------------------------------

    def protect(self, command: CommandAPDU) -> CommandAPDU:
        """The SM command for a plain one (DO'87'/'85', DO'97', DO'8E')."""
        if not self.k_mac:
            raise RuntimeError(CLOSED)
        header = bytes((command.cla | SM_CLA, command.ins, command.p1, command.p2))
        le = _encode_le(command.ne)
        body = crypto.wrap_command(
            self.algorithm, self.k_enc, self.k_mac, self._next(), header, command.data, le
        )
        # Outer Le: 00 (or 0000) asks for whatever the protected response holds. A plain Le of
        # 00 ("up to 256") stays short, as terminals send it and chips without extended length
        # expect; an exact Le whose protected answer cannot fit 256 bytes goes extended.
        ne = command.ne or 0
        reply = protected_response_size(ne, self._size)
        extended = len(body) > 255 or ne > SHORT_MAX_NE or (ne != SHORT_MAX_NE and reply > 256)
        return CommandAPDU(header[0], command.ins, command.p1, command.p2, body,
                           65536 if extended else 256)  # fmt: skip

    def unprotect(self, response: ResponseAPDU) -> ResponseAPDU:
        """The plain response. A bare status word means the chip answered without SM."""
        if not response.data:
            if response.sw in SM_ERRORS:
                raise SecureMessagingError(
                    f"chip rejected the secure messaging ({response.sw:04X}); session ended"
                )
            if response.sw == 0x9000:
                raise SecureMessagingError("chip answered 9000 without secure messaging")
            self._ssc = (self._ssc - 1) % (1 << (8 * self._size))
            raise CardStatusError(response.sw, "unprotected answer")
        if not self.k_mac:
            raise RuntimeError(CLOSED)
        data, sw = crypto.unwrap_response(
            self.algorithm, self.k_enc, self.k_mac, self._next(), response.data
        )
        if sw != response.sw:
            raise SecureMessagingError("status word outside the MAC differs from DO'99'")
        return ResponseAPDU(data, sw)

    # -- chip role --------------------------------------------------------------------------

    def unprotect_command(self, command: CommandAPDU) -> CommandAPDU:
        """The plain command inside an SM one (the chip checks its MAC)."""
        if command.cla & SM_CLA != SM_CLA:
            raise SecureMessagingError("command without secure messaging")
        if not self.k_mac:
            raise RuntimeError(CLOSED)
        data, le = crypto.unwrap_command(
            self.algorithm, self.k_enc, self.k_mac, self._next(), command.header, command.data
        )
        return CommandAPDU(command.cla & ~SM_CLA & 0xFF, command.ins, command.p1, command.p2,
                           data, _decode_le(le))  # fmt: skip

    def protect_response(self, response: ResponseAPDU, *, odd: bool = False) -> ResponseAPDU:
        if not self.k_mac:
            raise RuntimeError(CLOSED)
        body = crypto.wrap_response(
            self.algorithm, self.k_enc, self.k_mac, self._next(), response.data, response.sw, odd
        )
        return ResponseAPDU(body, response.sw)

    def __repr__(self) -> str:
        keys = "<keys wiped>" if self.closed else "<keys redacted>"
        return f"SecureChannel({self.algorithm.name}, {keys})"


def protected_response_size(ne: int, block: int) -> int:
    """Bytes of an SM response carrying `ne` plain bytes: DO'87', DO'99', DO'8E' (9303-11)."""
    size = 4 + 10  # DO'99' and DO'8E'
    if ne:
        value = 1 + (ne // block + 1) * block  # padding indicator + padded cryptogram
        size += 1 + (1 if value < 0x80 else 2 if value < 0x100 else 3) + value
    return size


def _encode_le(ne: int | None) -> bytes:
    """Le as carried in DO'97': one byte up to 256 (00 = 256), else two (0000 = 65536)."""
    if ne is None:
        return b""
    if ne <= SHORT_MAX_NE:
        return bytes((ne % 256,))
    return (ne % 65536).to_bytes(2, "big")


def _decode_le(le: bytes) -> int | None:
    if not le:
        return None
    if len(le) == 1:
        return le[0] or 256
    if len(le) == 2:
        return int.from_bytes(le, "big") or 65536
    raise SecureMessagingError("DO'97' must hold one or two bytes")
