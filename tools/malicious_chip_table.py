"""Run the malicious-chip campaign (mrtd.sim.campaign) and print its table in Markdown.

    .venv/bin/python tools/malicious_chip_table.py                       # print the table
    .venv/bin/python tools/malicious_chip_table.py --write docs/security.md

With --write, the table replaces what stands between the lines `<!-- campaign:begin -->` and
`<!-- campaign:end -->` of the file. One row per case: the fault, where it hits, what the
reader made of it, the read's wall time and its peak Python memory (tracemalloc). A sweep
(card removal at every APDU) is one row: how many of its reads resumed, the slowest read and
the highest peak. A row whose outcome is not the one the case expects is marked UNEXPECTED
and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mrtd.sim.campaign import CASES, Case, check, run_case, run_sweep

BEGIN, END = "<!-- campaign:begin -->", "<!-- campaign:end -->"
HEADER = ("fault", "where", "outcome", "time (ms)", "peak memory (MB)")


def row(case: Case) -> tuple[list[str], bool]:
    """The table cells of one case, and whether it came out as expected."""
    if case.sweep:
        outcomes = [outcome for _, outcome in run_sweep(case)]
        failed = [o for o in outcomes if check(case, o)]
        good = len(outcomes) - len(failed)
        text = f"{good}/{len(outcomes)} reads resumed: {outcomes[0].summary()}"
        if failed:
            text += f"; first other: {failed[0].summary()}"
        seconds = max(o.seconds for o in outcomes)
        peak = max(o.peak_bytes for o in outcomes)
        ok = not failed
    else:
        outcome = run_case(case)
        text, seconds, peak = outcome.summary(), outcome.seconds, outcome.peak_bytes
        ok = not check(case, outcome)
    if case.xfail:
        text += f" (known: {case.xfail})"
    elif not ok:
        text = f"UNEXPECTED: {text}"
    cells = [case.fault, case.where, text, f"{seconds * 1000:.0f}", f"{peak / (1 << 20):.1f}"]
    return [cell.replace("|", "\\|") for cell in cells], ok or bool(case.xfail)


def table() -> tuple[str, bool]:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    all_ok = True
    for case in CASES:
        cells, ok = row(case)
        all_ok &= ok
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n", all_ok


def write_between_markers(path: Path, text: str) -> None:
    content = path.read_text(encoding="utf-8")
    start, end = content.find(BEGIN), content.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} markers")
    head = content[: start + len(BEGIN)]
    path.write_text(f"{head}\n{text}{content[end:]}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", type=Path, help="Markdown file to write the table into")
    args = parser.parse_args(argv)
    text, ok = table()
    if args.write is not None:
        write_between_markers(args.write, text)
    else:
        sys.stdout.write(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
