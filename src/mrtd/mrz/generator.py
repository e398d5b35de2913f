"""Build an MRZ from fields (for tests, the simulated chip and the OCR training generator)."""

from __future__ import annotations

from datetime import date

from mrtd.errors import MRZError
from mrtd.mrz.checkdigit import check_digit
from mrtd.mrz.layout import LAYOUTS, Layout, MRZFormat, is_french_national_id
from mrtd.mrz.transliterate import to_mrz_name


def generate_mrz(
    format: MRZFormat | str,  # noqa: A002 - the natural name
    *,
    document_code: str,
    issuing_state: str,
    surname: str,
    given_names: str = "",
    document_number: str,
    nationality: str,
    birth_date: date | str,
    sex: str,
    expiry_date: date | str,
    optional_data: str = "",
    optional_data_2: str = "",
) -> str:
    """The MRZ text (lines joined by newlines) for these fields, with every check digit.

    Names are transliterated (9303-3 §6) and truncated to fit (the field then ends in a letter,
    which `MRZ.name_truncated` reports). Dates are `date` objects or six MRZ characters
    (YYMMDD, '<' for unknown parts). Document numbers longer than 9 characters overflow into
    the optional data on TD1 and TD2 (9303-5 §4.2.4) and are refused elsewhere.
    """
    layout = LAYOUTS[MRZFormat(format)]
    grid = [["<"] * layout.width for _ in range(layout.line_count)]

    def put(name: str, value: str) -> None:
        line, start, end = layout.fields[name].span
        if len(value) > end - start:
            raise MRZError(f"{name} is longer than its {end - start} positions")
        grid[line][start : start + len(value)] = value

    put("document_code", _token(document_code, "document_code"))
    put("issuing_state", _token(issuing_state, "issuing_state"))
    put("nationality", _token(nationality, "nationality"))
    name, _ = fit_name(surname, given_names, layout.fields["name"].width)
    put("name", name)
    put("birth_date", _date_text(birth_date, "birth_date"))
    put("expiry_date", _date_text(expiry_date, "expiry_date"))
    if sex not in ("F", "M", "X", "<", ""):
        raise MRZError("sex must be F, M, X or '<'")
    put("sex", sex or "<")

    number = _token(document_number, "document_number")
    optional = _token(optional_data, "optional_data")
    if len(number) > 9:
        if not layout.long_document_number:
            raise MRZError(f"{layout.format.value} document numbers have at most 9 characters")
        overflow = number[9:] + check_digit(number) + "<"
        put("document_number", number[:9])
        put("document_number_check", "<")
        put("optional_data", overflow + optional)
    else:
        put("document_number", number)
        put("optional_data", optional)
    if optional_data_2:
        if "optional_data_2" not in layout.fields:
            raise MRZError(f"{layout.format.value} has no second optional data field")
        put("optional_data_2", _token(optional_data_2, "optional_data_2"))
    _fill_check_digits(layout, grid, long_number=len(number) > 9)
    lines = tuple("".join(row) for row in grid)
    if is_french_national_id(lines):
        raise MRZError("a TD2 with code ID from FRA would read as the non-ICAO French ID card")
    return "\n".join(lines)


def fit_name(surname: str, given_names: str, width: int) -> tuple[str, bool]:
    """Primary and secondary identifiers in `width` positions; True when truncated."""
    primary = "<".join(filter(None, to_mrz_name(surname).split("<")))
    secondary = "<".join(filter(None, to_mrz_name(given_names).split("<")))
    if not primary and not secondary:
        raise MRZError("a name needs a primary or a secondary identifier")
    full = f"{primary}<<{secondary}" if secondary else primary
    if len(full) <= width:
        return full, False
    return full[:width].rstrip("<"), True


def _fill_check_digits(layout: Layout, grid: list[list[str]], *, long_number: bool) -> None:
    # The spans in layout.checks are in dependency order: field checks, then the composite.
    for spec in layout.checks:
        if spec.name == "document_number" and long_number:
            continue
        covered = "".join("".join(grid[line][start:end]) for line, start, end in spec.covers)
        grid[spec.at[0]][spec.at[1]] = check_digit(covered)


def _token(value: str, name: str) -> str:
    token = value.strip().upper().replace(" ", "<")
    if any(not ("A" <= c <= "Z" or "0" <= c <= "9" or c == "<") for c in token):
        raise MRZError(f"{name} has characters an MRZ cannot hold")
    return token


def _date_text(value: date | str, name: str) -> str:
    if isinstance(value, date):
        return value.strftime("%y%m%d")
    if len(value) != 6 or any(c not in "0123456789<" for c in value):
        raise MRZError(f"{name} must be a date or six characters YYMMDD")
    return value
