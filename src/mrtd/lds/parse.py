"""One entry point for every file: its name (as in `LDS_FILES`) picks the parser.

Only `DecodeError` leaves a parser for bad bytes. Files without a parser here (EF.ATR/INFO,
EF.DIR) and unknown names raise `DecodeError` too, so a caller reading a dump handles one error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from types import MappingProxyType

from mrtd.errors import DecodeError
from mrtd.lds.biometric import DG3File, DG4File
from mrtd.lds.com import COMFile
from mrtd.lds.dg1 import DG1File
from mrtd.lds.dg2 import DG2File
from mrtd.lds.dg11 import DG11File
from mrtd.lds.dg12 import DG12File
from mrtd.lds.dg13 import DG13File
from mrtd.lds.dg15 import DG15File
from mrtd.lds.dg16 import DG16File
from mrtd.lds.displayed_image import DG5File, DG6File, DG7File
from mrtd.lds.files import file_for_tag, lds_tag_of
from mrtd.lds.opaque import OpaqueDataGroup
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.sod import parse_sod

__all__ = ["PARSERS", "parse_by_tag", "parse_file"]

PARSERS: Mapping[str, Callable[[bytes], object]] = MappingProxyType(
    {
        "EF.CardAccess": SecurityInfos.from_bytes,
        "EF.CardSecurity": SecurityInfos.from_card_security,
        "EF.COM": COMFile.from_bytes,
        "EF.SOD": parse_sod,
        "DG1": DG1File.from_bytes,
        "DG2": DG2File.from_bytes,
        "DG3": DG3File.from_bytes,
        "DG4": DG4File.from_bytes,
        "DG5": DG5File.from_bytes,
        "DG6": DG6File.from_bytes,
        "DG7": DG7File.from_bytes,
        **{f"DG{n}": partial(OpaqueDataGroup.from_bytes, number=n) for n in (8, 9, 10)},
        "DG11": DG11File.from_bytes,
        "DG12": DG12File.from_bytes,
        "DG13": DG13File.from_bytes,
        "DG14": SecurityInfos.from_dg14,
        "DG15": DG15File.from_bytes,
        "DG16": DG16File.from_bytes,
    }
)
"""File name -> parser, for every file of `LDS_FILES` this library reads."""


def parse_file(name: str, data: bytes) -> object:
    """The parsed file `name` ("EF.COM", "DG2", "EF.CardAccess"...); DecodeError if it is
    malformed or if there is no parser for `name`."""
    parser = PARSERS.get(name)
    if parser is None:
        raise DecodeError(f"no parser for a file named {name!r}")
    return parser(bytes(data))


def parse_by_tag(data: bytes) -> tuple[str, object]:
    """The name and parse of an LDS file recognised by its outer tag (a dumped file)."""
    name = file_for_tag(lds_tag_of(data)).name
    return name, parse_file(name, data)
