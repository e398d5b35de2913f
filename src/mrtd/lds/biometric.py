"""DG3 (fingerprints) and DG4 (irises): CBEFF biometric information groups (9303-10 §4.7.3-4).

63 DG3 / 76 DG4
  7F61 biometric information group template
    02   number of instances
    7F60 biometric information template (one per instance)
      A1   biometric header template (BHT; ISO/IEC 7816-11 Table 9)
      5F2E biometric data block (ISO/IEC 19794-4 'FIR', 19794-6 'IIR'), or 7F2E (39794)

The headers are parsed; the data blocks stay opaque (nothing here decodes a fingerprint or an
iris image). Real chips protect both groups with EAC, so a reader usually never sees them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Self

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds.details import date_text
from mrtd.lds.fields import TAG_COUNT, Other, check_count, encode_other, split_known

__all__ = [
    "FINGERPRINT",
    "IRIS",
    "BiometricGroup",
    "BiometricHeader",
    "BiometricRecord",
    "DG3File",
    "DG4File",
    "build_dg3",
    "build_dg4",
]

TAG_GROUP = 0x7F61
TAG_TEMPLATE = 0x7F60
TAG_HEADER = 0xA1
TAG_DATA = 0x5F2E
TAG_DATA_CONSTRUCTED = 0x7F2E
_MAX_DEPTH = 32  # a 39794 block in 7F2E nests deeper than the default 16

# BHT data objects (7816-11 Table 9; 9303-10 §4.7.2.1)
HEADER_VERSION, BIOMETRIC_TYPE, BIOMETRIC_SUBTYPE = 0x80, 0x81, 0x82
CREATION_TIME, VALIDITY_PERIOD, CREATOR = 0x83, 0x85, 0x86
FORMAT_OWNER, FORMAT_TYPE = 0x87, 0x88
_HEADER_TAGS = frozenset({
    HEADER_VERSION, BIOMETRIC_TYPE, BIOMETRIC_SUBTYPE, CREATION_TIME, VALIDITY_PERIOD, CREATOR,
    FORMAT_OWNER, FORMAT_TYPE,
})  # fmt: skip

FINGERPRINT = 0x08  # CBEFF biometric type (7816-11): 0x02 face, 0x08 finger, 0x10 iris
IRIS = 0x10
# Record length field width after 'format\0' 'version\0', by record format and version:
# 19794-4:2005 FIR 6 bytes, 19794-4:2011 and 19794-6 IIR 4 bytes, 19794-5 FAC 4 bytes.
_LENGTH_WIDTH = {
    (b"FIR\0", "010"): 6,
    (b"FIR\0", "020"): 4,
    (b"IIR\0", "010"): 4,
    (b"IIR\0", "020"): 4,
    (b"FAC\0", "010"): 4,
    (b"FAC\0", "030"): 4,
}


@dataclass(frozen=True, slots=True, repr=False)
class BiometricHeader:
    """A biometric header template: what the data block holds and in which format.

    `biometric_subtype` for fingers: bits 1-2 right (01) / left (10), bits 3-5 the finger
    (1 thumb ... 5 little); for irises 1 right, 2 left. `format_owner` 0x0101 is ISO/IEC
    JTC 1/SC 37, whose `format_type` 0x0007 is a finger image and 0x0009 an iris image.
    """

    biometric_type: int | None = None
    biometric_subtype: int | None = None
    format_owner: int | None = None
    format_type: int | None = None
    version: bytes | None = None  # the patron header version (80), e.g. 0101
    creation_time: datetime | None = None  # None when absent or not a valid date and time
    validity_period: tuple[str, str] | None = None  # (from, to) as YYYYMMDD
    creator: bytes | None = None  # PID of the creator (86)
    other: Other = ()

    @classmethod
    def from_tlv(cls, header: tlv.TLV) -> BiometricHeader:
        """Parse a BHT (tag A1); malformed known fields raise `DecodeError`."""
        f, other = split_known(header.children(), _HEADER_TAGS)
        validity = f.get(VALIDITY_PERIOD)
        if validity is not None and len(validity) != 8:
            raise DecodeError("biometric header validity period is not 8 BCD bytes")
        return cls(
            biometric_type=_uint(f.get(BIOMETRIC_TYPE), 3, "biometric type"),
            biometric_subtype=_uint(f.get(BIOMETRIC_SUBTYPE), 1, "biometric subtype"),
            format_owner=_uint(f.get(FORMAT_OWNER), 2, "format owner"),
            format_type=_uint(f.get(FORMAT_TYPE), 2, "format type"),
            version=f.get(HEADER_VERSION),
            creation_time=_creation_time(f.get(CREATION_TIME)),
            validity_period=(
                (
                    date_text(validity[:4], "biometric validity start"),
                    date_text(validity[4:], "biometric validity end"),
                )
                if validity is not None
                else None
            ),
            creator=f.get(CREATOR),
            other=other,
        )

    def encode(self) -> bytes:
        """The BHT (tag A1): fields in tag order, then `other`."""
        fields = [
            (HEADER_VERSION, self.version),
            (BIOMETRIC_TYPE, _uint_bytes(self.biometric_type, 1, 3)),
            (BIOMETRIC_SUBTYPE, _uint_bytes(self.biometric_subtype, 1, 1)),
            (CREATION_TIME, _bcd_time(self.creation_time)),
            (VALIDITY_PERIOD, _bcd_period(self.validity_period)),
            (CREATOR, self.creator),
            (FORMAT_OWNER, _uint_bytes(self.format_owner, 2, 2)),
            (FORMAT_TYPE, _uint_bytes(self.format_type, 2, 2)),
        ]
        body = b"".join(tlv.encode(tag, value) for tag, value in fields if value is not None)
        return tlv.encode(TAG_HEADER, body + encode_other(self.other))

    def __repr__(self) -> str:  # the creation time and the creator are left out
        return (
            f"BiometricHeader(type={_hex(self.biometric_type)}, "
            f"subtype={_hex(self.biometric_subtype)}, format={_hex(self.format_owner)}/"
            f"{_hex(self.format_type)})"
        )


@dataclass(frozen=True, slots=True, repr=False)
class BiometricRecord:
    """One biometric information template: its header and the data block, kept opaque."""

    header: BiometricHeader
    data: bytes
    data_tag: int = TAG_DATA  # 5F2E (binary record) or 7F2E (39794, DER)
    other: Other = ()

    @property
    def format_identifier(self) -> bytes | None:
        """The record's format identifier, e.g. b"FIR\\0" (19794-4), b"IIR\\0" (19794-6)."""
        data = self.data
        if self.data_tag != TAG_DATA or len(data) < 4 or data[3] != 0:
            return None
        return data[:4] if all(0x41 <= b <= 0x5A for b in data[:3]) else None

    @property
    def format_version(self) -> str | None:
        """The record's version, e.g. "010" (the 2005 editions), or None."""
        version = self.data[4:8]
        if self.format_identifier is None or len(version) != 4 or version[3] != 0:
            return None
        return version[:3].decode("ascii") if version[:3].isdigit() else None

    @property
    def record_length(self) -> int | None:
        """The record length its general header declares (not trusted, not checked), or None."""
        width = _LENGTH_WIDTH.get((self.format_identifier or b"", self.format_version or ""))
        if width is None or len(self.data) < 8 + width:
            return None
        return int.from_bytes(self.data[8 : 8 + width], "big")

    def encode(self) -> bytes:
        """The biometric information template (tag 7F60)."""
        body = self.header.encode() + tlv.encode(self.data_tag, self.data)
        return tlv.encode(TAG_TEMPLATE, body + encode_other(self.other))

    def __repr__(self) -> str:
        kind = (self.format_identifier or b"?").rstrip(b"\0").decode("ascii")
        h = self.header
        return (
            f"BiometricRecord(type={_hex(h.biometric_type)}, "
            f"subtype={_hex(h.biometric_subtype)}, {kind}, {len(self.data)} bytes)"
        )


@dataclass(frozen=True, slots=True, repr=False)
class BiometricGroup:
    """A parsed CBEFF group (DG3 or DG4): its records in order, and objects not read."""

    TAG: ClassVar[int]
    NAME: ClassVar[str]

    records: tuple[BiometricRecord, ...]
    other: Other = ()  # inside the group template 7F61, then inside the file, in order

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Parse the file; the instance count must match the templates."""
        outer = tlv.decode_one(data, max_depth=_MAX_DEPTH)
        if outer.tag != cls.TAG:
            raise DecodeError(f"{cls.NAME} must have tag {cls.TAG:X}, not {outer.tag:X}")
        children = outer.children()
        group = next((child for child in children if child.tag == TAG_GROUP), None)
        if group is None:
            raise DecodeError(f"{cls.NAME}: biometric information group template missing")
        items = group.children()
        templates = [item for item in items if item.tag == TAG_TEMPLATE]
        count = next((item for item in items if item.tag == TAG_COUNT), None)
        check_count(count, len(templates), cls.NAME)
        records = tuple(_record(t, f"{cls.NAME} template {n}") for n, t in enumerate(templates, 1))
        inside = [i for i in items if i is not count and i.tag != TAG_TEMPLATE]
        outside = [child for child in children if child is not group]
        return cls(records, tuple((item.tag, item.value) for item in (*inside, *outside)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.records)} record(s))"


@dataclass(frozen=True, slots=True, repr=False)
class DG3File(BiometricGroup):
    """DG3: encoded fingerprints."""

    TAG: ClassVar[int] = 0x63
    NAME: ClassVar[str] = "DG3"


@dataclass(frozen=True, slots=True, repr=False)
class DG4File(BiometricGroup):
    """DG4: encoded irises."""

    TAG: ClassVar[int] = 0x76
    NAME: ClassVar[str] = "DG4"


def build_dg3(records: Iterable[BiometricRecord], other: Other = ()) -> bytes:
    """DG3 holding `records` in order; `other` goes inside the group template, after them."""
    return _build(DG3File.TAG, records, other)


def build_dg4(records: Iterable[BiometricRecord], other: Other = ()) -> bytes:
    """DG4 holding `records` in order; `other` goes inside the group template, after them."""
    return _build(DG4File.TAG, records, other)


def _build(tag: int, records: Iterable[BiometricRecord], other: Other) -> bytes:
    templates = [record.encode() for record in records]
    if len(templates) > 0xFF:
        raise ValueError("a biometric group holds at most 255 records")
    count = tlv.encode(TAG_COUNT, bytes((len(templates),)))
    body = count + b"".join(templates) + encode_other(other)
    return tlv.encode(tag, tlv.encode(TAG_GROUP, body))


def _record(template: tlv.TLV, where: str) -> BiometricRecord:
    f, other = split_known(template.children(), {TAG_HEADER, TAG_DATA, TAG_DATA_CONSTRUCTED})
    if TAG_HEADER not in f:
        raise DecodeError(f"{where} has no biometric header template (A1)")
    data_tag = TAG_DATA if TAG_DATA in f else TAG_DATA_CONSTRUCTED
    if data_tag not in f:
        raise DecodeError(f"{where} has no biometric data block (5F2E or 7F2E)")
    if TAG_DATA in f and TAG_DATA_CONSTRUCTED in f:  # both: the second is kept, not read
        other = ((TAG_DATA_CONSTRUCTED, f[TAG_DATA_CONSTRUCTED]), *other)
    header = BiometricHeader.from_tlv(template.require(TAG_HEADER))
    return BiometricRecord(header, f[data_tag], data_tag, other)


def _uint(value: bytes | None, width: int, what: str) -> int | None:
    if value is None:
        return None
    if not 1 <= len(value) <= width:
        raise DecodeError(f"biometric header {what} is not 1 to {width} byte(s)")
    return int.from_bytes(value, "big")


def _uint_bytes(value: int | None, width: int, max_width: int) -> bytes | None:
    """`value` in `width` bytes, or more up to `max_width`; ValueError if it does not fit."""
    if value is None:
        return None
    if not 0 <= value < 1 << (8 * max_width):
        raise ValueError(f"biometric header value {value:#x} does not fit in {max_width} byte(s)")
    return value.to_bytes(max(width, (value.bit_length() + 7) // 8), "big")


def _creation_time(value: bytes | None) -> datetime | None:
    """YYYYMMDDhhmmss as 7 BCD bytes; a valid shape but an impossible date gives None."""
    if value is None:
        return None
    digits = value.hex()
    if len(value) != 7 or not digits.isdigit():
        raise DecodeError("biometric header creation date and time is not 7 BCD bytes")
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        return None


def _bcd_time(value: datetime | None) -> bytes | None:
    if value is None:
        return None
    v = value
    return bytes.fromhex(f"{v.year:04}{v.month:02}{v.day:02}{v.hour:02}{v.minute:02}{v.second:02}")


def _bcd_period(value: tuple[str, str] | None) -> bytes | None:
    if value is None:
        return None
    start, end = value
    if not all(len(part) == 8 and part.isdigit() and part.isascii() for part in value):
        raise ValueError("a validity period is two YYYYMMDD dates")
    return bytes.fromhex(start + end)


def _hex(value: int | None) -> str:
    return f"{value:02X}" if value is not None else "none"
