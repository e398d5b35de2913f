"""Turn per-character probabilities into an MRZ that the check digits confirm, or nothing.

In order, stopping at the first valid reading (9303-3 §4.9 check digits, field grammar):
1. the most likely character at every position;
2. the field grammar: a position that cannot hold what was read (a letter in a date, a digit
   in a name) takes the look-alike `repair` lists (O->0, 1->I...) or else the classifier's
   likeliest allowed character; in a letters-and-digits field whose other characters are all
   digits an 'O' reads as '0' (the check digit cannot always tell: 'O' counts 24, and
   weights can make such differences cancel modulo 10); an issuing state or nationality
   that is no known code becomes the likeliest known code within those choices (also when
   step 1 read valid: no check digit covers the codes);
3. repair from the classifier's own evidence: at positions a check digit covers (check
   digits included), the alternatives the classifier found likely (`SEARCH_MIN`, or
   `MIN_ALTERNATIVE` for a look-alike) and at least a fifth as likely as the character read
   (`MAX_COST`: where the classifier was torn) are tried one and two at a time; every combination
   that makes the MRZ valid is a candidate, scored by how much less probable the classifier
   found it than the reading (the log-probability ratio of the changed characters). The
   best candidate is taken only when it is `MARGIN` times more probable than the next: a
   check digit passes a wrong field one time in ten, and the composite too one in a
   hundred, so two candidates of similar weight mean the image does not say which.
Dates are data, never a constraint: a date no calendar has (29 February of a common year,
`00` or `<<` for an unknown day) is read as it is printed, with a warning from the parser.

A changed reading is only accepted when it stays plausible: every change is a look-alike or a
character the classifier gave at least `MIN_ALTERNATIVE`, there are at most `MAX_CHANGES`,
and the mean log probability of the reading is at least `MIN_MEAN_LOG`. A position where no
allowed character is plausible keeps what was read, so the reading stays invalid: a document
that prints digits where letters belong is reported, not rewritten into a valid-looking MRZ.
Names and state codes carry no check digit: nothing there changes beyond step 2.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from itertools import combinations, product
from typing import TYPE_CHECKING

from mrtd.errors import MRZError
from mrtd.mrz.codes import KNOWN_CODES, SPECIMEN_CODE
from mrtd.mrz.layout import EXPECTED_CODES, LAYOUTS, Chars, MRZFormat, layout_for, position_chars
from mrtd.mrz.model import MRZ, Repair
from mrtd.mrz.parser import parse_mrz
from mrtd.mrz.repair import DIGIT_AS_LETTER, LETTER_AS_DIGIT, SWAPS

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["ALPHABET", "Decoded", "decode"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"  # the classifier's class order
MIN_ALTERNATIVE = 0.02  # a character the classifier gives less than this is never chosen
MAX_CHANGES = 8  # changes (grammar, repair, search) a reading may need in all
MIN_MEAN_LOG = -0.5  # mean log probability of a changed reading's characters
SEARCH_MIN = 0.15  # step 3 tries alternatives at least this likely (look-alikes: MIN_ALTERNATIVE)
MAX_ALTERNATIVES = 16  # ... the likeliest this many, alone and in pairs
MAX_COST = math.log(5)  # ... each at least a fifth as likely as the character it replaces
SURE_CODE = 0.9  # an unknown state code must be read at least this surely
MARGIN = math.log(20)  # ... and takes the best candidate only if 20 times likelier than the next
_FILLER = ALPHABET.index("<")
_AFTER_FILLERS = re.compile("<<<+[A-Z0-9]")
_ALLOWED = {
    Chars.ALPHA: set("ABCDEFGHIJKLMNOPQRSTUVWXYZ<"),
    Chars.DIGIT: set("0123456789<"),
    Chars.ALNUM: set(ALPHABET),
    Chars.SEX: set("FMX<"),
}


@dataclass(frozen=True, slots=True)
class Decoded:
    """The reading chosen from the probabilities: `mrz` (valid or the best invalid guess),
    the probability the classifier gave each chosen character, and how it was reached."""

    mrz: MRZ
    char_confidence: tuple[tuple[float, ...], ...]
    step: str  # "argmax", "grammar", "repair" (from the classifier's alternatives) or "none"

    @property
    def valid(self) -> bool:
        return self.mrz.valid

    @property
    def confidence(self) -> float:
        return min(min(line) for line in self.char_confidence)


def decode(probabilities: NDArray[np.float32], *, today: date | None = None) -> Decoded | None:
    """Decode (lines, count, 37) probabilities; None when the shape is no MRZ's."""
    decoded = _decode(probabilities, today)
    if decoded is None or not decoded.valid:
        return decoded
    errors = []
    if not _name_is_whole(decoded.mrz):
        errors.append("name reads like a mis-cut line (letters after a run of fillers)")
    errors.extend(_doubtful_codes(decoded))
    if not errors:
        return decoded
    return replace(decoded, mrz=replace(decoded.mrz, errors=(*decoded.mrz.errors, *errors)))


def _doubtful_codes(decoded: Decoded) -> list[str]:
    """A state code on no list, not read with confidence (`SURE_CODE`): letters whose values
    differ by 10 (N and X, D and N, B and L...) look alike to every check digit, so the same
    misread in the document number and a code passes them all; an unknown code is the sign."""
    layout = LAYOUTS[decoded.mrz.format]
    found = []
    for name in ("issuing_state", "nationality"):
        line, start, end = layout.fields[name].span
        code = decoded.mrz.lines[line][start:end]
        sure = min(decoded.char_confidence[line][start:end])
        if code.strip("<") and not _is_known(code) and sure < SURE_CODE:
            label = name.replace("_", " ")
            found.append(f"{label} is on no code list and not read with confidence")
    return found


def _name_is_whole(mrz: MRZ) -> bool:
    """No letter after a run of three or more fillers in the name: 9303 separates the
    primary and secondary identifiers by '<<' and fills the rest. A line cut one character
    off, or a faint '<' read as a letter, shows as such a letter; no check digit covers the
    name, so this is the only evidence (none of 100 real valid MRZs breaks it)."""
    line, start, end = LAYOUTS[mrz.format].fields["name"].span
    return _AFTER_FILLERS.search(mrz.lines[line][start:end]) is None


def _decode(probabilities: NDArray[np.float32], today: date | None) -> Decoded | None:
    import numpy as np  # noqa: PLC0415

    probs = np.asarray(probabilities, dtype=np.float64)
    raw = _lines(probs.argmax(axis=2))
    layout = layout_for(raw)
    if layout is None:
        return None
    first = parse_mrz(raw, strict=False, today=today)
    settled = _codes_known(first) and _name_is_whole(first) and _usual_code(first)
    if first.valid and settled and not _zeros_also_valid(raw, layout.format, today):
        return _result(first, probs, "argmax")

    masks = _grammar_masks(layout.format)
    masked = np.where(masks, probs, -1.0)
    chosen = _grammatical(raw, masked, masks, layout.format)
    repairs = _changes(raw, chosen, "grammar")
    try:
        second = parse_mrz(chosen, strict=False, today=today)
    except MRZError:  # the first letter changed the shape (e.g. to the French ID card)
        return _result(first, probs, "none")
    if second.valid:
        return _accept(replace(second, repairs=repairs), probs, "grammar", first)
    if not _plausible(_result(second, probs, "none"), len(repairs)):
        return _result(replace(second, repairs=repairs), probs, "none")  # too far gone to fix

    found = _search(chosen, probs, masks, second.format, today)
    if found is not None:
        mrz, changes = found
        return _accept(replace(mrz, repairs=(*repairs, *changes)), probs, "repair", second)
    return _result(replace(second, repairs=repairs), probs, "none")


def _grammatical(
    raw: tuple[str, ...], masked: NDArray[np.float64], masks: NDArray[np.bool_], fmt: MRZFormat
) -> tuple[str, ...]:
    """Step 2 of the module docstring."""
    grid = [list(line) for line in raw]
    for r, line in enumerate(raw):
        for c, ch in enumerate(line):
            if masks[r, c, ALPHABET.index(ch)]:
                continue
            twin = LETTER_AS_DIGIT.get(ch) or DIGIT_AS_LETTER.get(ch)
            best = int(masked[r, c].argmax())
            if twin is not None and masks[r, c, ALPHABET.index(twin)]:
                grid[r][c] = twin
            elif masked[r, c, best] >= MIN_ALTERNATIVE:
                grid[r][c] = ALPHABET[best]
    for row, start, end in _mixed_fields(fmt):
        field = grid[row][start:end]
        others = [ch for ch in field if ch not in "O<"]
        if len(others) >= 2 and all(ch.isdigit() for ch in others):
            grid[row][start:end] = ["0" if ch == "O" else ch for ch in field]
    for name in ("issuing_state", "nationality"):
        _known_code(grid, raw, masked, masks, LAYOUTS[fmt].fields[name].span)
    _fillers_in_name(grid, masked, fmt)
    expected = EXPECTED_CODES[fmt]
    if grid[0][0] not in expected:  # 'B<' of a passport: the likely expected letter, if any
        for i in masked[0, 0].argsort()[::-1][:3]:
            if ALPHABET[int(i)] in expected and masked[0, 0, i] >= MIN_ALTERNATIVE:
                grid[0][0] = ALPHABET[int(i)]
                break
    return tuple("".join(row) for row in grid)


def _fillers_in_name(grid: list[list[str]], masked: NDArray[np.float64], fmt: MRZFormat) -> None:
    """After a run of three fillers in the name, a letter the classifier found plausibly a
    filler is one (a faint '<' reads as 'C', 'K' or 'S')."""
    line, start, end = LAYOUTS[fmt].fields["name"].span
    run = 0
    for c in range(start, end):
        if grid[line][c] == "<":
            run += 1
        elif run >= 3 and masked[line, c, _FILLER] >= MIN_ALTERNATIVE:
            grid[line][c] = "<"
        else:
            run = 0 if run < 3 else run


def _zeros_also_valid(lines: tuple[str, ...], fmt: MRZFormat, today: date | None) -> bool:
    """Whether reading every 'O' of a letters-and-digits field otherwise of digits as '0'
    (step 2) is valid too. One such swap changes a check digit ('O' counts 24); two can
    cancel (weights 7 and 3), and then the digits are the likelier reading."""
    grid = [list(line) for line in lines]
    changed = False
    for row, start, end in _mixed_fields(fmt):
        field = grid[row][start:end]
        others = [ch for ch in field if ch not in "O<"]
        if "O" in field and len(others) >= 2 and all(ch.isdigit() for ch in others):
            grid[row][start:end] = ["0" if ch == "O" else ch for ch in field]
            changed = True
    if not changed:
        return False
    try:
        return parse_mrz(tuple("".join(row) for row in grid), strict=False, today=today).valid
    except MRZError:
        return False


def _usual_code(mrz: MRZ) -> bool:
    return mrz.lines[0][0] in EXPECTED_CODES[mrz.format]


def _known_code(
    grid: list[list[str]],
    raw: tuple[str, ...],
    masked: NDArray[np.float64],
    masks: NDArray[np.bool_],
    span: tuple[int, int, int],
) -> None:
    """Make an unknown state code the likeliest known one among each position's plausible
    characters (its reading, look-alike twin, and the classifier's likely letters)."""
    line, start, end = span
    code = "".join(grid[line][start:end])
    if _is_known(code) or not code.strip("<"):  # a blank field is blank, not misread
        return
    choices = []
    for c in range(start, end):
        row = masked[line, c]
        options = {grid[line][c]: float(row[ALPHABET.index(grid[line][c])])}
        twin = LETTER_AS_DIGIT.get(raw[line][c]) or DIGIT_AS_LETTER.get(raw[line][c])
        if twin is not None and masks[line, c, ALPHABET.index(twin)]:
            options.setdefault(twin, float(row[ALPHABET.index(twin)]))
        for i in row.argsort()[::-1][:3]:
            if row[i] >= MIN_ALTERNATIVE:
                options.setdefault(ALPHABET[int(i)], float(row[i]))
        choices.append(options)
    best: tuple[float, tuple[str, ...]] | None = None
    for combo in product(*[list(options) for options in choices]):
        if _is_known("".join(combo)):
            score = sum(math.log(max(choices[i][ch], 1e-4)) for i, ch in enumerate(combo))
            if best is None or score > best[0]:
                best = (score, combo)
    if best is not None:
        grid[line][start:end] = list(best[1])


def _codes_known(mrz: MRZ) -> bool:
    """Both state codes known (an empty nationality is left alone: some cards print none)."""
    return _is_known(mrz.issuing_state) and (not mrz.nationality or _is_known(mrz.nationality))


def _is_known(code: str) -> bool:
    code = code.rstrip("<")
    return code in KNOWN_CODES or code == SPECIMEN_CODE


@cache
def _mixed_fields(fmt: MRZFormat) -> tuple[tuple[int, int, int], ...]:
    """Spans of the fields that may hold letters and digits (document number, optional
    data), where only the context can tell 'O' from '0'."""
    layout = LAYOUTS[fmt]
    return tuple(f.span for f in layout.fields.values() if f.chars is Chars.ALNUM)


def _look_alike(was: str, now: str) -> bool:
    return now in (LETTER_AS_DIGIT.get(was), DIGIT_AS_LETTER.get(was)) or now in SWAPS.get(was, ())


def _changes(before: tuple[str, ...], after: tuple[str, ...], reason: str) -> tuple[Repair, ...]:
    return tuple(
        Repair(line + 1, column + 1, before[line][column], after[line][column], reason)
        for line in range(len(before))
        for column in range(len(before[line]))
        if before[line][column] != after[line][column]
    )


def _accept(mrz: MRZ, probs: NDArray[np.float64], step: str, fallback: MRZ) -> Decoded:
    """`mrz` if the classifier finds it plausible (module docstring), else `fallback`."""
    decoded = _result(mrz, probs, step)
    justified = all(
        _look_alike(r.was, r.now)
        or decoded.char_confidence[r.line - 1][r.column - 1] >= MIN_ALTERNATIVE
        for r in mrz.repairs
    )
    if justified and _plausible(decoded, len(mrz.repairs)):
        return decoded
    return _result(replace(fallback, repairs=()), probs, "none")


def _plausible(decoded: Decoded, changes: int) -> bool:
    scores = [math.log(max(p, 1e-9)) for line in decoded.char_confidence for p in line]
    return changes <= MAX_CHANGES and sum(scores) / len(scores) >= MIN_MEAN_LOG


def _lines(indices: NDArray[np.intp]) -> tuple[str, ...]:
    return tuple("".join(ALPHABET[int(i)] for i in row) for row in indices)


def _result(mrz: MRZ, probs: NDArray[np.float64], step: str) -> Decoded:
    confidence = tuple(
        tuple(float(probs[r, c, ALPHABET.index(ch)]) for c, ch in enumerate(line))
        for r, line in enumerate(mrz.lines)
    )
    return Decoded(mrz, confidence, step)


@cache
def _grammar_masks(fmt: MRZFormat) -> NDArray[np.bool_]:
    """(lines, count, 37): which characters each position's grammar allows."""
    import numpy as np  # noqa: PLC0415

    grid = position_chars(LAYOUTS[fmt])
    masks = np.zeros((len(grid), len(grid[0]), len(ALPHABET)), dtype=bool)
    for r, row in enumerate(grid):
        for c, kind in enumerate(row):
            allowed = _ALLOWED.get(kind, set(ALPHABET))
            masks[r, c] = [ch in allowed for ch in ALPHABET]
    masks.setflags(write=False)
    return masks


@cache
def _judged(fmt: MRZFormat) -> frozenset[tuple[int, int]]:
    """Positions a check digit or a date rule can judge: the only ones worth changing."""
    layout = LAYOUTS[fmt]
    cells: set[tuple[int, int]] = set()
    for spec in layout.checks:
        cells.add(spec.at)
        for line, start, end in spec.covers:
            cells.update((line, c) for c in range(start, end))
    for name in ("birth_date", "expiry_date", "optional_data"):
        line, start, end = layout.fields[name].span
        cells.update((line, c) for c in range(start, end))
    return frozenset(cells)


def _search(
    lines: tuple[str, ...], probs: NDArray[np.float64], masks: NDArray[np.bool_], fmt: MRZFormat,
    today: date | None,
) -> tuple[MRZ, tuple[Repair, ...]] | None:  # fmt: skip
    """Step 3: the valid reading the classifier's alternatives make likeliest, if it stands
    out from every other valid one by `MARGIN`."""
    import numpy as np  # noqa: PLC0415

    options: list[tuple[float, int, int, str]] = []  # cost (log ratio), line, column, char
    for line, column in sorted(_judged(fmt)):
        row = np.where(masks[line, column], probs[line, column], 0.0)
        was = lines[line][column]
        current = max(float(row[ALPHABET.index(was)]), 1e-9)
        for i in np.argsort(-row)[:3]:
            char, p = ALPHABET[int(i)], float(row[i])
            if char == was or p < MIN_ALTERNATIVE:
                continue
            cost = math.log(current) - math.log(p)
            if cost <= MAX_COST and (p >= SEARCH_MIN or _look_alike(was, char)):
                options.append((cost, line, column, char))
    options = sorted(options)[:MAX_ALTERNATIVES]
    singles = [(o,) for o in options]
    pairs = [(a, b) for a, b in combinations(options, 2) if a[1:3] != b[1:3]]
    fits: list[tuple[float, MRZ, tuple[Repair, ...]]] = []
    for combo in (*singles, *pairs):
        trial = list(lines)
        for _, line, column, char in combo:
            trial[line] = trial[line][:column] + char + trial[line][column + 1 :]
        try:
            mrz = parse_mrz(tuple(trial), strict=False, today=today)
        except MRZError:
            continue
        if mrz.valid:
            changes = tuple(
                Repair(line + 1, column + 1, lines[line][column], char, "check digit")
                for _, line, column, char in combo
            )
            fits.append((sum(o[0] for o in combo), mrz, changes))
    if not fits:
        return None
    fits.sort(key=lambda fit: fit[0])
    if len(fits) > 1 and fits[1][0] - fits[0][0] < MARGIN:
        return None  # two readings the image supports alike: not a repair but a guess
    _, mrz, changes = fits[0]
    return mrz, changes
