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
from pathlib import Path
from typing import Any

from mrtd.cli.exit_status import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from mrtd.cli.report import document_json, print_checks, verification_json
from mrtd.errors import DecodeError, TrustStoreError
from mrtd.pipeline.document import Document, collect_files, verify_files
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.trust import TrustStore


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
        found = collect_files(args.paths)
        trust = TrustStore.from_paths(args.csca) if args.csca else None
    except (DecodeError, OSError, TrustStoreError) as exc:
        print(f"mrtd verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    document = verify_files({name: data for name, (_, data) in found.items()}, trust=trust)
    if args.json:
        print(json.dumps(verify_json(document, found, trust), indent=2))
    else:
        print_verify(document, found, trust)
    passed = document.verdict.passive.status is CheckStatus.PASSED
    return EXIT_OK if passed and not document.verdict.failed else EXIT_CHECK_FAILED


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
