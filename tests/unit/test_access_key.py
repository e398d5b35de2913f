"""Access keys from a parsed MRZ or typed by hand must be the same key."""

from __future__ import annotations

from datetime import date

import pytest

from mrtd.access.keys import CANKey, MRZKey
from mrtd.errors import AccessKeyError, MRZError
from mrtd.mrz import parse_mrz
from tests.conftest import TODAY, VECTORS


def test_manual_entry_matches_the_mrz() -> None:
    mrz = parse_mrz(VECTORS["mrz.specimen.TD3"]["lines"], today=TODAY)
    typed = [
        MRZKey("l898902c3", "740812", "120415"),
        MRZKey(" L898 902C3 ", date(1974, 8, 12), date(2012, 4, 15)),
        MRZKey("L898902C3", "1974-08-12", "2012-04-15"),
    ]
    assert all(key == MRZKey.from_mrz(mrz) for key in typed)
    assert len({hash(key) for key in typed}) == 1


def test_short_number_is_padded_to_nine() -> None:
    assert MRZKey("AB12", "800101", "300101").mrz_information.startswith("AB12<<<<<")


@pytest.mark.parametrize(
    ("number", "birth", "expiry", "message"),
    [
        ("", "800101", "300101", "document number is empty"),
        ("AB-12", "800101", "300101", "up to 22 characters"),
        ("A" * 23, "800101", "300101", "up to 22 characters"),
        ("AB12", "80011", "300101", "date of birth must be"),
        ("AB12", "801301", "300101", "date of birth is not a calendar date"),
        ("AB12", "800101", "2030-02-30", "date of expiry is not a calendar date"),
    ],
)
def test_bad_manual_entry(number: str, birth: str, expiry: str, message: str) -> None:
    with pytest.raises(MRZError, match=message):
        MRZKey(number, birth, expiry)


def test_can() -> None:
    assert CANKey(" 123 456 ").password == b"123456"
    assert CANKey("123456") == CANKey("123456")
    for bad in ("12345", "1234567", "12345a", "١٢٣٤٥٦"):
        with pytest.raises(AccessKeyError, match="6 digits"):
            CANKey(bad)


def test_keys_are_redacted() -> None:
    key = MRZKey("L898902C3", "740812", "120415")
    assert repr(key) == "MRZKey(<redacted>)"
    assert "L898" not in str(key)
    assert repr(CANKey("123456")) == "CANKey(<redacted>)"
