"""`mrtd verify`: Passive Authentication of files already read (a dump, a back-end upload).

Files are recognised by content, never by name: an LDS file by its outer tag (EF.COM 60,
DG1 61, ..., EF.SOD 77), EF.CardSecurity by its CMS content type, EF.CardAccess as a bare
SecurityInfos SET. Trust material (`--csca`) is recognised by content too (the trust store's
job). The exit status is `mrtd read`'s (cli/exit_status.py): 0 only for a document genuine
under the policy in force (`--policy`, else the strict default), which files alone satisfy
only under a policy that accepts data-only proof: a dump cannot prove its chip is no copy.

An upload (JSON: mrtd's own, NFCPassportReader's, a JMRTD-based app's, ZeroPass Port's;
`--format` to force one) is taken in place of files, and `--challenge HEX` with
`--aa-signature HEX|@FILE` checks Active Authentication over the files (`verify_upload`).
An unusable upload is exit 2, naming the field.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from mrtd.cli.exit_status import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from mrtd.cli.report import (
    SCHEMA_VERSION,
    document_json,
    error_json,
    print_checks,
    verdict_json,
)
from mrtd.errors import DecodeError, PolicyError, TrustStoreError, UploadError
from mrtd.pipeline.document import Document, collect_files, verify_files
from mrtd.pipeline.upload import (
    FORMATS,
    MAX_SIGNATURE,
    MAX_UPLOAD_BYTES,
    Upload,
    parse_upload,
    verify_upload,
)
from mrtd.status.base import StatusProvider
from mrtd.status.config import load_status_provider
from mrtd.verify.policy import STRICT, Policy
from mrtd.verify.trust import TrustStore


def add_verify_parser(commands: Any) -> None:
    verify = commands.add_parser(
        "verify",
        help="Passive Authentication of files read before (EF.SOD, DG1..DG16, EF.COM)",
        description="Check every data group against EF.SOD, EF.SOD's signature and the "
        "Document Signer's chain to a trusted CSCA, and decide the verdict under the policy. "
        "Exit 0 only when the files are genuine under the policy in force.",
    )
    verify.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files or folders, recognised by content, or one upload (JSON)",
    )
    verify.add_argument(
        "--format",
        choices=("auto", *FORMATS),
        help="read PATH as an upload of this format (default: a JSON file is an upload, its "
        "format told from its keys)",
    )
    verify.add_argument(
        "--challenge",
        metavar="HEX",
        help="the 8-byte challenge the Active Authentication signature answers (the "
        "verifier's own; overrides an upload's)",
    )
    verify.add_argument(
        "--aa-signature",
        metavar="HEX|@FILE",
        help="the chip's Active Authentication signature over --challenge, in hex or as the "
        "raw bytes of FILE (overrides an upload's)",
    )
    add_csca_argument(verify)
    add_policy_argument(verify)
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
    parser.add_argument(
        "--allow-test-pki",
        action="store_true",
        help="trust mrtd's own test CSCAs (mrtd sim --export-csca), refused otherwise: their "
        "private keys ship with mrtd, so only tests and demos may trust them",
    )


def add_policy_argument(parser: argparse.ArgumentParser) -> None:
    """`--policy FILE` and `--status FILE`: for `mrtd verify` and `mrtd read`."""
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="what genuine requires (TOML, docs/verify.md); default: the strict policy",
    )
    parser.add_argument(
        "--status",
        metavar="FILE",
        help="ask a document-status provider (a hashed list or an HTTP service; TOML, "
        "docs/status.md) whether the document is listed as lost, stolen or revoked",
    )


def load_status(args: argparse.Namespace) -> StatusProvider | None:
    """The provider of `--status`, None without it; `PolicyError` naming the setting."""
    if not args.status:
        return None
    try:
        return load_status_provider(args.status)
    except ValueError as exc:
        raise PolicyError(f"--status: {exc}") from exc


def load_trust(args: argparse.Namespace) -> TrustStore | None:
    """The trust store of `--csca` (and `--allow-test-pki`), None without `--csca`."""
    if not args.csca:
        return None
    return TrustStore.from_paths(args.csca, allow_test_pki=args.allow_test_pki)


def load_policy(args: argparse.Namespace) -> Policy:
    """The policy of `--policy`, or the strict default; `PolicyError` for a bad file."""
    return Policy.from_toml(args.policy) if args.policy else STRICT


def verdict_exit_status(document: Document) -> int:
    """The one exit contract of `mrtd read` and `mrtd verify`: 0 only for genuine."""
    return EXIT_OK if document.verdict.genuine else EXIT_CHECK_FAILED


def run_verify(args: argparse.Namespace) -> int:
    try:
        upload = _read_upload(args)
        if upload is not None:
            source = args.paths[0]
            found = {name: (Path(f"{source}#{name}"), data) for name, data in upload.files.items()}
        else:
            found = collect_files(args.paths)
        challenge = _hex_option(args.challenge, "--challenge") if args.challenge else None
        signature = _signature_option(args.aa_signature) if args.aa_signature else None
        trust = load_trust(args)
        policy = load_policy(args)
        status = load_status(args)
        files = {name: data for name, (_, data) in found.items()}
        if upload is not None or signature is not None:
            document = verify_upload(
                upload if upload is not None else files,
                challenge=challenge,
                signature=signature,
                trust=trust,
                policy=policy,
                status=status,
            )
        else:
            document = verify_files(files, trust=trust, policy=policy, status=status)
    except (DecodeError, OSError, TrustStoreError, PolicyError) as exc:
        message = str(exc)
        if isinstance(exc, UploadError) and exc.field:
            message = f"{exc.field}: {exc}"
        if args.json:
            print(json.dumps(error_json(message, EXIT_USAGE, type(exc).__name__), indent=2))
        print(f"mrtd verify: {message}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(verify_json(document, found, trust), indent=2))
    else:
        print_verify(document, found, trust)
    return verdict_exit_status(document)


def _read_upload(args: argparse.Namespace) -> Upload | None:
    """The upload PATH is (one JSON file, or any file with `--format`), else None."""
    if len(args.paths) != 1 or not Path(args.paths[0]).is_file():
        if args.format is not None:
            raise UploadError("--format takes one upload file", "")
        return None
    path = Path(args.paths[0])
    with path.open("rb") as handle:
        body = handle.read(MAX_UPLOAD_BYTES + 1)  # parse_upload refuses anything larger
    if args.format is None and body.lstrip()[:1] != b"{":
        return None
    return parse_upload(body, args.format or "auto")


def _hex_option(value: str, option: str) -> bytes:
    text = value.strip()
    if len(text) % 2 or not all(c in "0123456789abcdefABCDEF" for c in text):
        raise UploadError(f"{option} is not hex", "")
    return bytes.fromhex(text)


def _signature_option(value: str) -> bytes:
    """`--aa-signature`: hex, or @FILE (the signature's raw bytes)."""
    if not value.startswith("@"):
        return _hex_option(value, "--aa-signature")
    with Path(value[1:]).open("rb") as handle:
        data = handle.read(MAX_SIGNATURE + 1)
    if not data or len(data) > MAX_SIGNATURE:
        raise UploadError(f"--aa-signature: the file must hold 1 to {MAX_SIGNATURE} bytes", "")
    return data


def verify_json(
    document: Document, found: dict[str, tuple[Path, bytes]], trust: TrustStore | None
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
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
        **verdict_json(document),
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
