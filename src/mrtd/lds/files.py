"""The elementary files of an eMRTD: identifiers, short file identifiers and LDS tags.

ICAO 9303-10 §3 (EF.CardAccess, EF.CardSecurity, EF.ATR/INFO, EF.DIR in the master file) and
§4 (EF.COM, EF.SOD, EF.DG1-DG16 in the LDS1 eMRTD application, with their tags).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from mrtd import tlv
from mrtd.errors import DecodeError

__all__ = ["EMRTD_AID", "LDS_FILES", "LDS_TAGS", "LDSFileInfo", "file_for_tag", "lds_tag_of"]

EMRTD_AID = bytes.fromhex("A0000002471001")  # the LDS1 eMRTD application (9303-10 §3)


@dataclass(frozen=True, slots=True)
class LDSFileInfo:
    """One elementary file. `tag` is None for files that are not an LDS TLV (SecurityInfos,
    EF.DIR...). EF.CardSecurity and EF.SOD share 011D / 1D, in different directories."""

    name: str
    fid: int  # file identifier, for SELECT (P1 02 in the application, 00/02 in the MF)
    sfi: int  # short file identifier, for READ BINARY with P1 = 80 | sfi
    tag: int | None
    in_master_file: bool = False

    @property
    def dg_number(self) -> int | None:
        """1..16 for a data group, None for the other files."""
        return int(self.name[2:]) if self.name.startswith("DG") else None


_DG_TAGS = bytes.fromhex("61 75 63 76 65 66 67 68 69 6A 6B 6C 6D 6E 6F 70")  # DG1..DG16

_ALL = (
    LDSFileInfo("EF.CardAccess", 0x011C, 0x1C, None, in_master_file=True),
    LDSFileInfo("EF.CardSecurity", 0x011D, 0x1D, None, in_master_file=True),
    LDSFileInfo("EF.ATR/INFO", 0x2F01, 0x01, None, in_master_file=True),
    LDSFileInfo("EF.DIR", 0x2F00, 0x1E, None, in_master_file=True),
    LDSFileInfo("EF.COM", 0x011E, 0x1E, 0x60),
    LDSFileInfo("EF.SOD", 0x011D, 0x1D, 0x77),
    *(LDSFileInfo(f"DG{n}", 0x0100 + n, n, tag) for n, tag in enumerate(_DG_TAGS, 1)),
)

LDS_FILES: Mapping[str, LDSFileInfo] = MappingProxyType({f.name: f for f in _ALL})
"""Every file by name: "EF.COM", "EF.SOD", "DG1".."DG16", "EF.CardAccess", ..."""

LDS_TAGS: Mapping[int, str] = MappingProxyType({f.tag: f.name for f in _ALL if f.tag is not None})
"""LDS tag -> file name: 0x60 "EF.COM", 0x61 "DG1", 0x75 "DG2", ..., 0x77 "EF.SOD"."""


def file_for_tag(tag: int) -> LDSFileInfo:
    """The file an LDS tag stands for (docs/design.md, "The `mrtd` command":
    dumped files are recognised by tag)."""
    name = LDS_TAGS.get(tag)
    if name is None:
        raise DecodeError(f"tag {tag:X} is not an LDS file tag")
    return LDS_FILES[name]


def lds_tag_of(data: bytes) -> int:
    """The outer tag of an LDS file from its first bytes; DecodeError if it is not one."""
    parsed = tlv.header(data[:8])
    if parsed is None:
        raise DecodeError(f"{len(data)} byte(s) are too few for a TLV header")
    file_for_tag(parsed[0])
    return parsed[0]
