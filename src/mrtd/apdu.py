"""Command and response APDUs (ISO/IEC 7816-4 §5.1), short and extended encodings.

`ne` is the number of response bytes expected (Le decoded): None when there is no Le field,
1..256 for short Le (256 encodes as 00), 1..65536 for extended Le (65536 encodes as 0000).
"""

from __future__ import annotations

from dataclasses import dataclass

from mrtd.errors import DecodeError

SHORT_MAX_DATA = 255
SHORT_MAX_NE = 256
EXTENDED_MAX_DATA = 65535
EXTENDED_MAX_NE = 65536

SW_OK = 0x9000


@dataclass(frozen=True, slots=True)
class CommandAPDU:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise ValueError(f"{name} must be a byte")
        if len(self.data) > EXTENDED_MAX_DATA:
            raise ValueError("command data longer than 65535 bytes")
        if self.ne is not None and not 1 <= self.ne <= EXTENDED_MAX_NE:
            raise ValueError("ne must be 1..65536 or None")

    @property
    def needs_extended(self) -> bool:
        return len(self.data) > SHORT_MAX_DATA or (self.ne or 0) > SHORT_MAX_NE

    @property
    def header(self) -> bytes:
        return bytes((self.cla, self.ins, self.p1, self.p2))

    def to_bytes(self, *, extended: bool | None = None) -> bytes:
        """Encode; extended length when asked or when data / ne need it."""
        ext = self.needs_extended if extended is None else extended
        if not ext and self.needs_extended:
            raise ValueError("this command needs extended length")
        out = bytearray(self.header)
        if ext:
            if self.data:
                out += b"\x00" + len(self.data).to_bytes(2, "big") + self.data
            if self.ne is not None:
                le = (self.ne % EXTENDED_MAX_NE).to_bytes(2, "big")
                out += le if self.data else b"\x00" + le
        else:
            if self.data:
                out += bytes((len(self.data),)) + self.data
            if self.ne is not None:
                out.append(self.ne % SHORT_MAX_NE)
        return bytes(out)

    @classmethod
    def from_bytes(cls, raw: bytes) -> CommandAPDU:
        """Decode the four ISO 7816-3 cases, short or extended; anything else is DecodeError."""
        if len(raw) < 4:
            raise DecodeError(f"command APDU of {len(raw)} bytes; at least 4 needed")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, ne=body[0] or SHORT_MAX_NE)
        if body[0] != 0:  # short, case 3 or 4
            lc = body[0]
            if len(body) == 1 + lc:
                return cls(cla, ins, p1, p2, body[1:])
            if len(body) == 2 + lc:
                return cls(cla, ins, p1, p2, body[1 : 1 + lc], body[-1] or SHORT_MAX_NE)
            raise DecodeError("short command APDU length fields do not match its size")
        if len(body) == 3:  # extended case 2
            return cls(cla, ins, p1, p2, ne=int.from_bytes(body[1:3], "big") or EXTENDED_MAX_NE)
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise DecodeError("extended command APDU with Lc = 0")
        if len(body) == 3 + lc:
            return cls(cla, ins, p1, p2, body[3:])
        if len(body) == 5 + lc:
            ne = int.from_bytes(body[-2:], "big") or EXTENDED_MAX_NE
            return cls(cla, ins, p1, p2, body[3 : 3 + lc], ne)
        raise DecodeError("extended command APDU length fields do not match its size")

    def __repr__(self) -> str:  # data may be secret (MRZ-derived, keys): show its size only
        ne = "" if self.ne is None else f", ne={self.ne}"
        return (
            f"CommandAPDU({self.cla:02X} {self.ins:02X} {self.p1:02X} {self.p2:02X}, "
            f"{len(self.data)} data bytes{ne})"
        )


@dataclass(frozen=True, slots=True)
class ResponseAPDU:
    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def from_bytes(cls, raw: bytes) -> ResponseAPDU:
        if len(raw) < 2:
            raise DecodeError(f"response APDU of {len(raw)} bytes; a status word needs 2")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def __repr__(self) -> str:
        return f"ResponseAPDU({len(self.data)} data bytes, sw={self.sw:04X})"
