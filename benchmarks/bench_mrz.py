"""MRZ parse+validate time per MRZ: mrtd against the `mrz` package from PyPI (0.6.2).

Run through benchmarks/run.sh (`make bench`), which provides the `mrz` package in its own
venv. The script builds a seeded corpus of generated MRZs per format plus the ICAO specimens,
checks that both libraries call every MRZ valid (disagreements are reported and left out of
the timing), then times both on the same MRZs, interleaved, and prints µs per MRZ and the
ratio theirs/ours. What is measured is described in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import platform
import random
import statistics
import string
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path

from mrtd.errors import MRZError
from mrtd.mrz import MRZFormat, generate_mrz, parse_mrz
from mrtd.mrz.codes import ICAO_EXTRA, ISO_3166_ALPHA3

MRZ_PACKAGE_VERSION = "0.6.2"

# One call: parse the text and decide whether the MRZ is valid.
Validator = Callable[[str], bool]

# ICAO 9303 specimens ("Utopia"): Part 5 (TD1), Part 6 (TD2), Part 4 (TD3), Part 7 (MRV-A/B),
# read from the project's test vectors rather than written out a second time.
VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "vectors" / "icao9303.json"


def load_specimens() -> dict[MRZFormat, tuple[str, ...]]:
    vectors = {v["id"]: v["values"] for v in json.loads(VECTORS.read_text())["vectors"]}
    return {fmt: tuple(vectors[f"mrz.specimen.{fmt.value}"]["lines"]) for fmt in MRZFormat}


# Positions of the (first) optional data field, and of TD1's second one.
OPTIONAL_WIDTH: dict[MRZFormat, int] = {
    MRZFormat.TD1: 15,
    MRZFormat.TD2: 7,
    MRZFormat.TD3: 14,
    MRZFormat.MRVA: 16,
    MRZFormat.MRVB: 8,
}
TD1_OPTIONAL_2_WIDTH = 11

DOCUMENT_CODES: dict[MRZFormat, tuple[str, ...]] = {
    MRZFormat.TD1: ("I", "ID", "IR", "A", "C"),
    MRZFormat.TD2: ("I", "ID", "IR", "A", "C"),
    MRZFormat.TD3: ("P", "PN", "PD", "PO", "PS"),
    MRZFormat.MRVA: ("V", "VS", "VT"),
    MRZFormat.MRVB: ("V", "VS", "VT"),
}

# Most documents come from a handful of states; the rest from every code an MRZ may carry
# (ISO 3166-1 alpha-3 with Germany as "D", ICAO's additions, the specimen state UTO).
COMMON_CODES = ("UTO", "D", "GBR", "FRA", "NLD", "USA", "ESP", "ITA", "POL", "SWE", "CAN", "JPN")
ALL_CODES = tuple(sorted((ISO_3166_ALPHA3 - {"DEU"}) | set(ICAO_EXTRA) | {"UTO"}))

SURNAMES = (
    "ERIKSSON", "VAN DER BERG", "MÜLLER", "O'BRIEN", "GARCÍA LÓPEZ", "NGUYEN", "SMITH-JONES",
    "ØSTERGÅRD", "DE LA CRUZ", "ŻÓŁKIEWSKI", "KOWALSKA", "LI", "ABDULLAH", "PAPADOPOULOS",
    "JÓNSDÓTTIR", "SCHMIDT", "DUBOIS", "ROSSI", "WANG", "FITZGERALD-MONTGOMERY",
    "VON HOHENZOLLERN SIGMARINGEN", "ÅBERG", "NÚÑEZ", "KIM", "OKONKWO",
)  # fmt: skip
GIVEN_NAMES = (
    "ANNA MARIA", "JOHN", "JEAN-PIERRE", "MARÍA JOSÉ", "HANS PETER", "ZOË", "SØREN", "",
    "ALEXANDRA KATHARINA ELISABETH", "LUCA", "MEI", "OLUWASEUN", "FRANÇOIS", "ÉMILIE", "JAN",
    "KRZYSZTOF", "INGRID", "MUHAMMAD ALI", "SIOBHÁN", "HIROSHI",
)  # fmt: skip

ALNUM = string.ascii_uppercase + string.digits


@dataclass
class Disagreement:
    format: str
    mrz: str
    ours_valid: bool
    theirs_valid: bool
    ours_errors: list[str]
    theirs_errors: list[str]


@dataclass
class FormatResult:
    format: str
    count: int
    ours_ns: list[float] = field(default_factory=list)  # per MRZ, one entry per repeat
    theirs_ns: list[float] = field(default_factory=list)


def build_corpus(per_format: int, seed: int) -> dict[MRZFormat, list[str]]:
    """`per_format` generated MRZs for every format, plus that format's ICAO specimen."""
    rng = random.Random(seed)
    corpus: dict[MRZFormat, list[str]] = {}
    specimens = load_specimens()
    for fmt in MRZFormat:
        texts = ["\n".join(specimens[fmt])]
        texts.extend(_random_mrz(rng, fmt) for _ in range(per_format))
        corpus[fmt] = texts
    return corpus


def _random_mrz(rng: random.Random, fmt: MRZFormat) -> str:
    oldest, youngest, last_expiry = date(1930, 1, 1), date(2025, 12, 31), date(2040, 12, 31)
    birth = oldest + timedelta(days=rng.randrange((youngest - oldest).days))
    first_expiry = max(birth + timedelta(days=1), date(2016, 1, 1))
    expiry = first_expiry + timedelta(days=rng.randrange((last_expiry - first_expiry).days))

    long_number = fmt in (MRZFormat.TD1, MRZFormat.TD2) and rng.random() < 0.05
    if long_number:  # 9303-5 §4.2.4: the rest overflows into the optional data
        length = rng.randint(10, 12)
    elif rng.random() < 0.8:
        length = 9
    else:
        length = rng.randint(6, 8)
    number = "".join(rng.choice(ALNUM) for _ in range(length))

    room = OPTIONAL_WIDTH[fmt] - (length - 9 + 2 if long_number else 0)
    optional = ""
    if room > 0 and rng.random() < 0.5:
        optional = "".join(rng.choice(ALNUM) for _ in range(rng.randint(1, room)))
    optional_2 = ""
    if fmt is MRZFormat.TD1 and rng.random() < 0.3:
        optional_2 = "".join(rng.choice(ALNUM) for _ in range(rng.randint(1, TD1_OPTIONAL_2_WIDTH)))

    def state() -> str:
        return rng.choice(COMMON_CODES) if rng.random() < 0.7 else rng.choice(ALL_CODES)

    code, issuer = rng.choice(DOCUMENT_CODES[fmt]), state()
    while fmt is MRZFormat.TD2 and code + issuer == "IDFRA":  # the non-ICAO French ID card
        issuer = state()
    return generate_mrz(
        fmt,
        document_code=code,
        issuing_state=issuer,
        surname=rng.choice(SURNAMES),
        given_names=rng.choice(GIVEN_NAMES),
        document_number=number,
        nationality=state(),
        birth_date=birth,
        sex=rng.choices(("F", "M", "<", "X"), weights=(47, 47, 3, 3))[0],
        expiry_date=expiry,
        optional_data=optional,
        optional_data_2=optional_2,
    )


def ours() -> Validator:
    def validate(text: str) -> bool:
        return parse_mrz(text, strict=False).valid

    return validate


def theirs() -> dict[MRZFormat, Callable[[str], object]]:
    """The `mrz` package's checker classes, imported only here: the project's .venv lacks it."""
    try:
        from mrz.checker.mrva import MRVACodeChecker  # noqa: PLC0415
        from mrz.checker.mrvb import MRVBCodeChecker  # noqa: PLC0415
        from mrz.checker.td1 import TD1CodeChecker  # noqa: PLC0415
        from mrz.checker.td2 import TD2CodeChecker  # noqa: PLC0415
        from mrz.checker.td3 import TD3CodeChecker  # noqa: PLC0415
    except ImportError as exc:
        raise SystemExit(
            f"bench_mrz: the `mrz` package ({MRZ_PACKAGE_VERSION}) is not importable ({exc}).\n"
            "Run benchmarks/run.sh (or `make bench`): it installs mrz into .venv-bench, never "
            "into the project's .venv."
        ) from exc
    # Each checker parses the text in its constructor and verifies every check digit, the
    # field formats, the country codes and the dates; bool(checker) is the verdict. The
    # defaults (check_expiry=False, compute_warnings=False) match strict=False: warnings
    # such as an expired document do not make an MRZ invalid.
    return {
        MRZFormat.TD1: TD1CodeChecker,
        MRZFormat.TD2: TD2CodeChecker,
        MRZFormat.TD3: TD3CodeChecker,
        MRZFormat.MRVA: MRVACodeChecker,
        MRZFormat.MRVB: MRVBCodeChecker,
    }


def theirs_validator(checker: Callable[[str], object]) -> Validator:
    def validate(text: str) -> bool:
        return bool(checker(text))

    return validate


def _ours_verdict(text: str) -> tuple[bool, list[str]]:
    try:
        mrz = parse_mrz(text, strict=False)
    except MRZError as exc:  # strict=False still refuses text that is no MRZ at all
        return False, [f"{type(exc).__name__}: {exc}"]
    return mrz.valid, list(mrz.errors)


def compare(
    corpus: dict[MRZFormat, list[str]], checkers: dict[MRZFormat, Callable[[str], object]]
) -> tuple[dict[MRZFormat, list[str]], list[Disagreement]]:
    """The MRZs both libraries call valid, per format, and every MRZ where they differ."""
    agreed: dict[MRZFormat, list[str]] = {}
    disagreements: list[Disagreement] = []
    for fmt, texts in corpus.items():
        agreed[fmt] = []
        for text in texts:
            our_valid, our_errors = _ours_verdict(text)
            their_errors: list[str] = []
            try:
                result = checkers[fmt](text)
                their_valid = bool(result)
                their_errors = [str(e) for e in result.report.errors]  # type: ignore[attr-defined]
            except Exception as exc:  # any refusal (LengthError, FieldError...) means invalid
                their_valid = False
                their_errors = [f"{type(exc).__name__}: {exc}"]
            if our_valid and their_valid:
                agreed[fmt].append(text)
            else:  # they differ, or (a generator bug) both call it invalid
                disagreements.append(
                    Disagreement(
                        format=fmt.value,
                        mrz=text,
                        ours_valid=our_valid,
                        theirs_valid=their_valid,
                        ours_errors=our_errors,
                        theirs_errors=their_errors,
                    )
                )
    return agreed, disagreements


# Where the birth date check digit sits: (line, column).
BIRTH_CHECK_AT: dict[MRZFormat, tuple[int, int]] = {
    MRZFormat.TD1: (1, 6),
    MRZFormat.TD2: (1, 19),
    MRZFormat.TD3: (1, 19),
    MRZFormat.MRVA: (1, 19),
    MRZFormat.MRVB: (1, 19),
}


def negative_control(
    agreed: dict[MRZFormat, list[str]], checkers: dict[MRZFormat, Callable[[str], object]]
) -> tuple[int, int, int]:
    """Corrupt the birth date check digit of every agreed MRZ: (MRZs, rejected by mrtd, by
    mrz). Both should reject all, which shows that each validator really checks the digits."""
    count = ours_rejected = theirs_rejected = 0
    for fmt, texts in agreed.items():
        line, column = BIRTH_CHECK_AT[fmt]
        for text in texts:
            lines = text.split("\n")
            wrong = str((int(lines[line][column]) + 1) % 10)
            lines[line] = lines[line][:column] + wrong + lines[line][column + 1 :]
            bad = "\n".join(lines)
            count += 1
            ours_rejected += not _ours_verdict(bad)[0]
            try:
                theirs_rejected += not checkers[fmt](bad)
            except Exception:  # a refusal is a rejection
                theirs_rejected += 1
    return count, ours_rejected, theirs_rejected


def time_pass(validate: Validator, texts: Sequence[str], loops: int) -> float:
    """Nanoseconds per MRZ over `loops` passes through `texts`, with the GC off (as timeit)."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(loops):
            for text in texts:
                validate(text)
        elapsed = time.perf_counter_ns() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / (loops * len(texts))


def run(
    agreed: dict[MRZFormat, list[str]],
    checkers: dict[MRZFormat, Callable[[str], object]],
    repeats: int,
    loops: int,
) -> list[FormatResult]:
    """Time both libraries on every format's agreed MRZs, `repeats` times, interleaved."""
    mine = ours()
    validators = {fmt: theirs_validator(checkers[fmt]) for fmt in agreed}
    results = {fmt: FormatResult(fmt.value, len(texts)) for fmt, texts in agreed.items()}
    for fmt, texts in agreed.items():  # warm-up: caches, lazy imports, specialisation
        time_pass(mine, texts, 1)
        time_pass(validators[fmt], texts, 1)
    for repeat in range(repeats):
        for fmt, texts in agreed.items():
            if not texts:
                continue
            # Alternate who goes first so that neither always runs on a warmer machine.
            if repeat % 2 == 0:
                a = time_pass(mine, texts, loops)
                b = time_pass(validators[fmt], texts, loops)
            else:
                b = time_pass(validators[fmt], texts, loops)
                a = time_pass(mine, texts, loops)
            results[fmt].ours_ns.append(a)
            results[fmt].theirs_ns.append(b)
    return [r for r in results.values() if r.count]


@dataclass
class Row:
    """One line of the table, in µs per MRZ."""

    format: str
    mrzs: int
    ours_us_median: float
    ours_us_best: float
    theirs_us_median: float
    theirs_us_best: float

    @property
    def ratio_median(self) -> float:
        return self.theirs_us_median / self.ours_us_median

    @property
    def ratio_best(self) -> float:
        return self.theirs_us_best / self.ours_us_best

    def to_json(self) -> dict[str, object]:
        figures = {k: round(v, 2) for k, v in vars(self).items() if isinstance(v, float)}
        return {
            "format": self.format,
            "mrzs": self.mrzs,
            **figures,
            "ratio_median": round(self.ratio_median, 2),
            "ratio_best": round(self.ratio_best, 2),
        }


def rows_of(results: list[FormatResult]) -> list[Row]:
    """A row per format, then "overall": the MRZ-weighted mean of the per-format figures."""
    rows = [
        Row(
            r.format,
            r.count,
            statistics.median(r.ours_ns) / 1000,
            min(r.ours_ns) / 1000,
            statistics.median(r.theirs_ns) / 1000,
            min(r.theirs_ns) / 1000,
        )
        for r in results
    ]
    total = sum(row.mrzs for row in rows)
    if total:

        def mean(name: str) -> float:
            return sum(float(getattr(row, name)) * row.mrzs for row in rows) / total

        rows.append(
            Row(
                "overall",
                total,
                mean("ours_us_median"),
                mean("ours_us_best"),
                mean("theirs_us_median"),
                mean("theirs_us_best"),
            )
        )
    return rows


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version_of(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def print_table(rows: list[Row], repeats: int, loops: int) -> None:
    print(
        f"\nµs per MRZ (parse + validate), median [best] of {repeats} repeats "
        f"x {loops} passes through the corpus; overall = mean weighted by MRZs\n"
    )
    theirs_name = "mrz " + MRZ_PACKAGE_VERSION
    header = f"{'format':<8}{'MRZs':>6}  {'mrtd':>15}  {theirs_name:>15}  {'mrz/mrtd':>15}"
    print(header)
    print("-" * len(header))
    for row in rows:
        ours_cell = f"{row.ours_us_median:.2f} [{row.ours_us_best:.2f}]"
        theirs_cell = f"{row.theirs_us_median:.2f} [{row.theirs_us_best:.2f}]"
        ratio_cell = f"{row.ratio_median:.2f}x [{row.ratio_best:.2f}x]"
        print(f"{row.format:<8}{row.mrzs:>6}  {ours_cell:>15}  {theirs_cell:>15}  {ratio_cell:>15}")


def print_disagreements(disagreements: list[Disagreement], *, show_all: bool) -> None:
    if not disagreements:
        print("\nBoth libraries call every corpus MRZ valid.")
        return
    by_reason: dict[str, list[Disagreement]] = {}
    for d in disagreements:
        reason = (
            f"mrtd {'valid' if d.ours_valid else 'INVALID'}"
            + (f" ({'; '.join(d.ours_errors)})" if d.ours_errors else "")
            + f", mrz {'valid' if d.theirs_valid else 'INVALID'}"
            + (f" ({'; '.join(d.theirs_errors)})" if d.theirs_errors else "")
        )
        by_reason.setdefault(reason, []).append(d)
    print(
        f"\n{len(disagreements)} MRZs where the libraries disagree (left out of the timing)"
        + ("" if show_all else "; one example per reason, --show-disagreements for all")
        + ":"
    )
    for reason, group in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        formats = ", ".join(sorted({d.format for d in group}))
        print(f"\n  {len(group):>3} x {reason}  [{formats}]")
        for d in group if show_all else group[:1]:
            print(f"      {d.format}:")
            for line in d.mrz.splitlines():
                print(f"        {line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--per-format", type=int, default=200, help="generated MRZs per format")
    parser.add_argument("--seed", type=int, default=9303, help="corpus seed")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (median is reported)")
    parser.add_argument("--loops", type=int, default=10, help="corpus passes per repeat")
    parser.add_argument(
        "--show-disagreements",
        action="store_true",
        help="print every MRZ the libraries disagree on",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.per_format < 0 or args.repeats < 1 or args.loops < 1:
        parser.error("--per-format must be >= 0, --repeats and --loops >= 1")

    checkers = theirs()
    corpus = build_corpus(args.per_format, args.seed)
    # Nothing in the checked code paths prints, but a library that did would both pollute
    # the table and pay for terminal output in the timing: swallow and report any output.
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        agreed, disagreements = compare(corpus, checkers)
        control = negative_control(agreed, checkers)
        format_results = run(agreed, checkers, args.repeats, args.loops)
    if sink.getvalue():
        print(f"note: the libraries printed {len(sink.getvalue())} characters (discarded)")

    machine = {
        "cpu": cpu_model(),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }
    versions = {"mrtd": version_of("mrtd"), "mrz": version_of("mrz")}
    print(
        f"mrtd {versions['mrtd']} vs mrz {versions['mrz']} on {machine['cpu']} "
        f"({machine['nproc']} CPUs), {machine['implementation']} {machine['python']}"
    )
    total = sum(len(texts) for texts in corpus.values())
    print(
        f"corpus: {args.per_format} generated MRZs per format (seed {args.seed}) + 1 ICAO "
        f"specimen each = {total}; both valid: {sum(len(t) for t in agreed.values())}"
    )

    print(
        f"negative control: {control[0]} of those with a wrong birth date check digit; "
        f"rejected by mrtd: {control[1]}, by mrz: {control[2]}"
    )

    rows = rows_of(format_results)
    print_table(rows, args.repeats, args.loops)
    print_disagreements(disagreements, show_all=args.show_disagreements)

    if args.json:
        report = {
            "benchmark": "mrz parse+validate, µs per MRZ",
            "machine": machine,
            "versions": versions,
            "settings": {
                "per_format": args.per_format,
                "seed": args.seed,
                "repeats": args.repeats,
                "loops": args.loops,
            },
            "results": [row.to_json() for row in rows],
            "negative_control": {
                "mrzs": control[0],
                "rejected_by_mrtd": control[1],
                "rejected_by_mrz": control[2],
            },
            "disagreements": [vars(d) for d in disagreements],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
