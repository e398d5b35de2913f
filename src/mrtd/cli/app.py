"""The `mrtd` command (docs/design.md, "The `mrtd` command"; keep it stable).

Exit status: 0 valid / read and genuine, 1 read but not genuine, 2 bad usage or input,
3 access denied, 4 reader or transport failure, 70 internal error (never a traceback),
130 interrupted (Ctrl-C), 143 terminated (SIGTERM during a read).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from mrtd import __version__
from mrtd.cli.audit_command import add_audit_parser
from mrtd.cli.chip_command import run_read, run_readers, run_sim
from mrtd.cli.demo import run_demo
from mrtd.cli.doctor import add_doctor_parser
from mrtd.cli.exit_status import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)
from mrtd.cli.face_command import add_face_parser
from mrtd.cli.mrz_summary import print_mrz
from mrtd.cli.ocr_command import add_ocr_parser
from mrtd.cli.report import SCHEMA_VERSION, error_json
from mrtd.cli.serve_command import add_serve_parser
from mrtd.cli.verify_command import add_csca_argument, add_policy_argument, add_verify_parser
from mrtd.errors import MRZError
from mrtd.mrz import RepairStatus, parse_mrz, repair_mrz

MAX_STDIN = 4096


class _UsageError(Exception):
    """argparse's refusal of the arguments, turned into one JSON document under `--json`."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in arguments
    parser = _parser()
    try:
        args = parser.parse_args(arguments)
    except _UsageError as exc:
        return _error(str(exc), EXIT_USAGE, as_json=as_json, kind="UsageError")
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:  # Ctrl-C outside a chip read (which stops cleanly on its own)
        return _error("mrtd: interrupted", EXIT_INTERRUPTED, as_json=as_json, kind="Interrupted")
    except Exception as exc:  # a bug must not look like a verdict, nor show a traceback
        message = f"internal error: {type(exc).__name__}: {exc}; please report"
        return _error(f"mrtd: {message}", EXIT_INTERNAL, as_json=as_json, kind="InternalError")
    return result


def _error(message: str, code: int, *, as_json: bool, kind: str) -> int:
    if as_json:
        print(json.dumps(error_json(message, code, kind), indent=2))
    print(message, file=sys.stderr)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mrtd", description="Read and verify ICAO 9303 passports and ID cards.")
    parser.add_argument("--version", action="version", version=f"mrtd {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    mrz = commands.add_parser("mrz", help="parse and validate an MRZ")
    mrz.add_argument(
        "lines", nargs="*", metavar="LINE", help="MRZ lines ('-' or none: read standard input)"
    )
    mrz.add_argument("--json", action="store_true", help="print one JSON document")
    mrz.add_argument(
        "--repair",
        action="store_true",
        help="if invalid, repair OCR confusions when exactly one repair fits the check digits "
        "(the default validates the MRZ as typed)",
    )
    mrz.add_argument("--no-repair", action="store_true", help=argparse.SUPPRESS)  # the default
    mrz.set_defaults(run=_run_mrz)

    read = commands.add_parser("read", help="read a passport or ID card chip")
    read.add_argument(
        "--reader",
        default="pcsc",
        help="pcsc[:N|NAME] (pcscd; default: the first PC/SC reader with a card), nfc[:PATH] "
        "(nfcpy) or sim[:PROFILE.toml] (the simulated chip, only when asked for)",
    )
    key = read.add_mutually_exclusive_group(required=True)
    key.add_argument(
        "--mrz",
        nargs="+",
        metavar="LINE",
        help="the MRZ lines; '-': read them from standard input (hidden from `ps`)",
    )
    key.add_argument("--doc-number", metavar="N", help="document number (with --birth, --expiry)")
    key.add_argument(
        "--can",
        metavar="CAN",
        help="the 6-digit card access number (PACE only); '-': read it from standard input",
    )
    key.add_argument("--mrz-image", metavar="IMAGE", help="a photo or scan of the data page")
    read.add_argument("--birth", metavar="YYMMDD", help="date of birth")
    read.add_argument("--expiry", metavar="YYMMDD", help="date of expiry")
    read.add_argument(
        "--access",
        choices=("auto", "pace", "bac"),
        default="auto",
        help="auto (default): PACE when the chip offers it, BAC if PACE fails for a reason "
        "other than a wrong key (reported as a downgrade); pace or bac: only that one",
    )
    add_csca_argument(read)
    add_policy_argument(read)
    read.add_argument(
        "--aa-challenge",
        metavar="HEX",
        help="the 8-byte challenge (16 hex digits) Active Authentication has the chip sign, "
        "e.g. one a back-end issued; --json then carries it with the chip's signature",
    )
    read.add_argument(
        "--submit",
        metavar="URL",
        help="the verification service (mrtd serve) to prove the document to: get its "
        "challenge, read with Active Authentication over it, upload, report its verdict",
    )
    read.add_argument(
        "--subject", metavar="ID", help="with --submit: your identifier of the person (audit)"
    )
    read.add_argument(
        "--remote-proof",
        action="store_true",
        help="with --submit: the service proves the chip itself (Active, Chip Authentication, "
        "PACE-CAM) through this reader over a WebSocket relay; the files are read here and "
        "uploaded once",
    )
    read.add_argument("--out", metavar="DIR", help="write every file read and the face image")
    read.add_argument("--json", action="store_true", help="print one JSON document")
    read.add_argument("--no-progress", action="store_true", help="no progress bar")
    read.set_defaults(run=run_read)

    add_verify_parser(commands)
    add_ocr_parser(commands)

    demo = commands.add_parser("demo", help="the whole path on the simulated chip")
    demo.add_argument("--json", action="store_true", help="print one JSON document")
    demo.set_defaults(run=_run_demo)

    sim = commands.add_parser("sim", help="the simulated chip")
    sim.add_argument("--profile", metavar="PROFILE.toml", help="chip profile (default built in)")
    sim.add_argument("--export-csca", metavar="PATH", help="write the test CSCA certificates")
    sim.add_argument("--nfc", nargs="?", const="127.0.0.1:54321", metavar="HOST:PORT",
                     help="serve the chip as a Type 4A tag on nfcpy's udp link")  # fmt: skip
    sim.add_argument("--vpcd", nargs="?", const="127.0.0.1:35963", metavar="HOST:PORT",
                     help="serve the chip to pcscd through vsmartcard's vpcd driver")  # fmt: skip

    readers = commands.add_parser("readers", help="list the readers on this machine")
    readers.add_argument("--json", action="store_true", help="print one JSON document")
    readers.set_defaults(run=run_readers)
    sim.set_defaults(run=run_sim)

    add_doctor_parser(commands)
    add_serve_parser(commands)
    add_audit_parser(commands)
    add_face_parser(commands)
    for name, command in commands.choices.items():
        if not command.epilog:  # doctor and serve write their own
            command.epilog = EPILOGS[name]
            command.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


_READ_EXITS = """exit status: 0 genuine under the policy in force, 1 read but not genuine (failed or
incomplete: the reasons say why), 2 bad usage or input, 3 access denied (wrong MRZ or CAN),
4 reader, transport or chip failure (no card in time included), 70 internal error,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM) (docs/reading.md, "Exit status")"""

EPILOGS = {
    "mrz": """example:
  mrtd mrz 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<' \\
           'L898902C36UTO7408122F1204159ZE184226B<<<<<10'
exit status: 0 the MRZ is valid as typed (or after --repair), 2 invalid, with one reason
per failed check on standard error""",
    "read": f"""examples:
  mrtd read --reader pcsc --mrz - --csca DE_ML.ml --csca crls/ < mrz.txt
  mrtd read --reader sim --mrz LINE LINE --json --out dump/
  mrtd read --reader pcsc --mrz - --submit https://verify.example --subject cust-1 < mrz.txt
{_READ_EXITS}; with --submit, 0 and 1 are the service's verdict
and 4 also means the service could not be reached or refused the upload""",
    "verify": f"""examples:
  mrtd verify dump/ --csca DE_ML.ml --csca crls/ --policy bank.toml --json
  mrtd verify upload.json --challenge 0011223344556677 --csca DE_ML.ml --json
  mrtd verify dump/ --challenge 0011223344556677 --aa-signature @aa.bin --csca DE_ML.ml
an upload (JSON of mrtd, NFCPassportReader, a JMRTD app or ZeroPass Port; --format to force
one) is verified as files are; an unusable one is exit 2, naming the field (docs/verify.md)
{_READ_EXITS.replace("read but not genuine", "files verified but not genuine")}""",
    "ocr": """examples:
  mrtd ocr page.jpg --json
  mrtd ocr --camera 0            # a kiosk's camera: until 3 frames in a row agree
exit status: 0 a valid MRZ read from every image (or agreed on by the camera's frames),
1 an image without a readable MRZ, 2 bad usage or an unreadable image or video source,
70 internal error""",
    "demo": """example:
  mrtd demo --json
exit status: 0 the simulated document read as genuine, 1 not, 70 internal error""",
    "sim": """examples:
  mrtd sim                                   # what the chip holds; its MRZ is the key
  mrtd sim --export-csca csca.pem            # its test CSCAs, each with a current CRL
  mrtd sim --profile card.toml --vpcd        # serve it to pcscd until Ctrl-C
exit status: 0 done, 2 bad usage or a bad profile""",
    "readers": """examples:
  mrtd readers
  mrtd readers --json     # {"schema_version": 2, "readers": [{"name": ..., "description": ...}]}
exit status: 0 listed (none connected included), 4 no PC/SC service (is pcscd running?)""",
}
"""Each subcommand's --help ends with an example and its exit codes (one home for them)."""


def _run_mrz(args: argparse.Namespace) -> int:
    """Validate the MRZ as typed; with --repair, an invalid one is repaired only from
    evidence (exactly one candidate fits), and the evidence is reported."""
    lines: list[str] = args.lines
    try:
        if not lines or lines == ["-"]:
            if sys.stdin is None:  # started with it closed (`<&-`)
                raise MRZError("standard input: closed; expected the MRZ lines")
            try:
                lines = [sys.stdin.read(MAX_STDIN)]
            except (OSError, UnicodeDecodeError) as exc:
                raise MRZError(f"standard input: {exc}") from None
        mrz = parse_mrz(lines, strict=False)
        evidence: dict[str, object] | None = None
        if not mrz.valid and args.repair:
            outcome = repair_mrz(lines)
            evidence = {"status": str(outcome.status), "candidates": outcome.candidates,
                        "reason": outcome.reason}  # fmt: skip
            if outcome.status is RepairStatus.REPAIRED:
                mrz = outcome.mrz
    except MRZError as exc:
        return _fail_input(str(exc), as_json=args.json)

    if args.json:
        report = {"schema_version": SCHEMA_VERSION, **mrz.to_dict()}
        if evidence is not None:
            report["repair"] = evidence
        print(json.dumps(report, indent=2))
    else:
        print_mrz(mrz, sys.stdout)
        if evidence is not None:
            fits = evidence["candidates"]
            reason = f": {evidence['reason']}" if evidence["reason"] else ""
            print(f"repair: {evidence['status']} ({fits} candidate(s) fit){reason}")
    for error in mrz.errors:
        print(f"mrtd mrz: invalid: {error}", file=sys.stderr)
    return EXIT_OK if mrz.valid else EXIT_USAGE


def _fail_input(message: str, *, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"schema_version": SCHEMA_VERSION, "valid": False,
                          "errors": [message]}, indent=2))  # fmt: skip
    print(f"mrtd mrz: invalid: {message}", file=sys.stderr)
    return EXIT_USAGE


def _run_demo(args: argparse.Namespace) -> int:
    return run_demo(sys.stdout, as_json=args.json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
