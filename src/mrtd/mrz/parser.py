"""Parse and validate an MRZ (ICAO 9303 Parts 3-7).

`parse_mrz` never guesses: it reads what is printed, checks every check digit and field
grammar, and reports. Guessing (OCR repair) lives in `repair`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from mrtd.errors import CheckDigitError, MRZError
from mrtd.mrz.checkdigit import check_digit
from mrtd.mrz.codes import code_warning
from mrtd.mrz.layout import EXPECTED_CODES, LAYOUTS, Chars, Layout, MRZFormat, layout_for
from mrtd.mrz.model import MRZ, Check
from mrtd.mrz.text import MRZInput, check_characters, describe_shape, split_lines

LABELS = {
    "document_code": "document code",
    "issuing_state": "issuing state",
    "name": "name",
    "document_number": "document number",
    "document_number_check": "document number check digit",
    "nationality": "nationality",
    "birth_date": "date of birth",
    "birth_date_check": "date of birth check digit",
    "sex": "sex",
    "expiry_date": "date of expiry",
    "expiry_date_check": "date of expiry check digit",
    "optional_data": "optional data",
    "optional_data_2": "optional data (line 2)",
    "optional_data_check": "optional data check digit",
    "composite_check": "composite check digit",
    "composite": "composite",
}

_GRAMMAR = {
    Chars.ALPHA: ("[A-Z<]", "must not contain digits"),
    Chars.DIGIT: ("[0-9<]", "must not contain letters"),
    Chars.ALNUM: ("[A-Z0-9<]", ""),
    Chars.SEX: ("[FMX<]", "must be F, M, X or '<'"),
    Chars.CODE: ("[A-Z][A-Z0-9<]", "must start with a letter"),
}


@cache
def _line_patterns(fmt: MRZFormat) -> tuple[re.Pattern[str], ...]:
    """One regex per line holding every field's grammar, so a well-formed MRZ (the usual case)
    is checked in one match per line; field by field runs only to explain a mismatch."""
    layout = LAYOUTS[fmt]
    parts: list[list[tuple[int, str]]] = [[] for _ in range(layout.line_count)]
    for f in layout.fields.values():
        line, start, end = f.span
        char_class, _ = _GRAMMAR[f.chars]
        if f.chars is Chars.CODE:
            parts[line].append((start, char_class))
        else:
            parts[line].append((start, f"{char_class}{{{end - start}}}"))
    return tuple(re.compile("".join(p for _, p in sorted(line))) for line in parts)


def _grammar_errors(layout: Layout, lines: tuple[str, ...]) -> list[str]:
    patterns = _line_patterns(layout.format)
    if all(p.fullmatch(line) for p, line in zip(patterns, lines, strict=True)):
        return []
    errors = []
    for f in layout.fields.values():
        char_class, problem = _GRAMMAR[f.chars]
        line, start, end = f.span
        width = "" if f.chars is Chars.CODE else f"{{{end - start}}}"
        if problem and re.fullmatch(char_class + width, lines[line][start:end]) is None:
            errors.append(f"{LABELS[f.name]} {problem}")
    return errors


def parse_mrz(value: MRZInput, *, strict: bool = True, today: date | None = None) -> MRZ:
    """Parse and validate an MRZ given as text (lines separated by newlines) or as lines.

    strict=True raises `CheckDigitError` / `MRZError` when any check fails; strict=False returns
    the MRZ with `valid` False and the reasons in `errors`. Input that has no MRZ shape or holds
    characters an MRZ cannot contain raises `MRZError` either way. `today` fixes the century
    windows (default: the current date): a date of birth is never in the future, a date of
    expiry is the one nearest to `today` (50 years back to 49 ahead).
    """
    lines = split_lines(value)
    layout = layout_for(lines)
    if layout is None:
        raise MRZError("not an MRZ: " + describe_shape(lines))
    check_characters(lines)
    mrz = analyse(layout, lines, today or date.today())
    if strict and mrz.errors:
        raise_for(mrz)
    return mrz


def raise_for(mrz: MRZ) -> None:
    """Raise the exception that describes an invalid MRZ."""
    failed = tuple(name for name, result in mrz.checks.items() if result is Check.FAILED)
    message = "invalid MRZ: " + "; ".join(mrz.errors)
    if failed and len(failed) == len(mrz.errors):
        raise CheckDigitError(message, failed)
    raise MRZError(message)


def analyse(layout: Layout, lines: tuple[str, ...], today: date) -> MRZ:
    """Build the MRZ and every finding from lines already known to have `layout`'s shape."""
    fields = layout.fields
    values = {name: lines[f.span[0]][f.span[1] : f.span[2]] for name, f in fields.items()}
    text = values.__getitem__
    errors = _grammar_errors(layout, lines)
    warnings: list[str] = []

    checks: dict[str, Check] = {}
    document_number = text("document_number")
    optional_data = text("optional_data")
    number_check = text("document_number_check")
    if layout.long_document_number and number_check == "<" and optional_data[0] != "<":
        # 9303-5 §4.2.4: the rest of the number and its check digit open the optional data.
        overflow = optional_data.split("<", 1)[0]
        optional_data = optional_data[len(overflow) :]
        if len(overflow) < 2:
            checks["document_number"] = Check.FAILED
            errors.append("document number overflow in the optional data has no check digit")
        else:
            document_number += overflow[:-1]
            checks["document_number"] = _verify(document_number, overflow[-1], "", warnings)

    for spec in layout.checks:
        if spec.name in checks:
            continue
        covered = "".join(lines[line][start:end] for line, start, end in spec.covers)
        digit = lines[spec.at[0]][spec.at[1]]
        quirk_label = "" if spec.name == "composite" else LABELS[spec.name]
        checks[spec.name] = _verify(covered, digit, quirk_label, warnings)
    failed = [name for name, result in checks.items() if result is Check.FAILED]
    errors.extend(f"{LABELS[name]} check digit failed" for name in failed)

    code = text("document_code")
    if code[0].isalpha() and code[0] not in EXPECTED_CODES[layout.format]:
        warnings.append(f"document code {code.rstrip('<')!r} is unusual for {layout.format.value}")

    issuing_state = _code("issuing_state", text("issuing_state"), errors, warnings)
    nationality = _code("nationality", text("nationality"), errors, warnings)

    name = text("name")
    surname, _, given = name.partition("<<")
    surname, given = _words(surname), _words(given)
    if not surname and not given:
        errors.append("name is empty")

    birth_text, expiry_text = text("birth_date"), text("expiry_date")
    birth_century = 1900 if _year(birth_text) > today.year % 100 else 2000
    birth_date = _date("birth_date", birth_text, birth_century, errors, warnings)
    expiry_century = _expiry_century(_year(expiry_text), today)
    expiry_date = _date("expiry_date", expiry_text, expiry_century, errors, warnings)

    return MRZ(
        format=layout.format,
        lines=lines,
        document_code=code.rstrip("<"),
        issuing_state=issuing_state,
        surname=surname,
        given_names=given,
        name_truncated=name[-1] != "<",
        document_number=document_number.rstrip("<"),
        nationality=nationality,
        birth_date=birth_date,
        birth_date_text=birth_text,
        sex=text("sex"),
        expiry_date=expiry_date,
        expiry_date_text=expiry_text,
        optional_data=optional_data.strip("<"),
        optional_data_2=values.get("optional_data_2", "").strip("<"),
        checks=checks,
        warnings=tuple(warnings),
        errors=tuple(errors),
    )


def _verify(covered: str, digit: str, quirk_label: str, warnings: list[str]) -> Check:
    """One check digit. `quirk_label` names a field whose empty value may carry '<' as its
    check digit (9303-4 note for the optional data; seen on real documents for others too)."""
    if digit == "<":
        if quirk_label and not covered.strip("<"):
            warnings.append(f"{quirk_label} is empty and its check digit is '<' (accepted)")
            return Check.OK
        return Check.FAILED
    try:
        return Check.OK if check_digit(covered) == digit else Check.FAILED
    except MRZError:
        return Check.FAILED


def _code(field: str, raw: str, errors: list[str], warnings: list[str]) -> str:
    code = raw.rstrip("<")
    if not code and field == "nationality":  # no check digit covers it; some ID cards
        warnings.append("nationality is empty")  # leave it blank (Macao SAR's, for one)
    elif not code:
        errors.append(f"{LABELS[field]} is empty")
    elif code.isalpha():
        warning = code_warning(LABELS[field], code)
        if warning:
            warnings.append(warning)
    return code


def _words(part: str) -> str:
    return " ".join(word for word in part.split("<") if word)


def _year(text: str) -> int:
    return int(text[:2]) if text[:2].isdigit() else 0


def _expiry_century(year: int, today: date) -> int:
    """The century that puts a two-digit expiry year nearest to `today`: within 50 years back
    and 49 ahead ("94" is 1994 in 2026, "75" 2075, "76" 1976). A document's validity is a
    decade or so, so an expiry far in the past is read as expired, never as the next
    century's (which would pass the expiry check)."""
    century = today.year - today.year % 100
    candidates = (century - 100 + year, century + year, century + 100 + year)
    return min(candidates, key=lambda y: (abs(y - today.year), y > today.year)) - year


def _date(
    field: str, raw: str, century: int, errors: list[str], warnings: list[str]
) -> date | None:
    """The date as data (9303-3 §4.6): a day or month unknown to the issuer (`<<` or `00`)
    or a date no calendar has (29 February of a common year, in specimens and some states'
    documents) is printed all the same, covered by its check digit and part of the access
    key. Such a date is None with a warning, never an error: the characters, not a date,
    are what the MRZ holds. Fillers stand for a whole year, month or day; a lone one is an
    error. Letters are a grammar error, reported already."""
    if not raw.isdigit():
        if raw.strip("0123456789<") == "":  # only fillers and digits: marked unknown
            pairs = (raw[0:2], raw[2:4], raw[4:6])
            if all(pair.isdigit() or pair == "<<" for pair in pairs):
                warnings.append(f"{LABELS[field]} is partly or wholly unknown (fillers)")
            else:  # '<' counts 0 like '0': a lone filler is a misread no check digit sees
                errors.append(f"{LABELS[field]} has a filler inside a year, month or day")
        return None
    if raw[2:4] == "00" or raw[4:6] == "00":
        warnings.append(f"{LABELS[field]} is partly or wholly unknown ('00')")
        return None
    try:
        return date(century + int(raw[:2]), int(raw[2:4]), int(raw[4:6]))
    except ValueError:
        warnings.append(f"{LABELS[field]} is not a calendar date (kept as printed)")
        return None
