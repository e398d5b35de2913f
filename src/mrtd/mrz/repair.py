"""OCR-confusion repair guided by field grammar and check digits.

Two kinds of evidence, used in this order:
1. Grammar: a letter where only digits may stand (dates, check digits) or a digit where only
   letters may stand (names, state codes) can only be a misread; each such character has one
   reading (O->0, 8->B, ...).
2. Check digits: in fields that hold letters and digits (document number, personal number)
   every set of up to MAX_SWAPS look-alike swaps per failing field is tried, and so is the
   other explanation of a failed check, a misread or mistyped check digit. The candidates
   that make the whole MRZ valid (the composite judges them together) are counted
   (`RepairResult.candidates`); only a single candidate made of swaps is applied. Two or
   more are "ambiguous", never a pick: with several look-alikes in a field, a check digit
   passes a wrong swap one time in ten and the composite one in a hundred. Fields covered by
   one check digit alone (MRV visas, the TD1/TD2 optional data) are not swapped: one digit
   cannot tell a misread field from a misread digit.
A valid MRZ is returned unchanged. Text a person typed should be validated as typed; repair
is for OCR output, and the OCR decoder has better evidence (each character's alternatives).
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

from mrtd.errors import MRZError
from mrtd.mrz.checkdigit import check_digit
from mrtd.mrz.layout import LAYOUTS, Chars, Layout, MRZFormat, layout_for, position_chars
from mrtd.mrz.model import MRZ, Check, Repair
from mrtd.mrz.parser import analyse
from mrtd.mrz.text import MRZInput, check_characters, describe_shape, split_lines

LETTER_AS_DIGIT = {
    "O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "Z": "2",
    "A": "4", "S": "5", "G": "6", "T": "7", "B": "8",
}  # fmt: skip
DIGIT_AS_LETTER = {"0": "O", "1": "I", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B"}
SWAPS = {
    "0": ("O",), "O": ("0",), "D": ("0",), "Q": ("0",), "1": ("I",), "I": ("1",),
    "2": ("Z",), "Z": ("2",), "5": ("S",), "S": ("5",), "8": ("B",), "B": ("8",),
}  # fmt: skip
# G and 6 are 10 apart in check-digit value, so no check digit can see that misread: it is
# repaired by grammar only.
MAX_SWAPS = 2  # per field; more misreads than this in one field is not a repair but a guess

Cell = tuple[int, int]


class RepairStatus(enum.StrEnum):
    """What `repair_mrz` did: "unchanged", "repaired", or why it did not repair."""

    UNCHANGED = "unchanged"  # already valid
    REPAIRED = "repaired"  # valid after the listed changes
    AMBIGUOUS = "ambiguous"  # more than one repair would make it valid; none applied
    FAILED = "failed"  # no safe repair makes it valid


@dataclass(frozen=True, slots=True)
class RepairResult:
    status: RepairStatus
    mrz: MRZ  # repaired; else the best reading, grammar repairs applied (`mrz.valid` False)
    reason: str = ""
    candidates: int = 0  # check-digit repairs that make the MRZ valid (AMBIGUOUS: more than 1)

    @property
    def repairs(self) -> tuple[Repair, ...]:
        return self.mrz.repairs


def repair_mrz(value: MRZInput, *, today: date | None = None) -> RepairResult:
    """Repair OCR confusions in an MRZ; see the module docstring for what counts as evidence."""
    lines = split_lines(value)
    layout = layout_for(lines)
    if layout is None:
        raise MRZError("not an MRZ: " + describe_shape(lines))
    check_characters(lines)
    today = today or date.today()
    original = analyse(layout, lines, today)
    if original.valid:
        return RepairResult(RepairStatus.UNCHANGED, original)

    grid = [list(line) for line in lines]
    repairs = _grammar_pass(layout, grid)
    current = analyse(layout, _lines(grid), today)
    if current.valid:
        return _done(RepairStatus.REPAIRED, current, repairs, candidates=1)

    if "composite" not in current.checks:
        return _done(
            RepairStatus.FAILED,
            current,
            repairs,
            f"{layout.format.value} has no composite check digit to confirm a swap",
        )
    failing = [
        name
        for name, result in current.checks.items()
        if result is Check.FAILED and name != "composite"
    ]
    if not failing:
        return _done(RepairStatus.FAILED, current, repairs, "; ".join(current.errors))
    per_field: list[list[Swap]] = []
    for name in failing:
        target = _check_target(layout, grid, name)
        if target is None:
            return _done(RepairStatus.FAILED, current, repairs, f"{name}: no confusable characters")
        per_field.append(_solutions(grid, *target))
    fits = _joint(layout, grid, per_field, today)
    if not fits:
        return _done(RepairStatus.FAILED, current, repairs, "no swap satisfies the check digits")
    if len(fits) > 1:
        return _done(
            RepairStatus.AMBIGUOUS,
            current,
            repairs,
            f"{len(fits)} different repairs satisfy the check digits"
            + (" (one of them a different check digit)" if any(map(_recheck, fits)) else ""),
            candidates=len(fits),
        )
    (swap, final) = fits[0]
    if _recheck((swap, final)):
        return _done(
            RepairStatus.FAILED,
            current,
            repairs,
            "only a different check digit fits: the check digit itself may be wrong",
            candidates=1,
        )
    for (line, column), now in swap:
        repairs.append(Repair(line + 1, column + 1, grid[line][column], now, "check digit"))
    return _done(RepairStatus.REPAIRED, final, repairs, candidates=1)


Swap = tuple[tuple[Cell, str], ...]
_RECHECK = "recheck"  # marks the change of a check digit itself in a candidate


def _recheck(fit: tuple[Swap, MRZ]) -> bool:
    return any(len(now) > 1 for _, now in fit[0])


def _joint(
    layout: Layout, grid: list[list[str]], per_field: list[list[Swap]], today: date
) -> list[tuple[Swap, MRZ]]:
    """Every combination of one candidate per failing field that makes the whole MRZ valid
    (the composite judges the combination)."""
    fits = []
    for combination in itertools.product(*per_field):
        swap = tuple(change for part in combination for change in part)
        trial = [row.copy() for row in grid]
        for (line, column), now in swap:
            trial[line][column] = now[-1]
        mrz = analyse(layout, _lines(trial), today)
        if mrz.valid:
            fits.append((swap, mrz))
    return fits


def _done(
    status: RepairStatus,
    mrz: MRZ,
    repairs: list[Repair],
    reason: str = "",
    *,
    candidates: int = 0,
) -> RepairResult:
    grammar = tuple(r for r in repairs if status is RepairStatus.REPAIRED or r.reason == "grammar")
    return RepairResult(status, replace(mrz, repairs=grammar), reason, candidates)


def _lines(grid: list[list[str]]) -> tuple[str, ...]:
    return tuple("".join(row) for row in grid)


def _grammar_pass(layout: Layout, grid: list[list[str]]) -> list[Repair]:
    repairs = []
    for line, (row, kinds) in enumerate(zip(grid, _position_chars(layout.format), strict=True)):
        for column, (ch, kind) in enumerate(zip(row, kinds, strict=True)):
            if kind is Chars.DIGIT and ch.isalpha():
                now = LETTER_AS_DIGIT.get(ch)
            elif kind is Chars.ALPHA and ch.isdigit():
                now = DIGIT_AS_LETTER.get(ch)
            else:
                continue
            if now is not None:
                row[column] = now
                repairs.append(Repair(line + 1, column + 1, ch, now, "grammar"))
    return repairs


@cache
def _position_chars(fmt: MRZFormat) -> list[list[Chars]]:
    return position_chars(LAYOUTS[fmt])


def _check_target(
    layout: Layout, grid: list[list[str]], name: str
) -> tuple[list[Cell], Cell] | None:
    """The cells a failing field check covers, and where its check digit is."""
    if name == "document_number":
        line, start, end = layout.fields["document_number"].span
        cells = [(line, c) for c in range(start, end)]
        check_at = (line, end)
        if layout.long_document_number and grid[line][end] == "<":
            o_line, o_start, o_end = layout.fields["optional_data"].span
            overflow = "".join(grid[o_line][o_start:o_end]).split("<", 1)[0]
            if len(overflow) < 2:
                return None
            cells += [(o_line, o_start + i) for i in range(len(overflow) - 1)]
            check_at = (o_line, o_start + len(overflow) - 1)
    elif name == "optional_data" and layout.format is MRZFormat.TD3:
        cells = [(1, c) for c in range(28, 42)]
        check_at = (1, 42)
    else:
        return None  # dates hold digits only: nothing to swap
    if not grid[check_at[0]][check_at[1]].isdigit():
        return None
    return cells, check_at


def _solutions(grid: list[list[str]], cells: list[Cell], check_at: Cell) -> list[Swap]:
    """Every set of look-alike swaps (up to MAX_SWAPS) that makes the field's check digit
    agree, and the other explanation of a failed check: the check digit itself misread or
    mistyped (marked `_RECHECK`, counted as a candidate but never applied alone)."""
    want = grid[check_at[0]][check_at[1]]
    base = [grid[line][column] for line, column in cells]
    options = [[(cell, alt) for alt in SWAPS.get(base[i], ())] for i, cell in enumerate(cells)]
    index = {cell: i for i, cell in enumerate(cells)}
    found: list[Swap] = []
    for size in range(1, MAX_SWAPS + 1):
        for chosen in itertools.combinations([o for o in options if o], size):
            for swap in itertools.product(*chosen):
                trial = base.copy()
                for cell, alt in swap:
                    trial[index[cell]] = alt
                if check_digit("".join(trial)) == want:
                    found.append(swap)
    digit = check_digit("".join(base))
    if digit != want:
        found.append(((check_at, _RECHECK + digit),))
    return found
