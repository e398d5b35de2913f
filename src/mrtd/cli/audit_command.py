"""`mrtd audit`: verify, purge, export and seal the service's audit log; make its signing key
(docs/service.md, "The audit log")."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mrtd.cli.exit_status import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, SCHEMA_VERSION
from mrtd.cli.report import error_json
from mrtd.errors import MRTDError, OptionalDependencyError, ServiceConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from mrtd.service.audit import AuditLog, AuditReport
    from mrtd.service.config import ServiceConfig
    from mrtd.service.store import Store

EPILOG = """examples:
  mrtd audit keygen audit-key.pem --public-out audit-pub.pem   # then [audit] signing_key
  mrtd audit verify --config service.toml --public-key audit-pub.pem
  mrtd audit export --config service.toml --out audit-2026.jsonl
  mrtd audit verify --export audit-2026.jsonl --public-key audit-pub.pem   # no database
  mrtd audit seal --config service.toml        # close past years, sign the open year's head
  mrtd audit purge --config service.toml       # delete years before the retention
exit status: 0 intact (verify) or done, 1 the log is broken (the first broken record is named
on standard error; with --json on standard output) or chained but not signed, 2 bad usage or
configuration, 70 internal error"""

PROG = "mrtd audit"


def add_audit_parser(commands: Any) -> None:
    audit = commands.add_parser(
        "audit",
        help="verify, export, seal or purge the service's audit log (needs mrtd[service])",
        description="The verification service's audit log is hash-chained per calendar year "
        "with Ed25519-signed checkpoints. These commands check it, hand it to an auditor, "
        "close past years and delete the years past the retention.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = audit.add_subparsers(dest="audit_action", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(
            name, help=help_text, description=help_text, epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip
        if name != "keygen":
            parser.add_argument("--config", metavar="FILE.toml", help="the service's configuration")
        return parser

    verify = action("verify", "check every year's chain, checkpoint and link")
    verify.add_argument(
        "--public-key",
        action="append",
        default=[],
        metavar="PUB.pem",
        help="a public key the checkpoints may be signed with (repeatable; default: the "
        "configured signing key's)",
    )
    verify.add_argument(
        "--export", metavar="FILE.jsonl", help="verify an export instead of the database"
    )
    verify.add_argument(
        "--known",
        action="append",
        default=[],
        metavar="OLD.jsonl",
        help="an earlier export whose checkpoints must all still be there (detects a log cut "
        "back with its last checkpoints)",
    )
    verify.add_argument("--checkpoint-every", type=int, metavar="N",
                        help="the interval to require (default: the configuration's, or the "
                        "export's header)")  # fmt: skip
    verify.add_argument("--json", action="store_true", help="the report as JSON on stdout")
    verify.set_defaults(run=run_verify)

    purge = action("purge", "delete the records of whole years before the retention")
    purge.add_argument(
        "--before-year",
        type=int,
        metavar="YEAR",
        help="delete the years before YEAR (default: the current year minus audit.retention_years)",
    )
    purge.add_argument("--json", action="store_true", help="the years deleted as JSON")
    purge.set_defaults(run=run_purge)

    export = action("export", "write the log as JSON lines for an auditor")
    export.add_argument("--out", metavar="FILE.jsonl", help="the file (default: stdout)")
    export.set_defaults(run=run_export)

    seal = action("seal", "close past years (empty ones too) and sign the open year's head")
    seal.set_defaults(run=run_seal)

    keygen = action("keygen", "write a new Ed25519 signing key (mode 0600); print its public key")
    keygen.add_argument("key", metavar="KEY.pem", help="the private key file to create")
    keygen.add_argument("--public-out", metavar="PUB.pem", help="also write the public key")
    keygen.set_defaults(run=run_keygen)


# -- helpers -----------------------------------------------------------------------------------


def _fail(exc: BaseException, *, as_json: bool = False) -> int:
    """One line on standard error; with `--json`, one JSON document with `error` too."""
    message = f"{PROG}: {exc}"
    if as_json:
        print(json.dumps(error_json(message, EXIT_USAGE, type(exc).__name__), indent=2))
    print(message, file=sys.stderr)
    return EXIT_USAGE


@contextmanager
def _store(config: ServiceConfig) -> Iterator[Store]:
    from mrtd.service.store import Store  # noqa: PLC0415

    url = config.database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():  # SQLite would create an empty one: not the service's log
            raise ServiceConfigError(
                f"no database at {path} (database.url {url}): give the service's --config"
            )
    store = Store(url, audit=config.audit_settings())
    try:
        store.check_schema()
        yield store
    finally:
        store.close()


def _config(args: argparse.Namespace) -> ServiceConfig:
    from mrtd.service.config import load_config  # noqa: PLC0415

    return load_config(args.config)


def _now() -> datetime:
    return datetime.now(UTC)


def _guarded(run: Any) -> Any:
    """Configuration and dependency errors are exit 2 with one line, never a traceback."""

    def guarded(args: argparse.Namespace) -> int:
        as_json = bool(getattr(args, "json", False))
        try:
            return int(run(args))
        except (ServiceConfigError, OptionalDependencyError, ValueError, OSError) as exc:
            return _fail(exc, as_json=as_json)
        except ImportError:
            needs = ImportError("needs the service extra: pip install 'mrtd[service]'")
            return _fail(needs, as_json=as_json)
        except MRTDError as exc:
            return _fail(exc, as_json=as_json)

    return guarded


# -- verify ------------------------------------------------------------------------------------


def _read_export(path: str) -> tuple[dict[str, object], AuditLog]:
    from mrtd.service.audit import read_export  # noqa: PLC0415

    with Path(path).open(encoding="utf-8") as handle:
        return read_export(handle)


def _public_keys(args: argparse.Namespace, config: ServiceConfig | None) -> list[Ed25519PublicKey]:
    from mrtd.service.audit import load_private_key, load_public_key  # noqa: PLC0415

    keys = [load_public_key(Path(p)) for p in args.public_key]
    if not keys and config is not None and config.audit_signing_key is not None:
        keys.append(load_private_key(config.audit_signing_key).public_key())
    return keys


@_guarded
def run_verify(args: argparse.Namespace) -> int:
    from mrtd.service.audit import verify_audit  # noqa: PLC0415

    config = _config(args) if args.config or not args.export else None
    keys = _public_keys(args, config)
    known = [cp for path in args.known for cp in _read_export(path)[1].checkpoints]
    every = args.checkpoint_every
    if args.export:
        header, log = _read_export(args.export)
        if every is None and isinstance(header.get("checkpoint_every"), int):
            every = header["checkpoint_every"]
    else:
        assert config is not None
        with _store(config) as store:
            log = store.audit_log()
        every = every or config.audit_checkpoint_every
    if every is not None and every < 1:
        raise ValueError("--checkpoint-every is at least 1")
    retention = config.audit_retention_years if config is not None else 5
    report = verify_audit(
        log,
        keys,
        checkpoint_every=every,
        keep_from_year=_now().year - retention,
        known=known,
    )
    _print_report(report, sys.stdout if args.json else None)
    return EXIT_OK if report.intact else EXIT_CHECK_FAILED


def _print_report(report: AuditReport, json_out: TextIO | None) -> None:
    if json_out is not None:
        json.dump({"schema_version": SCHEMA_VERSION, **report.as_dict()}, json_out, indent=2)
        json_out.write("\n")
    years = f"{report.years[0]}-{report.years[-1]}" if report.years else "none"
    summary = f"{report.records} record(s), {report.checkpoints} checkpoint(s), years {years}"
    if report.purged_years:
        summary += f" (purged: {', '.join(map(str, report.purged_years))})"
    if report.first_break is not None:
        print(f"{PROG} verify: broken at {report.first_break}", file=sys.stderr)
        return
    if not report.signed:
        print(f"{PROG} verify: the chain is intact but its checkpoints were not checked "
              f"against a key (no --public-key, no audit.signing_key): {summary}",
              file=sys.stderr)  # fmt: skip
        return
    if json_out is None:
        print(f"{PROG} verify: intact: {summary}; signed by {', '.join(report.key_ids)}")
        if report.unsigned_tail:
            tail = f"{PROG} verify: the newest {report.unsigned_tail} record(s) follow the last"
            print(f"{tail} checkpoint: protected by the chain only (mrtd audit seal signs them)")


# -- purge, export, seal -----------------------------------------------------------------------


@_guarded
def run_purge(args: argparse.Namespace) -> int:
    config = _config(args)
    now = _now()
    before = args.before_year or now.year - config.audit_retention_years
    with _store(config) as store:
        deleted = store.purge_audit(before_year=before, now=now)
    if args.json:
        counts = {str(year): n for year, n in deleted.items()}
        print(json.dumps({"schema_version": SCHEMA_VERSION, "before_year": before,
                          "deleted": counts}))  # fmt: skip
    else:
        total = sum(deleted.values())
        years = ", ".join(f"{y}: {n}" for y, n in sorted(deleted.items())) or "none"
        print(f"{PROG} purge: {total} record(s) of the years before {before} deleted ({years}); "
              "their checkpoints kept")  # fmt: skip
    return EXIT_OK


@_guarded
def run_export(args: argparse.Namespace) -> int:
    from mrtd.service.audit import write_export  # noqa: PLC0415

    config = _config(args)
    with _store(config) as store:
        log = store.audit_log()
    key_ids = sorted({cp.key_id for cp in log.checkpoints if cp.key_id is not None})
    every = config.audit_checkpoint_every
    if args.out:
        with Path(args.out).open("w", encoding="utf-8") as out:
            lines = write_export(log, out, key_ids=key_ids, checkpoint_every=every)
        print(f"{PROG} export: {lines} line(s) written to {args.out}", file=sys.stderr)
    else:
        write_export(log, sys.stdout, key_ids=key_ids, checkpoint_every=every)
    return EXIT_OK


@_guarded
def run_seal(args: argparse.Namespace) -> int:
    config = _config(args)
    with _store(config) as store:
        written = store.seal_audit(now=_now())
    for cp in written:
        print(f"{PROG} seal: {cp.kind} checkpoint of {cp.year} at position {cp.position}")
    if not written:
        print(f"{PROG} seal: nothing to seal")
    if config.audit_signing_key is None:
        print(f"{PROG} seal: no audit.signing_key: the checkpoints are not signed",
              file=sys.stderr)  # fmt: skip
    return EXIT_OK


# -- keygen ------------------------------------------------------------------------------------


@_guarded
def run_keygen(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey,
    )

    from mrtd.service.audit import key_id, public_pem  # noqa: PLC0415

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(args.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ValueError(f"{args.key} exists: mrtd audit keygen never overwrites a key") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = public_pem(key.public_key())
    if args.public_out:
        Path(args.public_out).write_text(public, encoding="ascii")
    print(public, end="")
    print(f"{PROG} keygen: key id {key_id(key.public_key())} written to {args.key} (mode 0600)",
          file=sys.stderr)  # fmt: skip
    return EXIT_OK
