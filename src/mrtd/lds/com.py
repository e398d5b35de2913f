"""EF.COM: LDS and Unicode versions and the tags of the data groups present (9303-10 §4.6).

EF.COM is not covered by the SOD, so a reader should treat its list as a hint, not as truth.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds.files import LDS_FILES, LDS_TAGS

__all__ = ["COMFile", "build_com"]

TAG = 0x60
TAG_LDS_VERSION = 0x5F01  # "aabb": LDS version aa.bb, e.g. "0107", "0108"
TAG_UNICODE_VERSION = 0x5F36  # "aabbcc": Unicode version aa.bb.cc, e.g. "040000"
TAG_LIST = 0x5C


@dataclass(frozen=True, slots=True)
class COMFile:
    """A parsed EF.COM. `tags` is the tag list as stored; `data_groups` their DG numbers."""

    lds_version: str
    unicode_version: str
    tags: tuple[int, ...]

    @classmethod
    def from_bytes(cls, data: bytes) -> COMFile:
        """Parse EF.COM: tag 60 holding 5F01, 5F36 and 5C (other objects are ignored)."""
        com = tlv.decode_one(data)
        if com.tag != TAG:
            raise DecodeError(f"EF.COM must have tag 60, not {com.tag:X}")
        return cls(
            _digits(com.require(TAG_LDS_VERSION).value, 4, "LDS version"),
            _digits(com.require(TAG_UNICODE_VERSION).value, 6, "Unicode version"),
            tlv.decode_tags(com.require(TAG_LIST).value),
        )

    @property
    def data_groups(self) -> tuple[int, ...]:
        """Numbers of the data groups listed, in order; other tags are skipped."""
        names = (LDS_TAGS.get(tag, "") for tag in self.tags)
        return tuple(int(name[2:]) for name in names if name.startswith("DG"))


def build_com(
    data_groups: Iterable[int], lds_version: str = "0108", unicode_version: str = "040000"
) -> bytes:
    """EF.COM listing `data_groups` (numbers 1..16) in the order given."""
    numbers = list(data_groups)
    if len(set(numbers)) != len(numbers):
        raise ValueError("a data group is listed twice")
    if not all(isinstance(n, int) and 1 <= n <= 16 for n in numbers):
        raise ValueError("data group numbers are 1..16")
    tags = b"".join(tlv.encode_tag(LDS_FILES[f"DG{n}"].tag or 0) for n in numbers)
    _check_digits(lds_version, 4, "lds_version")
    _check_digits(unicode_version, 6, "unicode_version")
    return tlv.encode(
        TAG,
        tlv.encode(TAG_LDS_VERSION, lds_version.encode("ascii"))
        + tlv.encode(TAG_UNICODE_VERSION, unicode_version.encode("ascii"))
        + tlv.encode(TAG_LIST, tags),
    )


def _digits(value: bytes, count: int, what: str) -> str:
    if len(value) != count or not all(0x30 <= b <= 0x39 for b in value):
        raise DecodeError(f"EF.COM {what} is not {count} ASCII digits")
    return value.decode("ascii")


def _check_digits(text: str, count: int, what: str) -> None:
    if re.fullmatch(f"[0-9]{{{count}}}", text) is None:
        raise ValueError(f"{what} must be {count} digits")
