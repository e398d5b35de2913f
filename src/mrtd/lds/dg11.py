"""DG11: additional personal details (ICAO 9303-10 §4.7.11). Personal data: redacted repr.

Objects it does not read (unknown tags, repeats) are kept in `other` (see `lds.fields`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mrtd import tlv
from mrtd.lds.details import (
    TAG_LIST,
    date_bytes,
    date_text,
    encode_fields,
    join_lines,
    lines,
    text,
    to_date,
)
from mrtd.lds.fields import Other, open_fields

__all__ = ["DG11File", "build_dg11"]

TAG = 0x6B
FULL_NAME, OTHER_NAMES, OTHER_NAME = 0x5F0E, 0xA0, 0x5F0F
PERSONAL_NUMBER, FULL_BIRTH_DATE, PLACE_OF_BIRTH = 0x5F10, 0x5F2B, 0x5F11
ADDRESS, TELEPHONE, PROFESSION, TITLE = 0x5F42, 0x5F12, 0x5F13, 0x5F14
SUMMARY, CITIZENSHIP_PROOF, OTHER_TD_NUMBERS, CUSTODY = 0x5F15, 0x5F16, 0x5F17, 0x5F18
_KNOWN = frozenset({
    TAG_LIST, FULL_NAME, OTHER_NAMES, PERSONAL_NUMBER, FULL_BIRTH_DATE, PLACE_OF_BIRTH,
    ADDRESS, TELEPHONE, PROFESSION, TITLE, SUMMARY, CITIZENSHIP_PROOF, OTHER_TD_NUMBERS, CUSTODY,
})  # fmt: skip


@dataclass(frozen=True, slots=True, repr=False)
class DG11File:
    full_name: str = ""  # primary and secondary identifiers separated by "<<", national script
    other_names: tuple[str, ...] = ()
    personal_number: str = ""
    birth_date: date | None = None
    birth_date_text: str = ""  # YYYYMMDD as stored (a date with unknown parts stays here)
    place_of_birth: tuple[str, ...] = ()
    address: tuple[str, ...] = ()
    telephone: str = ""
    profession: str = ""
    title: str = ""
    personal_summary: str = ""
    proof_of_citizenship: bytes = b""  # an image
    other_td_numbers: tuple[str, ...] = ()
    custody_information: str = ""
    other: Other = ()  # (tag, value) of the objects not read above, in file order

    @property
    def surname(self) -> str:
        return self.full_name.partition("<<")[0].replace("<", " ").strip()

    @property
    def given_names(self) -> str:
        return " ".join(self.full_name.partition("<<")[2].replace("<", " ").split())

    @classmethod
    def from_bytes(cls, data: bytes) -> DG11File:
        f, other = open_fields(data, TAG, "DG11", _KNOWN)
        birth = date_text(f[FULL_BIRTH_DATE], "full date of birth") if FULL_BIRTH_DATE in f else ""
        others: tuple[str, ...] = ()
        if OTHER_NAMES in f:
            template = tlv.decode(f[OTHER_NAMES])
            others = tuple(text(t.value) for t in template if t.tag == OTHER_NAME)
        return cls(
            full_name=text(f.get(FULL_NAME, b"")),
            other_names=others,
            personal_number=text(f.get(PERSONAL_NUMBER, b"")),
            birth_date=to_date(birth) if birth else None,
            birth_date_text=birth,
            place_of_birth=lines(f.get(PLACE_OF_BIRTH, b"")),
            address=lines(f.get(ADDRESS, b"")),
            telephone=text(f.get(TELEPHONE, b"")),
            profession=text(f.get(PROFESSION, b"")),
            title=text(f.get(TITLE, b"")),
            personal_summary=text(f.get(SUMMARY, b"")),
            proof_of_citizenship=f.get(CITIZENSHIP_PROOF, b""),
            other_td_numbers=lines(f.get(OTHER_TD_NUMBERS, b"")),
            custody_information=text(f.get(CUSTODY, b"")),
            other=other,
        )

    def __repr__(self) -> str:
        return "DG11File(<personal data redacted>)"


def build_dg11(
    *,
    full_name: str = "",
    birth_date: date | None = None,
    place_of_birth: tuple[str, ...] = (),
    address: tuple[str, ...] = (),
    personal_number: str = "",
    telephone: str = "",
    profession: str = "",
    title: str = "",
    other_names: tuple[str, ...] = (),
    other: Other = (),
) -> bytes:
    """DG11 with the fields given (empty ones are left out, as 9303-10 allows), then `other`."""
    names = b""
    if other_names:
        count = tlv.encode(0x02, bytes((len(other_names),)))
        names = count + b"".join(tlv.encode(OTHER_NAME, n.encode("utf-8")) for n in other_names)
    return encode_fields(
        TAG,
        [
            (FULL_NAME, full_name.encode("utf-8")),
            (OTHER_NAMES, names),
            (PERSONAL_NUMBER, personal_number.encode("utf-8")),
            (FULL_BIRTH_DATE, date_bytes(birth_date)),
            (PLACE_OF_BIRTH, join_lines(place_of_birth)),
            (ADDRESS, join_lines(address)),
            (TELEPHONE, telephone.encode("utf-8")),
            (PROFESSION, profession.encode("utf-8")),
            (TITLE, title.encode("utf-8")),
            *other,
        ],
    )
