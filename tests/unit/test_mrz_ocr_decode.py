"""The OCR decoder repairs from its own evidence (issue 23): each character's alternatives and
their probabilities, not blind look-alike swaps; a date is never a constraint."""

from __future__ import annotations

import pytest

pytest.importorskip("numpy")

import numpy as np
from numpy.typing import NDArray

from mrtd.mrz import generate_mrz
from mrtd.mrz.ocr.decode import ALPHABET, decode
from tests.conftest import TODAY, VECTORS

TD1 = tuple(VECTORS["mrz.specimen.TD1"]["lines"])  # D23145890 7: the number holds an 8 and a 0


def _probabilities(lines: tuple[str, ...], sure: float = 0.96) -> NDArray[np.float32]:
    probs = np.full((len(lines), len(lines[0]), len(ALPHABET)), (1 - sure) / 36, np.float32)
    for r, line in enumerate(lines):
        for c, char in enumerate(line):
            probs[r, c, ALPHABET.index(char)] = sure
    return probs


def _set(probs: NDArray[np.float32], at: tuple[int, int], **chars: float) -> None:
    probs[at] = 0.001
    for char, p in chars.items():
        probs[at][ALPHABET.index(char)] = p
    probs[at] /= probs[at].sum()


def test_a_torn_look_alike_is_settled_by_the_check_digits() -> None:
    probs = _probabilities(TD1)
    _set(probs, (0, 11), B=0.6, **{"8": 0.38})  # D23145(8)90: the 8 looks like a B
    decoded = decode(probs, today=TODAY)
    assert decoded is not None
    assert decoded.valid
    assert decoded.mrz.lines == TD1
    assert [(r.was, r.now, r.reason) for r in decoded.mrz.repairs] == [("B", "8", "check digit")]


def test_two_explanations_the_image_supports_alike_are_not_guessed() -> None:
    """The document number's check digit read '2', torn with '7'; and an 8 torn with B, a 0
    with O: a different check digit and the look-alike pair both fit. Nothing is picked."""
    wrong = (TD1[0][:14] + "2" + TD1[0][15:], TD1[1], TD1[2])
    probs = _probabilities(wrong)
    _set(probs, (0, 14), **{"2": 0.5, "7": 0.45})
    _set(probs, (0, 11), **{"8": 0.5, "B": 0.45})
    _set(probs, (0, 13), **{"0": 0.5, "O": 0.45})
    decoded = decode(probs, today=TODAY)
    assert decoded is not None
    assert not decoded.valid


def test_a_confident_misread_is_not_compensated_by_a_look_alike_elsewhere() -> None:
    """The check digit read '2' with certainty: the 8->B, 0->O pair would make the MRZ valid,
    but the classifier gave B and O little (a tenth of 8 and 0): no evidence for them."""
    wrong = (TD1[0][:14] + "2" + TD1[0][15:], TD1[1], TD1[2])
    probs = _probabilities(wrong)
    _set(probs, (0, 11), **{"8": 0.9, "B": 0.09})
    _set(probs, (0, 13), **{"0": 0.9, "O": 0.09})
    decoded = decode(probs, today=TODAY)
    assert decoded is not None
    assert not decoded.valid


def test_unknown_month_as_00_is_read_as_seen() -> None:
    text = generate_mrz(
        "TD3", document_code="P", issuing_state="UTO", surname="SPECIMEN",
        document_number="X1234567", nationality="UTO", birth_date="740012", sex="F",
        expiry_date="300101",
    )  # fmt: skip
    lines = tuple(text.split("\n"))
    decoded = decode(_probabilities(lines), today=TODAY)
    assert decoded is not None
    assert decoded.valid
    assert decoded.step == "argmax"
    assert decoded.mrz.birth_date is None
    assert decoded.mrz.birth_date_text == "740012"


SPECIMEN = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)


def test_a_faint_filler_read_as_a_letter_after_the_name_is_a_filler() -> None:
    read = (SPECIMEN[0][:35] + "C" + SPECIMEN[0][36:], SPECIMEN[1])
    probs = _probabilities(read)
    _set(probs, (0, 35), C=0.7, **{"<": 0.25})
    decoded = decode(probs, today=TODAY)
    assert decoded is not None
    assert decoded.valid
    assert decoded.mrz.lines == SPECIMEN


def test_a_name_line_cut_out_of_step_is_refused() -> None:
    """Letters after a run of fillers, the classifier sure of them: no check digit covers the
    name, and no real MRZ has such a name; the reading is refused, not returned valid."""
    read = (SPECIMEN[0][:38] + "KSSON<", SPECIMEN[1])
    decoded = decode(_probabilities(read), today=TODAY)
    assert decoded is not None
    assert not decoded.valid
    assert any("mis-cut" in error for error in decoded.mrz.errors)


def test_an_unusual_document_code_takes_the_likely_usual_one() -> None:
    read = ("B" + SPECIMEN[0][1:], SPECIMEN[1])
    probs = _probabilities(read)
    _set(probs, (0, 0), B=0.6, P=0.35)
    decoded = decode(probs, today=TODAY)
    assert decoded is not None
    assert decoded.valid
    assert decoded.mrz.document_code == "P"


def _td3_number(number: str) -> tuple[str, ...]:
    text = generate_mrz(
        "TD3", document_code="P", issuing_state="UTO", surname="SPECIMEN",
        document_number=number, nationality="UTO", birth_date="740812", sex="F",
        expiry_date="300101",
    )  # fmt: skip
    return tuple(text.split("\n"))


def test_two_zeros_read_as_o_that_cancel_in_every_check_digit_are_zeros() -> None:
    """'O' counts 24: two of them at weights 7 and 3 change every sum by 240, which no check
    digit sees. Among digits, the digits are the likelier reading."""
    truth = _td3_number("707210009")
    read = (truth[0], truth[1][:6] + "OO" + truth[1][8:])
    probs = _probabilities(read)
    for column in (6, 7):
        _set(probs, (1, column), O=0.6, **{"0": 0.35})
    decoded = decode(probs, today=TODAY)
    assert decoded is not None
    assert decoded.valid
    assert decoded.mrz.lines == truth


def test_a_letter_o_among_digits_that_only_it_explains_stays() -> None:
    truth = _td3_number("70721O009")  # one 'O': as '0' no check digit would hold
    decoded = decode(_probabilities(truth), today=TODAY)
    assert decoded is not None
    assert decoded.valid
    assert decoded.mrz.lines == truth


def test_an_unknown_state_code_read_in_doubt_is_refused() -> None:
    """N and X differ by 10: N read as X in the document number passes every check digit,
    and no check digit covers the nationality. An unknown code the classifier doubted
    ('CAX') is the only sign."""
    text = generate_mrz(
        "TD3", document_code="P", issuing_state="CAN", surname="SPECIMEN",
        document_number="N24997712", nationality="CAN", birth_date="690821", sex="M",
        expiry_date="300418",
    )  # fmt: skip
    truth = tuple(text.split("\n"))
    read = (truth[0], "X" + truth[1][1:12] + "X" + truth[1][13:])  # N read as X twice
    probs = _probabilities(read)
    _set(probs, (1, 12), X=0.7, M=0.2)
    decoded = decode(probs, today=TODAY)
    assert decoded is not None
    assert not decoded.valid
    assert "nationality is on no code list and not read with confidence" in decoded.mrz.errors
    sure = decode(_probabilities(read, sure=0.97), today=TODAY)  # as a specimen prints it
    assert sure is not None
    assert sure.valid
