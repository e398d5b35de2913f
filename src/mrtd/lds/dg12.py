"""DG12: additional document details (ICAO 9303-10 §4.7.12).

Objects it does not read (the other-persons template A0, unknown tags, repeats) are kept in
`other` (see `lds.fields`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from mrtd.errors import DecodeError
from mrtd.lds.details import TAG_LIST, date_bytes, date_text, encode_fields, lines, text, to_date
from mrtd.lds.fields import Other, open_fields

__all__ = ["DG12File", "build_dg12"]

TAG = 0x6C
ISSUING_AUTHORITY, DATE_OF_ISSUE, OTHER_PERSONS = 0x5F19, 0x5F26, 0xA0
ENDORSEMENTS, TAX_EXIT, FRONT_IMAGE, REAR_IMAGE = 0x5F1B, 0x5F1C, 0x5F1D, 0x5F1E
PERSONALIZATION_TIME, PERSONALIZATION_SERIAL = 0x5F55, 0x5F56
_KNOWN = frozenset({
    TAG_LIST, ISSUING_AUTHORITY, DATE_OF_ISSUE, ENDORSEMENTS, TAX_EXIT, FRONT_IMAGE, REAR_IMAGE,
    PERSONALIZATION_TIME, PERSONALIZATION_SERIAL,
})  # fmt: skip


@dataclass(frozen=True, slots=True, repr=False)
class DG12File:
    issuing_authority: str = ""
    date_of_issue: date | None = None
    date_of_issue_text: str = ""
    endorsements: str = ""
    tax_exit_requirements: str = ""
    front_image: bytes = b""
    rear_image: bytes = b""
    personalization_time: datetime | None = None
    personalization_serial: str = ""
    other: Other = ()  # (tag, value) of the objects not read above, in file order

    @classmethod
    def from_bytes(cls, data: bytes) -> DG12File:
        f, other = open_fields(data, TAG, "DG12", _KNOWN)
        issued = date_text(f[DATE_OF_ISSUE], "date of issue") if DATE_OF_ISSUE in f else ""
        return cls(
            issuing_authority=text(f.get(ISSUING_AUTHORITY, b"")),
            date_of_issue=to_date(issued) if issued else None,
            date_of_issue_text=issued,
            endorsements=" ".join(lines(f.get(ENDORSEMENTS, b""))),
            tax_exit_requirements=text(f.get(TAX_EXIT, b"")),
            front_image=f.get(FRONT_IMAGE, b""),
            rear_image=f.get(REAR_IMAGE, b""),
            personalization_time=_timestamp(f.get(PERSONALIZATION_TIME, b"")),
            personalization_serial=text(f.get(PERSONALIZATION_SERIAL, b"")),
            other=other,
        )

    def __repr__(self) -> str:
        return f"DG12File(issued {self.date_of_issue_text or 'unknown'})"


def _timestamp(value: bytes) -> datetime | None:
    """yyyymmddhhmmss as 14 digits or 7 BCD bytes."""
    if not value:
        return None
    if len(value) == 7:
        digits = value.hex()
    elif len(value) == 14 and value.isdigit():
        digits = value.decode("ascii")
    else:
        raise DecodeError("date and time of personalization is not yyyymmddhhmmss")
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        return None


def build_dg12(
    *,
    issuing_authority: str = "",
    date_of_issue: date | None = None,
    personalization_time: datetime | None = None,
    personalization_serial: str = "",
    other: Other = (),
) -> bytes:
    """DG12 with the fields given (empty ones are left out), then `other`."""
    stamp = personalization_time.strftime("%Y%m%d%H%M%S") if personalization_time else ""
    return encode_fields(
        TAG,
        [
            (ISSUING_AUTHORITY, issuing_authority.encode("utf-8")),
            (DATE_OF_ISSUE, date_bytes(date_of_issue)),
            (PERSONALIZATION_TIME, stamp.encode("ascii")),
            (PERSONALIZATION_SERIAL, personalization_serial.encode("utf-8")),
            *other,
        ],
    )
