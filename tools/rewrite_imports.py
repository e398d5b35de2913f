"""Rewrite references to moved mrtd modules (issue 16, "one home per concept"), and the record
of those moves.

Each stage below is one move: old dotted module name -> new one, and the names that leave a
module for another (`splits`). The tool rewrites, in the files given (default: the whole
repository except CHANGELOG.md):

- dotted names anywhere in the text (imports, `import X as y`, strings such as logger names,
  qualnames and mock targets, comments, Markdown): one combined regex, longest name first, so a
  name is rewritten once and `mrtd.readers` is never taken for `mrtd.read`;
- paths (`src/mrtd/session.py`, `mrtd/pace/`) to the new paths;
- `from M import a, b` statements whose names now live in different modules (`splits`), split
  by name with the `ast` module (aliases and a trailing `# noqa` kept); `ruff check --select I
  --fix` merges and sorts the result afterwards.

Usage: python tools/rewrite_imports.py --stage STAGE [--apply] [PATH ...]
Without --apply it prints what it would change (counts per old name). Each stage ran once, right
after its `git mv` commit, in the order below, followed by ruff and by hand edits (package-data,
resource names, path keys in tests); an old name that became a package, like `mrtd.cli`, is not
taken again inside its new names. Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = ("src", "tests", "benchmarks", "fuzz", "tools", "scripts", "docs", "README.md",
                 "pyproject.toml", "Makefile")  # fmt: skip
SUFFIXES = {".py", ".pyi", ".md", ".toml", ".sh", ".cfg", ".txt", ""}
SKIP = {"CHANGELOG.md", "rewrite_imports.py", "design.md"}


@dataclass(frozen=True)
class Stage:
    name: str
    modules: dict[str, str] = field(default_factory=dict)  # old dotted name -> new
    # old module -> {name: (new module, new name)}: names that move to another module
    splits: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)


def _names(module: str, names: str) -> dict[str, tuple[str, str]]:
    return {name: (module, name) for name in names.split()}


_DER = "INTEGER BIT_STRING OCTET_STRING NULL OID SEQUENCE SET MAX_OID_BYTES decode_oid encode_oid \
decode_integer encode_integer read_sequence read_primitive read_oid read_integer der"
_SPKI_OIDS = "EC_PUBLIC_KEY_OID PRIME_FIELD_OID DH_PUBLIC_NUMBER_OID STANDARDIZED_DOMAIN_OID"
_OCR = "classifier decode image line locate segment tesseract"

STAGES: tuple[Stage, ...] = (
    Stage(
        "der",
        splits={
            "mrtd.lds.security_oids": {
                **_names("mrtd.der", _DER),
                **_names("mrtd.lds.security_domains", _SPKI_OIDS),
            }
        },
    ),
    Stage(
        "verdict",
        splits={"mrtd.document": _names("mrtd.verify.verdict", "Verdict")},
    ),
    Stage("crypto", {"mrtd.lds.security_domains": "mrtd.crypto.spki"}),
    Stage(
        "lds-security",
        {
            "mrtd.lds.security_oids": "mrtd.lds.security.oids",
            "mrtd.lds.security_info_types": "mrtd.lds.security.kinds",
            "mrtd.lds.security_infos": "mrtd.lds.security.infos",
        },
    ),
    Stage(
        "mrz-ocr",
        {
            "mrtd.mrz.ocr": "mrtd.mrz.ocr.pipeline",
            **{f"mrtd.mrz.ocr_{m}": f"mrtd.mrz.ocr.{m}" for m in _OCR.split()},
            "mrtd.mrz.synthetic_page": "mrtd.mrz.ocr.synthetic_page",
        },
        {
            "mrtd.mrz": {
                "ocr": ("mrtd.mrz.ocr", "pipeline"),
                "synthetic_page": ("mrtd.mrz.ocr", "synthetic_page"),
                **{f"ocr_{m}": ("mrtd.mrz.ocr", m) for m in _OCR.split()},
            }
        },
    ),
    Stage(
        "access",
        {
            "mrtd.access_key": "mrtd.access.keys",
            "mrtd.bac": "mrtd.access.bac",
            "mrtd.pace": "mrtd.access.pace",
        },
    ),
    Stage(
        "verify",
        {"mrtd.checks": "mrtd.verify.outcome"},
    ),
    Stage(
        "pipeline",
        {
            "mrtd.session": "mrtd.pipeline.session",
            "mrtd.reading": "mrtd.pipeline.read_binary",
            "mrtd.clone_checks": "mrtd.pipeline.clone_checks",
            "mrtd.document": "mrtd.pipeline.document",
            "mrtd.read": "mrtd.pipeline.read_chip",
        },
    ),
    Stage(
        "cli",
        {
            "mrtd.cli": "mrtd.cli.app",
            "mrtd.chip_command": "mrtd.cli.chip_command",
            "mrtd.verify_command": "mrtd.cli.verify_command",
            "mrtd.ocr_command": "mrtd.cli.ocr_command",
            "mrtd.demo": "mrtd.cli.demo",
            "mrtd.doctor": "mrtd.cli.doctor",
            "mrtd.report": "mrtd.cli.report",
            "mrtd.progress": "mrtd.cli.progress",
            "mrtd.exit_status": "mrtd.cli.exit_status",
            "mrtd.mrz.summary": "mrtd.cli.mrz_summary",
        },
        {
            "mrtd": {
                name: ("mrtd.cli", name)
                for name in ("demo", "doctor", "report", "progress", "exit_status", "chip_command")
            },
            "mrtd.mrz": _names("mrtd.cli", "summary"),
        },
    ),
    Stage(
        "result",
        splits={"mrtd.pipeline.session": _names("mrtd.pipeline.result", "ReadResult Stats")},
    ),
)
# Names kept as they are although a stage moves the module: `mrtd.cli` stays importable (the
# console script "mrtd.cli:main", `python -m mrtd.cli`), so only its module-level uses move.
KEEP = {"mrtd.cli:main", "-m mrtd.cli", "from mrtd.cli import main", "mrtd.cli import main"}


def _path_of(dotted: str, *, package: bool) -> str:
    return "mrtd/" + dotted.removeprefix("mrtd.").replace(".", "/") + ("/" if package else ".py")


class Rewriter:
    def __init__(self, stages: tuple[Stage, ...]) -> None:
        modules: dict[str, str] = {}
        self.splits: dict[str, dict[str, tuple[str, str]]] = {}
        for stage in stages:
            modules.update(stage.modules)
            for module, names in stage.splits.items():
                self.splits.setdefault(module, {}).update(names)
        self.modules = modules
        # a module's file and a package's folder: `mrtd/session.py`, `mrtd/pace/` (and below)
        self.paths: dict[str, str] = {}
        for old, new in modules.items():
            self.paths[_path_of(old, package=False)] = _path_of(new, package=False)
            if (ROOT / "src" / _path_of(new, package=True)).is_dir():  # moved as a package
                self.paths[_path_of(old, package=True)] = _path_of(new, package=True)
        names = sorted(modules, key=len, reverse=True)
        self.dotted = re.compile(
            r"(?<![\w.\x01])(" + "|".join(self._pattern(n) for n in names) + r")"
        ) if names else None  # fmt: skip
        paths = sorted(self.paths, key=len, reverse=True)
        self.path_re = re.compile(
            r"(?<![\w])(" + "|".join(re.escape(p) for p in paths) + r")(?![\w])"
        ) if paths else None  # fmt: skip
        self.counts: Counter[str] = Counter()

    def _pattern(self, old: str) -> str:
        """`old`, not followed by a word character, nor by the rest of a new name it begins
        (`mrtd.cli` -> `mrtd.cli.app`: `mrtd.cli.app` is not `mrtd.cli` again)."""
        inside = sorted({new[len(old) + 1 :].split(".")[0] for new in self.modules.values()
                         if new.startswith(old + ".")})  # fmt: skip
        guard = "".join(rf"(?!\.{re.escape(part)}(?!\w))" for part in inside)
        return rf"{re.escape(old)}(?![\w]){guard}"

    def rewrite(self, text: str, *, python: bool) -> str:
        if python and self.splits:
            text = self._split_imports(text)
        kept: dict[str, str] = {}
        for n, keep in enumerate(sorted(KEEP, key=len, reverse=True)):
            marker = f"\x00KEEP{n}\x00"
            if keep in text:
                kept[marker] = keep
                text = text.replace(keep, marker)
        if self.dotted is not None:
            text = self.dotted.sub(self._module, text)
        if self.path_re is not None:
            text = self.path_re.sub(self._path, text)
        for marker, keep in kept.items():
            text = text.replace(marker, keep)
        return re.sub("\x01([^\x01]*)\x01", r"\1", text)  # split imports: already new

    def _module(self, match: re.Match[str]) -> str:
        self.counts[match.group(1)] += 1
        return self.modules[match.group(1)]

    def _path(self, match: re.Match[str]) -> str:
        self.counts[match.group(1)] += 1
        return self.paths[match.group(1)]

    def _split_imports(self, text: str) -> str:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return text
        lines = text.splitlines(keepends=True)
        edits: list[tuple[int, int, str]] = []
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level or node.module not in self.splits:
                continue
            table = self.splits[node.module]
            if not any(a.name in table for a in node.names):
                continue
            groups: dict[str, list[str]] = {}
            for alias in node.names:
                module, name = table.get(alias.name, (node.module, alias.name))
                local = alias.asname or alias.name
                groups.setdefault(module, []).append(
                    name if local == name else f"{name} as {local}"
                )
                if alias.name in table:
                    self.counts[f"{node.module}:{alias.name}"] += 1
            start, end = node.lineno - 1, (node.end_lineno or node.lineno) - 1
            indent = lines[start][: node.col_offset]
            tail = lines[end][node.end_col_offset or 0 :].strip()
            comment = f"  {tail}" if tail.startswith("#") else ""
            new = "".join(
                f"{indent}from \x01{module}\x01 import {', '.join(names)}{comment}\n"
                for module, names in groups.items()
            )
            edits.append((start, end, new))
        for start, end, new in sorted(edits, reverse=True):
            lines[start : end + 1] = [new]
        return "".join(lines)


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in candidates:
            if not file.is_file() or file.name in SKIP or file.suffix not in SUFFIXES:
                continue
            if any(part in {".git", "__pycache__", ".venv"} or part.endswith(".egg-info")
                   for part in file.parts):  # fmt: skip
                continue
            if file.suffix == "" and file.name != "Makefile":
                continue
            found.append(file)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, choices=[s.name for s in STAGES])
    parser.add_argument("--apply", action="store_true", help="write the files")
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PATHS))
    args = parser.parse_args(argv)
    rewriter = Rewriter(tuple(s for s in STAGES if s.name == args.stage))
    changed = []
    for file in _files(args.paths):
        text = file.read_text(encoding="utf-8")
        new = rewriter.rewrite(text, python=file.suffix in {".py", ".pyi"})
        if new != text:
            changed.append(file)
            if args.apply:
                file.write_text(new, encoding="utf-8")
    for name, count in sorted(rewriter.counts.items()):
        print(f"{count:5}  {name}")
    verb = "rewrote" if args.apply else "would rewrite"
    print(f"{verb} {len(changed)} files")
    for file in changed:
        print(f"  {file.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
