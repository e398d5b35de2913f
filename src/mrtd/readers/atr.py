"""Answer To Reset: ISO/IEC 7816-3 §8 and the PC/SC contactless pseudo-ATR (PC/SC Part 3 §3.1.3).

A contactless chip has no ATR; a PC/SC reader makes one up from the ATS (type A) or ATQB
(type B): `3B 8n 80 01` + n historical bytes + TCK. An eMRTD may announce extended Lc/Le in
the card capabilities of those historical bytes (ISO/IEC 7816-4 §12.1.1.9; 9303-10 §3.3.1).

The ATR comes from the card, so it is parsed strictly and within bounds: at most 33 bytes, every
announced interface byte present, TCK present exactly when a protocol other than T=0 is
indicated and checking out, nothing trailing, and well-formed COMPACT-TLV when the category
indicator (`00` or `80`) says the historical bytes hold it. Tolerated, because PC/SC specifies
it: the storage-card form `80 4F 0C <RID ...>` (PC/SC Part 3 §3.1.3.2.3.2), which is not
COMPACT-TLV. Not checked: the ascending order of the T values.
"""

from __future__ import annotations

from dataclasses import dataclass

from mrtd.errors import DecodeError

__all__ = [
    "ATR",
    "MAX_ATR_BYTES",
    "MAX_HISTORICAL_BYTES",
    "InterfaceBytes",
    "contactless_atr",
    "parse_atr",
]

MAX_ATR_BYTES = 33  # TS plus at most 32 characters (ISO/IEC 7816-3 §8.2.1)
MAX_HISTORICAL_BYTES = 15
TS_DIRECT, TS_INVERSE = 0x3B, 0x3F
T_GLOBAL = 15  # TD announcing global interface bytes, not a transmission protocol
CATEGORY_STATUS_LAST = 0x00  # COMPACT-TLV objects, then a 3-byte status indicator
CATEGORY_COMPACT_TLV = 0x80  # COMPACT-TLV objects only (status indicator optional, tag 8)
TAG_CARD_CAPABILITIES = 0x7
EXTENDED_LC_LE = 0x40  # third software function table, b7 (ISO/IEC 7816-4 Table 118)
STATUS_INDICATOR_BYTES = 3
PCSC_STORAGE_CARD = 0x4F  # PC/SC Part 3: "application identifier presence indicator"


@dataclass(frozen=True, slots=True)
class InterfaceBytes:
    """TAi, TBi, TCi and TDi of one group (None: absent)."""

    ta: int | None = None
    tb: int | None = None
    tc: int | None = None
    td: int | None = None


PSEUDO_ATR_GROUPS = (InterfaceBytes(td=0x80), InterfaceBytes(td=0x01))


@dataclass(frozen=True, slots=True)
class ATR:
    raw: bytes
    inverse_convention: bool
    groups: tuple[InterfaceBytes, ...]  # groups[0] is TA1..TD1
    historical: bytes
    tck: int | None
    historical_objects: tuple[tuple[int, bytes], ...]  # COMPACT-TLV (tag nibble, value)

    @property
    def protocols(self) -> tuple[int, ...]:
        """The transmission protocols offered, T=0 when none is indicated (§8.2.3)."""
        indicated = [g.td & 0x0F for g in self.groups if g.td is not None]
        offered = tuple(dict.fromkeys(t for t in indicated if t != T_GLOBAL))
        return offered or (0,)

    @property
    def contactless(self) -> bool:
        """Shaped like the PC/SC Part 3 pseudo-ATR of an ISO/IEC 14443-4 chip."""
        return (
            not self.inverse_convention
            and self.raw[1] >> 4 == 0x8
            and self.groups == PSEUDO_ATR_GROUPS
        )

    @property
    def card_capabilities(self) -> bytes | None:
        """The software function tables of COMPACT-TLV tag 7 (ISO/IEC 7816-4 §12.1.1.9)."""
        return _card_capabilities(self.historical_objects)

    @property
    def extended_length(self) -> bool:
        """The card announces extended Lc and Le fields (third software function table, b7)."""
        return _announces_extended_length(self.card_capabilities)

    def __str__(self) -> str:
        return self.raw.hex(" ").upper()


def parse_atr(data: bytes) -> ATR:
    """Parse an ATR (or a PC/SC pseudo-ATR); anything malformed is a `DecodeError`."""
    raw = bytes(data)
    if not 2 <= len(raw) <= MAX_ATR_BYTES:
        raise DecodeError(f"ATR of {len(raw)} bytes; 2 to {MAX_ATR_BYTES} expected")
    if raw[0] not in (TS_DIRECT, TS_INVERSE):
        raise DecodeError(f"ATR TS byte {raw[0]:02X} is neither 3B nor 3F")
    groups, position = _interface_bytes(raw)
    count = raw[1] & 0x0F
    historical = raw[position : position + count]
    if len(historical) < count:
        raise DecodeError(f"ATR announces {count} historical bytes; {len(historical)} present")
    position += count
    tck = None
    if any(g.td is not None and g.td & 0x0F != 0 for g in groups):
        if position == len(raw):
            raise DecodeError("ATR indicates a protocol other than T=0 but has no TCK")
        tck = raw[position]
        position += 1
        if _xor(raw[1:position]) != 0:
            raise DecodeError("ATR check byte TCK does not match")
    if position != len(raw):
        raise DecodeError(f"{len(raw) - position} bytes after the end of the ATR")
    return ATR(
        raw=raw,
        inverse_convention=raw[0] == TS_INVERSE,
        groups=groups,
        historical=historical,
        tck=tck,
        historical_objects=_historical_objects(historical),
    )


def contactless_atr(historical: bytes) -> bytes:
    """The PC/SC Part 3 pseudo-ATR a reader builds for an ISO/IEC 14443-4 type A chip."""
    if len(historical) > MAX_HISTORICAL_BYTES:
        raise ValueError(f"{len(historical)} historical bytes; at most 15 fit in an ATR")
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    return bytes([TS_DIRECT]) + body + bytes([_xor(body)])


def _interface_bytes(raw: bytes) -> tuple[tuple[InterfaceBytes, ...], int]:
    """Follow the Y nibbles of T0 and each TDi; return the groups and where they end."""
    groups: list[InterfaceBytes] = []
    presence = raw[1] >> 4
    position = 2
    while presence:
        found: list[int | None] = []
        for bit in (0x1, 0x2, 0x4, 0x8):  # TA, TB, TC, TD
            if not presence & bit:
                found.append(None)
                continue
            if position >= len(raw):
                raise DecodeError(f"ATR truncated in interface bytes group {len(groups) + 1}")
            found.append(raw[position])
            position += 1
        group = InterfaceBytes(*found)
        groups.append(group)
        presence = group.td >> 4 if group.td is not None else 0
    return tuple(groups), position


def historical_extended_length(historical: bytes) -> bool:
    """Whether historical bytes (of an ATR, or of an ATS: ISO/IEC 14443-4 §5.2.7) announce
    extended Lc/Le. Raises DecodeError for malformed COMPACT-TLV."""
    return _announces_extended_length(_card_capabilities(_historical_objects(historical)))


def _card_capabilities(objects: tuple[tuple[int, bytes], ...]) -> bytes | None:
    return next((value for tag, value in objects if tag == TAG_CARD_CAPABILITIES), None)


def _announces_extended_length(capabilities: bytes | None) -> bool:
    return (
        capabilities is not None
        and len(capabilities) >= 3
        and bool(capabilities[2] & EXTENDED_LC_LE)
    )


def _historical_objects(historical: bytes) -> tuple[tuple[int, bytes], ...]:
    if not historical:
        return ()
    category, rest = historical[0], historical[1:]
    if category == CATEGORY_COMPACT_TLV:
        if rest[:1] == bytes([PCSC_STORAGE_CARD]) and len(rest) >= 2 and rest[1] == len(rest) - 2:
            return ()
        return _compact_tlv(rest)
    if category == CATEGORY_STATUS_LAST:
        if len(rest) < STATUS_INDICATOR_BYTES:
            raise DecodeError("historical bytes of category 00 lack the status indicator")
        return _compact_tlv(rest[:-STATUS_INDICATOR_BYTES])
    return ()  # proprietary, DIR data reference (10) or RFU: nothing to interpret


def _compact_tlv(data: bytes) -> tuple[tuple[int, bytes], ...]:
    """ISO/IEC 7816-4 §5.2.2.1: one byte tag nibble + length nibble, then the value."""
    objects: list[tuple[int, bytes]] = []
    position = 0
    while position < len(data):
        tag, length = data[position] >> 4, data[position] & 0x0F
        value = data[position + 1 : position + 1 + length]
        if len(value) < length:
            raise DecodeError(f"COMPACT-TLV tag {tag:X} in the historical bytes is truncated")
        objects.append((tag, value))
        position += 1 + length
    return tuple(objects)


def _xor(data: bytes) -> int:
    result = 0
    for byte in data:
        result ^= byte
    return result
