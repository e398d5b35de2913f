"""OCR repair: grammar first, then check digits confirmed by the composite; never a guess."""

from __future__ import annotations

from mrtd.mrz import RepairStatus, generate_mrz, parse_mrz, repair_mrz
from tests.conftest import TODAY, VECTORS, with_char

TD3 = VECTORS["mrz.specimen.TD3"]["lines"]


def test_valid_mrz_is_unchanged() -> None:
    result = repair_mrz(TD3, today=TODAY)
    assert result.status is RepairStatus.UNCHANGED
    assert result.mrz == parse_mrz(TD3, today=TODAY)
    assert result.repairs == ()


def test_grammar_repairs_letters_in_dates_and_digits_in_names() -> None:
    scanned = with_char(
        with_char(with_char(TD3, 1, 14, "A"), 1, 23, "O"), 0, 3, "7"
    )  # 7(4)08.., 1(2)0.., U(T)O
    scanned = with_char(scanned, 0, 7, "1")  # ER(I)KSSON
    result = repair_mrz(scanned, today=TODAY)
    assert result.status is RepairStatus.REPAIRED
    assert list(result.mrz.lines) == TD3
    assert [(r.line, r.column, r.was, r.now, r.reason) for r in result.repairs] == [
        (1, 4, "7", "T", "grammar"),
        (1, 8, "1", "I", "grammar"),
        (2, 15, "A", "4", "grammar"),
        (2, 24, "O", "0", "grammar"),
    ]
    assert str(result.repairs[0]) == "line 1 column 4: '7' -> 'T' (grammar)"


def test_check_digit_repair_in_the_document_number() -> None:
    scanned = with_char(TD3, 1, 5, "O")  # L8989(0)2C3: a letter O is legal in a document number
    assert not parse_mrz(scanned, strict=False, today=TODAY).valid
    result = repair_mrz(scanned, today=TODAY)
    assert result.status is RepairStatus.REPAIRED
    assert list(result.mrz.lines) == TD3
    assert [(r.column, r.reason) for r in result.repairs] == [(6, "check digit")]


def test_two_possible_repairs_are_ambiguous_and_nothing_is_applied() -> None:
    text = generate_mrz(
        "TD3",
        document_code="P",
        issuing_state="UTO",
        surname="SAMPLE",
        document_number="SB85S0Z2",
        nationality="UTO",
        birth_date="800101",
        sex="F",
        expiry_date="300101",
    )
    lines = text.splitlines()
    # Find a misread for which more than one swap satisfies the check digit.
    for column in range(9):
        char = lines[1][column]
        swapped = {"S": "5", "5": "S", "B": "8", "8": "B", "Z": "2", "2": "Z", "0": "O"}.get(char)
        if swapped is None:
            continue
        result = repair_mrz(with_char(lines, 1, column, swapped), today=TODAY)
        assert result.status in (RepairStatus.REPAIRED, RepairStatus.AMBIGUOUS)
        if result.status is RepairStatus.AMBIGUOUS:
            assert "different repairs satisfy" in result.reason
            assert not result.mrz.valid
            assert result.repairs == ()
            return
        assert list(result.mrz.lines) == lines
    raise AssertionError("expected at least one ambiguous misread in this document number")


def test_a_wrong_check_digit_is_not_repaired_into_another_document_number() -> None:
    # Typed check digit 7 instead of 6: swaps in the number satisfy the field check alone, but
    # the composite check digit disagrees with each, so nothing is changed.
    result = repair_mrz(with_char(TD3, 1, 9, "7"), today=TODAY)
    assert result.status is RepairStatus.FAILED
    assert not result.mrz.valid
    assert all(r.reason == "grammar" for r in result.repairs)


def test_visas_get_grammar_repair_only() -> None:
    mrv = VECTORS["mrz.specimen.MRV-A"]["lines"]
    assert repair_mrz(with_char(mrv, 1, 15, "O"), today=TODAY).status is RepairStatus.REPAIRED
    result = repair_mrz(with_char(mrv, 1, 1, "B"), today=TODAY)  # L(8)98.. in the document number
    assert result.status is RepairStatus.FAILED
    assert "no composite" in result.reason


def test_dates_cannot_be_repaired_by_check_digit() -> None:
    result = repair_mrz(with_char(TD3, 1, 16, "9"), today=TODAY)  # a digit for a digit: no evidence
    assert result.status is RepairStatus.FAILED


def test_a_wrong_td1_check_digit_is_not_repaired_into_look_alikes() -> None:
    """Issue 23: the ICAO TD1 specimen with its document-number check digit typed 2 for 7
    was "repaired" 8->B and 0->O, valid. A different check digit explains both failed checks
    just as well: more than one candidate fits, so nothing is picked."""
    lines = VECTORS["mrz.specimen.TD1"]["lines"]
    typed = with_char(lines, 0, 14, "2")
    assert lines[0][14] == "7"
    assert lines[0][5:14] == "D23145890"
    result = repair_mrz(typed, today=TODAY)
    assert result.status is RepairStatus.AMBIGUOUS
    assert result.candidates >= 2
    assert "a different check digit" in result.reason
    assert not result.mrz.valid
    assert result.repairs == ()


def test_a_unique_repair_reports_one_candidate() -> None:
    result = repair_mrz(with_char(TD3, 1, 5, "O"), today=TODAY)
    assert result.status is RepairStatus.REPAIRED
    assert result.candidates == 1


def test_a_check_digit_that_alone_explains_the_failure_is_not_changed() -> None:
    # A digit->digit misread of the check digit: no look-alike swap fits, the check digit
    # itself would; that is no evidence for any change.
    result = repair_mrz(with_char(TD3, 1, 9, "0"), today=TODAY)
    assert result.status is RepairStatus.FAILED
    assert result.candidates == 1
    assert "the check digit itself may be wrong" in result.reason
    assert not result.mrz.valid
