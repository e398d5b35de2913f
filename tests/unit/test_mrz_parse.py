"""Parsing and validation: formats, quirks, and every kind of malformed input."""

from __future__ import annotations

import time
from datetime import date

import pytest

from mrtd.access.keys import MRZKey
from mrtd.errors import CheckDigitError, MRTDError, MRZError
from mrtd.mrz import Check, MRZFormat, RepairStatus, generate_mrz, parse_mrz, repair_mrz
from tests.conftest import TODAY, VECTORS, with_char

TD3 = VECTORS["mrz.specimen.TD3"]["lines"]
TD1 = VECTORS["mrz.specimen.TD1"]["lines"]


def test_accepts_text_lines_bytes_and_one_joined_line() -> None:
    expected = parse_mrz(TD3, today=TODAY)
    for form in ("\n".join(TD3), "\r\n".join(TD3) + "\n", "".join(TD3), "\n".join(TD3).encode()):
        assert parse_mrz(form, today=TODAY) == expected
    assert parse_mrz(["  " + TD3[0] + "  ", "", TD3[1] + "\t"], today=TODAY) == expected


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("", "empty"),
        ("   \n\n  ", "empty"),
        ([TD3[0], TD3[1][:-1]], "2 line(s) of 44, 43"),
        ([TD3[0]], "1 line(s)"),
        ([*TD3, TD3[1]], "3 line(s)"),
        ([TD1[0], TD1[1]], "2 line(s) of 30, 30"),
        ("X" * 10_000, "too long"),
        (b"\xff" * 88, "non-ASCII"),
        ([TD3[0], TD3[1].replace("L8", "l8")], "lower case"),
        ([TD3[0], TD3[1].replace("<", " ", 1)], "line 2 column 38"),
        ([TD3[0].replace("ANNA", "ÄNNA"), TD3[1]], "line 1 column"),
    ],
)
def test_structurally_malformed_input_raises_mrzerror(
    lines: str | bytes | list[str], message: str
) -> None:
    with pytest.raises(MRZError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_mrz(lines, strict=False)


def test_wrong_type_is_an_mrzerror_not_a_crash() -> None:
    with pytest.raises(MRZError, match="not int"):
        parse_mrz(42)  # type: ignore[arg-type]
    with pytest.raises(MRZError, match="must be str"):
        parse_mrz([TD3[0], 7])  # type: ignore[list-item]


def test_junk_is_refused_quickly() -> None:
    junk = ("<A9" * 3400)[:10_240]
    start = time.perf_counter()
    for value in (junk, junk.encode(), [junk[i : i + 44] for i in range(0, 10_240, 44)]):
        with pytest.raises(MRZError):
            parse_mrz(value)
    assert time.perf_counter() - start < 0.05


def test_each_failed_check_digit_is_named() -> None:
    bad = with_char(TD3, 1, 9, "7")  # document number check digit
    with pytest.raises(CheckDigitError) as caught:
        parse_mrz(bad, today=TODAY)
    assert caught.value.failed == ("document_number", "composite")
    assert "document number check digit failed" in str(caught.value)
    mrz = parse_mrz(bad, strict=False, today=TODAY)
    assert not mrz.valid
    assert mrz.checks["document_number"] is Check.FAILED
    assert mrz.checks["birth_date"] is Check.OK
    assert mrz.errors == ("document number check digit failed", "composite check digit failed")


@pytest.mark.parametrize(
    ("column", "char", "error"),
    [
        (14, "5", "date of birth check digit failed"),  # changes the birth date
        (27, "0", "date of expiry check digit failed"),
        (42, "5", "optional data check digit failed"),
        (43, "9", "composite check digit failed"),
        (20, "Q", "sex must be F, M, X or '<'"),
        (19, "A", "date of birth check digit must not contain letters"),
        (11, "1", "nationality must not contain digits"),
    ],
)
def test_td3_field_errors(column: int, char: str, error: str) -> None:
    mrz = parse_mrz(with_char(TD3, 1, column, char), strict=False, today=TODAY)
    assert error in mrz.errors
    with pytest.raises(MRZError):
        parse_mrz(with_char(TD3, 1, column, char), today=TODAY)


def _td3(birth: str, expiry: str = "300101") -> str:
    return generate_mrz(
        MRZFormat.TD3,
        document_code="P",
        issuing_state="UTO",
        surname="TEST",
        document_number="X1234567",
        nationality="UTO",
        birth_date=birth,
        sex="M",
        expiry_date=expiry,
    )


@pytest.mark.parametrize(
    ("birth", "warning"),
    [
        ("740231", "not a calendar date"),
        ("741301", "not a calendar date"),
        ("010229", "not a calendar date"),  # 29 February of a common year: a specimen's
        ("740000", "unknown ('00')"),
        ("740700", "unknown ('00')"),
        ("740012", "unknown ('00')"),
        ("7407<<", "unknown (fillers)"),
        ("74<<<<", "unknown (fillers)"),
    ],
)
def test_unknown_and_impossible_dates_are_data_with_a_warning(birth: str, warning: str) -> None:
    """9303-3: an unknown day or month is printed as fillers (or, by some states, '00');
    specimens and some documents print dates no calendar has. The check digits hold, so the
    MRZ is valid; the date is None, the text as printed, and the access key uses the text."""
    mrz = parse_mrz(_td3(birth), today=TODAY)
    assert mrz.valid
    assert mrz.birth_date is None
    assert mrz.birth_date_text == birth
    assert mrz.checks["birth_date"] is Check.OK
    assert any(w.startswith("date of birth") and warning in w for w in mrz.warnings)
    key = MRZKey.from_mrz(mrz)
    assert key.mrz_information[10:17] == birth + mrz.lines[1][19]


@pytest.mark.parametrize("birth", ["6<0227", "600<27", "60022<", "<02271"])
def test_a_lone_filler_inside_a_date_is_an_error(birth: str) -> None:
    """'<' counts 0 in a check digit, as '0' does: a '0' misread as '<' passes every check
    digit. 9303-3 marks a whole year, month or day unknown, never one digit of it."""
    mrz = parse_mrz(_td3(birth), strict=False, today=TODAY)
    assert not mrz.valid
    assert "date of birth has a filler inside a year, month or day" in mrz.errors


def test_impossible_expiry_date_is_a_warning_too() -> None:
    mrz = parse_mrz(_td3("800101", "270229"), today=TODAY)
    assert mrz.valid
    assert mrz.expiry_date is None
    assert mrz.expiry_date_text == "270229"
    assert "date of expiry is not a calendar date (kept as printed)" in mrz.warnings
    assert MRZKey.from_mrz(mrz).mrz_information.endswith("270229" + mrz.lines[1][27])


def test_a_typed_impossible_date_is_still_refused_as_a_typo() -> None:
    with pytest.raises(MRZError, match="not a calendar date"):
        MRZKey("X1234567", "010229", "300101")


def test_leap_day_is_a_date() -> None:
    assert parse_mrz(_td3("000229"), today=TODAY).birth_date == date(2000, 2, 29)


@pytest.mark.parametrize(
    ("yy", "today", "year"),
    [("26", date(2026, 11, 21), 2026), ("27", date(2026, 11, 21), 1927), ("00", TODAY, 2000),
     ("99", TODAY, 1999), ("27", date(2027, 1, 1), 2027)],
)  # fmt: skip
def test_birth_century_window(yy: str, today: date, year: int) -> None:
    mrz = parse_mrz(_td3(yy + "0101"), today=today)
    assert mrz.birth_date == date(year, 1, 1)


@pytest.mark.parametrize(
    ("expiry", "today", "expected"),
    [("940623", TODAY, date(1994, 6, 23)), ("991231", TODAY, date(1999, 12, 31)),
     ("350930", TODAY, date(2035, 9, 30)), ("260101", TODAY, date(2026, 1, 1)),
     ("750101", TODAY, date(2075, 1, 1)), ("760101", TODAY, date(1976, 1, 1)),
     ("050101", date(2096, 1, 1), date(2105, 1, 1)),
     ("940623", date(2060, 1, 1), date(2094, 6, 23))],
)  # fmt: skip
def test_expiry_century_is_the_one_nearest_today(expiry: str, today: date, expected: date) -> None:
    # An expiry of 94 is 1994 in 2026 (expired), not 2094 (which passed the expiry check).
    assert parse_mrz(_td3("800101", expiry), today=today).expiry_date == expected


def test_unknown_birth_date_with_fillers_is_reported_not_invented() -> None:
    mrz = parse_mrz(_td3("57<<<<"), today=TODAY)
    assert mrz.birth_date is None
    assert mrz.birth_date_text == "57<<<<"
    assert any("partly or wholly unknown" in w for w in mrz.warnings)


def test_filler_as_check_digit_of_empty_optional_data_is_accepted_and_reported() -> None:
    lines = _td3("800101").splitlines()
    assert lines[1][28:43] == "<<<<<<<<<<<<<<0"
    quirk = with_char(lines, 1, 42, "<")
    mrz = parse_mrz(quirk, today=TODAY)  # the composite is the same: '<' and '0' both count 0
    assert mrz.checks["optional_data"] is Check.OK
    assert any("check digit is '<'" in w for w in mrz.warnings)
    # ...but not when the optional data holds something.
    filled = with_char(with_char(quirk, 1, 30, "A"), 1, 43, "<")
    assert parse_mrz(filled, strict=False, today=TODAY).checks["optional_data"] is Check.FAILED


def test_codes_are_checked_against_the_icao_list_as_warnings() -> None:
    german = generate_mrz(
        "TD1",
        document_code="ID",
        issuing_state="D",
        surname="MUSTERMANN",
        given_names="ERIKA",
        document_number="T22000129",
        nationality="D",
        birth_date="640812",
        sex="F",
        expiry_date="310630",
    )
    mrz = parse_mrz(german, today=TODAY)
    assert (mrz.issuing_state, mrz.nationality, mrz.document_code) == ("D", "D", "ID")
    assert mrz.warnings == ()
    unknown = parse_mrz(german.replace("IDD<<", "IDQQQ"), strict=False, today=TODAY)
    assert "issuing state 'QQQ' is not on the ICAO code list" in unknown.warnings
    assert unknown.checks["composite"] is Check.OK  # issuing state is not under any check


def test_empty_nationality_is_a_warning_but_empty_issuing_state_an_error() -> None:
    """Macao SAR's identity card prints no nationality; no check digit covers the field."""
    blank, no_state = list(TD3), list(TD3)
    for column in (10, 11, 12):
        blank = with_char(blank, 1, column, "<")
    for column in (2, 3, 4):
        no_state = with_char(no_state, 0, column, "<")
    mrz = parse_mrz(blank, today=TODAY)
    assert mrz.valid
    assert mrz.nationality == ""
    assert "nationality is empty" in mrz.warnings
    no_state_mrz = parse_mrz(no_state, strict=False, today=TODAY)
    assert "issuing state is empty" in no_state_mrz.errors


def test_names_components_and_truncation() -> None:
    mrz = parse_mrz(
        generate_mrz(
            "TD3",
            document_code="P",
            issuing_state="NLD",
            surname="van der Berg",
            given_names="Anna-Lena Maria",
            document_number="NX1234567",
            nationality="NLD",
            birth_date="900101",
            sex="X",
            expiry_date="300101",
        ),
        today=TODAY,
    )
    assert (mrz.surname, mrz.given_names, mrz.sex) == ("VAN DER BERG", "ANNA LENA MARIA", "X")
    assert not mrz.name_truncated
    long_name = generate_mrz(
        "TD1",
        document_code="I",
        issuing_state="FRA",
        surname="Wolfeschlegelsteinhausen",
        given_names="Hubert Blaine",
        document_number="AB1234567",
        nationality="FRA",
        birth_date="900101",
        sex="M",
        expiry_date="300101",
    )
    truncated = parse_mrz(long_name, today=TODAY)
    assert truncated.name_truncated
    assert truncated.surname == "WOLFESCHLEGELSTEINHAUSEN"
    assert truncated.given_names == "HUBE"


def test_mrv_and_td_are_told_apart_by_the_document_code() -> None:
    assert parse_mrz(VECTORS["mrz.specimen.MRV-A"]["lines"], today=TODAY).format is MRZFormat.MRVA
    assert parse_mrz(VECTORS["mrz.specimen.MRV-B"]["lines"], today=TODAY).format is MRZFormat.MRVB
    assert parse_mrz(VECTORS["mrz.specimen.TD2"]["lines"], today=TODAY).format is MRZFormat.TD2


def test_long_document_number_without_its_check_digit_is_an_error() -> None:
    lines = VECTORS["mrz.specimen.TD1_long_docno"]["lines"]
    broken = [lines[0][:15] + "7<<<<<<<<<<<<<<", *lines[1:]]
    mrz = parse_mrz(broken, strict=False, today=TODAY)
    assert "document number overflow in the optional data has no check digit" in mrz.errors


def test_no_personal_data_in_repr_or_errors() -> None:
    bad = with_char(TD3, 1, 9, "7")
    mrz = parse_mrz(bad, strict=False, today=TODAY)
    for text in (repr(mrz), str(mrz), *mrz.errors):
        for secret in ("ERIKSSON", "ANNA", "L898902C", "740812", "120415", "ZE184226B"):
            assert secret not in text
    with pytest.raises(MRTDError) as caught:
        parse_mrz(bad)
    assert "L898902C" not in str(caught.value)


def test_issuer_chosen_digit_in_the_document_code_is_valid_and_left_alone() -> None:
    # 9303-5 leaves the second character to the issuer; US permanent resident cards use "C1".
    text = generate_mrz(
        "TD1",
        document_code="C1",
        issuing_state="USA",
        surname="SPECIMEN",
        given_names="TEST",
        document_number="SRC001234",
        nationality="UTO",
        birth_date="800101",
        sex="F",
        expiry_date="300101",
    )
    mrz = parse_mrz(text, today=TODAY)
    assert mrz.document_code == "C1"

    assert repair_mrz(text, today=TODAY).status is RepairStatus.UNCHANGED
    assert (
        "document code must start with a letter"
        in parse_mrz("1" + text[1:], strict=False, today=TODAY).errors
    )


def test_french_id_card_of_1988_is_refused_by_name() -> None:
    lines = ["IDFRA" + "SPECIMEN".ljust(25, "<") + "0000UT", "8" * 13 + "TEST<<<<<<<<<<8001010F0"]
    assert [len(line) for line in lines] == [36, 36]

    for call in (parse_mrz, repair_mrz):
        with pytest.raises(MRZError, match="French national ID card of the 1988-2021 model"):
            call(lines)


def test_generator_does_not_make_what_the_parser_refuses() -> None:
    with pytest.raises(MRZError, match="French ID card"):
        generate_mrz(
            "TD2",
            document_code="ID",
            issuing_state="FRA",
            surname="SPECIMEN",
            document_number="X1",
            nationality="FRA",
            birth_date="800101",
            sex="F",
            expiry_date="300101",
        )
