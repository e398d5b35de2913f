"""DG16: persons to notify (9303-10 §4.7.16). Personal data: redacted repr.

70 DG16 { 02 count, A1 person 1, A2 person 2, ... }; each person template holds 5F50 date the
data were recorded (YYYYMMDD, or 4 BCD bytes), 5F51 name, 5F52 telephone, 5F53 address
('<' separating its lines). Person templates are recognised by class (context-specific,
constructed), not by their exact number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds.details import date_text, join_lines, lines, text, to_date
from mrtd.lds.fields import TAG_COUNT, Other, check_count, encode_other, split_known

__all__ = ["DG16File", "PersonToNotify", "build_dg16"]

TAG = 0x70
FIRST_PERSON, LAST_PERSON = 0xA1, 0xBE  # [1] .. [30], constructed, single-byte tags
DATE_RECORDED, NAME, TELEPHONE, ADDRESS = 0x5F50, 0x5F51, 0x5F52, 0x5F53
_KNOWN = frozenset({DATE_RECORDED, NAME, TELEPHONE, ADDRESS})


@dataclass(frozen=True, slots=True, repr=False)
class PersonToNotify:
    """One person to notify; fields absent from the file are empty."""

    name: str = ""  # primary and secondary identifiers separated by "<<"
    telephone: str = ""
    address: tuple[str, ...] = ()
    date_recorded_text: str = ""  # YYYYMMDD as stored (a date with unknown parts stays here)
    other: Other = ()

    @property
    def date_recorded(self) -> date | None:
        """The date the data were recorded, or None when absent or with unknown parts."""
        return to_date(self.date_recorded_text) if self.date_recorded_text else None

    @classmethod
    def from_tlv(cls, template: tlv.TLV, number: int) -> PersonToNotify:
        f, other = split_known(template.children(), _KNOWN)
        recorded = f.get(DATE_RECORDED)
        return cls(
            name=text(f.get(NAME, b"")),
            telephone=text(f.get(TELEPHONE, b"")),
            address=lines(f.get(ADDRESS, b"")),
            date_recorded_text=(
                date_text(recorded, f"DG16 person {number} date recorded") if recorded else ""
            ),
            other=other,
        )

    def encode(self, number: int) -> bytes:
        """The template of the `number`-th person (tag A0 + number)."""
        if not 1 <= number <= LAST_PERSON - FIRST_PERSON + 1:
            raise ValueError("DG16 holds persons 1 to 30")
        recorded = self.date_recorded_text
        if recorded and not (len(recorded) == 8 and recorded.isdigit() and recorded.isascii()):
            raise ValueError("date_recorded_text must be YYYYMMDD")
        fields = [
            (DATE_RECORDED, recorded.encode("ascii")),
            (NAME, self.name.encode("utf-8")),
            (TELEPHONE, self.telephone.encode("utf-8")),
            (ADDRESS, join_lines(self.address)),
        ]
        body = b"".join(tlv.encode(tag, value) for tag, value in fields if value)
        return tlv.encode(FIRST_PERSON - 1 + number, body + encode_other(self.other))

    def __repr__(self) -> str:
        return "PersonToNotify(<personal data redacted>)"


@dataclass(frozen=True, slots=True, repr=False)
class DG16File:
    """A parsed DG16: the persons in file order, and the objects not read."""

    persons: tuple[PersonToNotify, ...]
    other: Other = ()

    @classmethod
    def from_bytes(cls, data: bytes) -> DG16File:
        """Parse DG16; the instance count must match the person templates."""
        outer = tlv.decode_one(data)
        if outer.tag != TAG:
            raise DecodeError(f"DG16 must have tag 70, not {outer.tag:X}")
        children = outer.children()
        people = [child for child in children if FIRST_PERSON <= child.tag <= LAST_PERSON]
        count = next((child for child in children if child.tag == TAG_COUNT), None)
        check_count(count, len(people), "DG16")
        other = tuple(
            (child.tag, child.value)
            for child in children
            if child is not count and not FIRST_PERSON <= child.tag <= LAST_PERSON
        )
        persons = tuple(PersonToNotify.from_tlv(p, n) for n, p in enumerate(people, 1))
        return cls(persons, other)

    def __repr__(self) -> str:
        return f"DG16File({len(self.persons)} person(s))"


def build_dg16(persons: Iterable[PersonToNotify], other: Other = ()) -> bytes:
    """DG16 with `persons` as templates A1, A2, ... in order, then `other`."""
    templates = [person.encode(number) for number, person in enumerate(persons, 1)]
    count = tlv.encode(TAG_COUNT, bytes((len(templates),)))
    return tlv.encode(TAG, count + b"".join(templates) + encode_other(other))
