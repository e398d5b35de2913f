"""`mrtd verify`: Passive Authentication of files already read (a dump, a back-end upload).

Files are recognised by content, never by name: an LDS file by its outer tag (EF.COM 60,
DG1 61, ..., EF.SOD 77), EF.CardSecurity by its CMS content type, EF.CardAccess as a bare
SecurityInfos SET. Trust material (`--csca`) is recognised by content too (the trust store's
job). Exit 0 only when Passive Authentication passed: this command exists to verify, so
"not checked" (no CSCA given) is not a success.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mrtd import tlv
from mrtd.cli.exit_status import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from mrtd.cli.report import document_json, print_checks, verification_json
from mrtd.errors import DecodeError, TrustStoreError
from mrtd.lds.files import LDS_FILES, LDS_TAGS
from mrtd.lds.security.infos import SecurityInfos
from mrtd.pipeline.document import Document
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.trust import TrustStore

MAX_FILE = 16 << 20  # EF.DG2 and DG3 stay far below this; anything larger is not an LDS file


class InputError(Exception):
    """A PATH that is not usable: exit 2 with this message."""


def add_verify_parser(commands: Any) -> None:
    verify = commands.add_parser(
        "verify",
        help="Passive Authentication of files read before (EF.SOD, DG1..DG16, EF.COM)",
        description="Check every data group against EF.SOD, EF.SOD's signature and the "
        "Document Signer's chain to a trusted CSCA. Exit 0 only when all of that passed.",
    )
    verify.add_argument(
        "paths", nargs="+", metavar="PATH", help="files or folders, recognised by content"
    )
    add_csca_argument(verify)
    verify.add_argument("--json", action="store_true", help="print one JSON document")
    verify.set_defaults(run=run_verify)


def add_csca_argument(parser: argparse.ArgumentParser) -> None:
    """`--csca PATH`, repeatable: for `mrtd verify` and `mrtd read`."""
    parser.add_argument(
        "--csca",
        action="append",
        default=[],
        metavar="PATH",
        help="trust material: a CSCA certificate (DER/PEM), a folder, a master list (.ml), "
        "an ICAO PKD LDIF file or a CRL; repeat for more",
    )


def run_verify(args: argparse.Namespace) -> int:
    try:
        found = collect_files(Path(p) for p in args.paths)
        trust = TrustStore.from_paths(args.csca) if args.csca else None
    except (InputError, TrustStoreError) as exc:
        print(f"mrtd verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    files = {name: data for name, (_, data) in found.items()}
    document = Document.from_files(files, trust=trust)
    if args.json:
        print(json.dumps(verify_json(document, found, trust), indent=2))
    else:
        print_verify(document, found, trust)
    passed = document.verdict.passive.status is CheckStatus.PASSED
    return EXIT_OK if passed and not document.verdict.failed else EXIT_CHECK_FAILED


def collect_files(paths: Iterable[Path]) -> dict[str, tuple[Path, bytes]]:
    """LDS name -> (path, bytes). A file named on the command line must be an eMRTD file; in a
    folder, other files are skipped. Two files claiming the same name are an error."""
    found: dict[str, tuple[Path, bytes]] = {}
    for path in paths:
        if path.is_dir():
            entries = sorted(p for p in path.iterdir() if p.is_file())
            candidates = [(p, file_name(_read(p))) for p in entries]
            named = [(p, n) for p, n in candidates if n is not None]
        elif path.is_file():
            name = file_name(_read(path))
            if name is None:
                raise InputError(f"{path}: not an eMRTD file (no LDS tag, not SecurityInfos)")
            named = [(path, name)]
        else:
            raise InputError(f"{path}: no such file or folder")
        for file, name in named:
            if name in found:
                raise InputError(f"{file} and {found[name][0]} are both {name}")
            found[name] = (file, _read(file))
    if not found:
        raise InputError("no eMRTD files found")
    order = list(LDS_FILES)
    return dict(sorted(found.items(), key=lambda item: order.index(item[0])))


def file_name(data: bytes) -> str | None:
    """The eMRTD file `data` is, by content; None if it is none of them.

    An LDS file needs its tag and a length that fills the file (padding after it allowed:
    some readers dump whole blocks), or an indefinite length (BER, seen in EF.SOD): a tag
    byte alone is one chance in four of any file's first byte being 6x or 7x."""
    try:
        parsed = tlv.header(data[:8])
        if parsed is not None:
            tag, size, length = parsed
            padding = data[size + length :]
            if size + length <= len(data) and not padding.strip(b"\x00\xff"):
                return LDS_TAGS.get(tag)
            return None
    except DecodeError:  # LDS tags are one byte; 80 is the indefinite length
        if data[1:2] == b"\x80":
            return LDS_TAGS.get(data[0])
    for name, parse in (("EF.CardSecurity", SecurityInfos.from_card_security),
                        ("EF.CardAccess", SecurityInfos.from_bytes)):  # fmt: skip
        try:
            parse(data)
        except DecodeError:
            continue
        return name
    return None


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE + 1)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None
    if len(data) > MAX_FILE:
        raise InputError(f"{path}: larger than {MAX_FILE >> 20} MiB, not an eMRTD file")
    return data


def verify_json(
    document: Document, found: dict[str, tuple[Path, bytes]], trust: TrustStore | None
) -> dict[str, Any]:
    return {
        "document": document_json(document, document.stats, None)["document"],
        "files": {
            name: {
                "path": str(path),
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            for name, (path, data) in found.items()
        },
        "trust": trust_json(trust) if trust is not None else None,
        "problems": list(document.problems),
        "verification": verification_json(document),
        "verdict": document.verdict.summary,
        "verdict_reasons": list(document.verdict.reasons),
    }


def trust_json(trust: TrustStore) -> dict[str, Any]:
    return {
        "certificates": len(trust),
        "crls": len(trust.crls),
        "sources": [
            {"source": s.source, "kind": s.kind, "added": s.count, "detail": s.detail}
            for s in trust.sources
        ],
        "skipped": [{"source": p.source, "reason": p.reason} for p in trust.problems],
    }


def print_verify(
    document: Document, found: dict[str, tuple[Path, bytes]], trust: TrustStore | None
) -> None:
    out = sys.stdout
    for name, (path, data) in found.items():
        print(f"{name:<16} {path} ({len(data)} B)", file=out)
    if trust is None:
        print("trust            none given (--csca): the chain cannot be checked", file=out)
    else:
        print(f"trust            {len(trust)} certificate(s), {len(trust.crls)} CRL(s)", file=out)
        for source in trust.sources:
            detail = f"; {source.detail}" if source.detail else ""
            print(f"  {source.kind:<14} {source.source}: {source.count} added{detail}", file=out)
        for skipped in trust.problems:
            print(f"  skipped        {skipped.source}: {skipped.reason}", file=out)
    for problem in document.problems:
        print(f"problem          {problem}", file=out)
    print_checks(document, out)
