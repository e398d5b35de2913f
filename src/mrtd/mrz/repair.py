"""OCR-confusion repair guided by field grammar and check digits.

Two kinds of evidence, used in this order:
1. Grammar: a letter where only digits may stand (dates, check digits) or a digit where only
   letters may stand (names, state codes) can only be a misread; each such character has one
   reading (O->0, 8->B, ...).
2. Check digits: in fields that hold letters and digits (document number, personal number) a
   confusable character is swapped only when the field's check digit *and* the composite check
   digit then agree, and only when exactly one smallest set of swaps does so. Two answers mean
   "ambiguous", never a pick. Fields covered by one check digit alone (MRV visas, the TD1/TD2
   optional data) are not swapped: one digit cannot tell a misread field from a misread digit.
A valid MRZ is returned unchanged.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

from mrtd.errors import MRZError
from mrtd.mrz.checkdigit import check_digit
from mrtd.mrz.layout import LAYOUTS, Chars, CheckSpec, Layout, MRZFormat, layout_for, position_chars
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
        return _done(RepairStatus.REPAIRED, current, repairs)

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
    composite = next(spec for spec in layout.checks if spec.name == "composite")
    for name in failing:
        target = _check_target(layout, grid, name)
        if target is None:
            return _done(RepairStatus.FAILED, current, repairs, f"{name}: no confusable characters")
        # With one failing field the composite must agree too; with several it can only be
        # judged once all are repaired (below).
        confirm = composite if len(failing) == 1 else None
        solutions = _solutions(grid, *target, confirm)
        if not solutions:
            return _done(RepairStatus.FAILED, current, repairs, f"{name}: no swap satisfies it")
        if len(solutions) > 1:
            return _done(
                RepairStatus.AMBIGUOUS,
                current,
                repairs,
                f"{name}: {len(solutions)} different repairs satisfy the check digits",
            )
        for (line, column), now in solutions[0]:
            repairs.append(Repair(line + 1, column + 1, grid[line][column], now, "check digit"))
            grid[line][column] = now

    final = analyse(layout, _lines(grid), today)
    if final.valid:
        return _done(RepairStatus.REPAIRED, final, repairs)
    return _done(RepairStatus.FAILED, current, repairs, "; ".join(final.errors))


def _done(status: RepairStatus, mrz: MRZ, repairs: list[Repair], reason: str = "") -> RepairResult:
    grammar = tuple(r for r in repairs if status is RepairStatus.REPAIRED or r.reason == "grammar")
    return RepairResult(status, replace(mrz, repairs=grammar), reason)


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


def _solutions(
    grid: list[list[str]], cells: list[Cell], check_at: Cell, confirm: CheckSpec | None
) -> list[tuple[tuple[Cell, str], ...]]:
    """Every smallest set of swaps (up to MAX_SWAPS) that makes the check digit agree, and the
    `confirm` check digit too when one is given."""
    want = grid[check_at[0]][check_at[1]]
    base = [grid[line][column] for line, column in cells]
    options = [[(cell, alt) for alt in SWAPS.get(base[i], ())] for i, cell in enumerate(cells)]
    index = {cell: i for i, cell in enumerate(cells)}
    for size in range(1, MAX_SWAPS + 1):
        found = []
        for chosen in itertools.combinations([o for o in options if o], size):
            for swap in itertools.product(*chosen):
                trial = base.copy()
                for cell, alt in swap:
                    trial[index[cell]] = alt
                if check_digit("".join(trial)) == want and _confirmed(grid, swap, confirm):
                    found.append(swap)
        if found:
            return found
    return []


def _confirmed(
    grid: list[list[str]], swap: tuple[tuple[Cell, str], ...], spec: CheckSpec | None
) -> bool:
    if spec is None:
        return True
    trial = [row.copy() for row in grid]
    for (line, column), alt in swap:
        trial[line][column] = alt
    covered = "".join("".join(trial[line][start:end]) for line, start, end in spec.covers)
    return check_digit(covered) == trial[spec.at[0]][spec.at[1]]
