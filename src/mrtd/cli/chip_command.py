"""`mrtd read` and `mrtd sim`: the command-line side of reading a chip."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mrtd.access.keys import AccessKey, CANKey, MRZKey
from mrtd.cli.exit_status import (
    EXIT_ACCESS_DENIED,
    EXIT_CHECK_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_TRANSPORT,
    EXIT_USAGE,
)
from mrtd.cli.progress import ProgressBar
from mrtd.cli.report import (
    SCHEMA_VERSION,
    document_json,
    error_json,
    print_document,
    verification_json,
)
from mrtd.cli.verify_command import load_policy, load_status, load_trust, verdict_exit_status
from mrtd.errors import (
    AccessDeniedError,
    AccessKeyError,
    CardStatusError,
    DecodeError,
    MRTDError,
    MRZError,
    OptionalDependencyError,
    PolicyError,
    ReadCancelledError,
    SecureMessagingError,
    ServiceError,
    TransportError,
    TrustStoreError,
)
from mrtd.lds import FaceImage
from mrtd.lds.image import CODESTREAM, JP2_FILE, JPEG_FILE, image_format
from mrtd.mrz import parse_mrz
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.result import ReadResult
from mrtd.readers.base import Transport
from mrtd.readers.open import CARD_TIMEOUT, ReaderInfo, check_reader, open_reader
from mrtd.readers.simulated import SimulatedReader
from mrtd.service.client import ServiceChallenge, request_challenge, submit_document
from mrtd.sim import nfc_target, vpcd
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile, ProfileError
from mrtd.status.base import StatusProvider
from mrtd.verify.policy import Policy
from mrtd.verify.trust import TrustStore

MAX_STDIN = 4096  # characters of standard input read for a key
EXTENSIONS = {JPEG_FILE: "jpg", JP2_FILE: "jp2", CODESTREAM: "j2k"}  # by lds.image_format


def run_read(args: argparse.Namespace) -> int:
    try:
        _check_out(args.out)
        challenge = _aa_challenge(args.aa_challenge)
        if args.submit and challenge is not None:
            raise ValueError(
                "--submit takes its challenge from the service: leave out --aa-challenge"
            )
        if args.subject is not None and not args.submit:
            raise ValueError("--subject goes with --submit")
        if getattr(args, "remote_proof", False) and not args.submit:
            raise ValueError("--remote-proof goes with --submit URL")
        key = _key(args)
    except (OptionalDependencyError, MRZError, AccessKeyError, ValueError, OSError) as exc:
        return _fail(f"invalid: {exc}", EXIT_USAGE, as_json=args.json, kind=type(exc).__name__)
    if getattr(args, "remote_proof", False):
        return _remote_proof(args, key)
    service = None
    if args.submit:  # the service's challenge first: the chip signs it during the read
        try:
            service = request_challenge(args.submit)
        except ServiceError as exc:
            key.wipe()
            return _fail(str(exc), EXIT_TRANSPORT, as_json=args.json, kind="ServiceError")
        challenge = service.nonce
    try:
        trust = load_trust(args)
        for skipped in trust.problems if trust is not None else ():  # e.g. the test PKI's
            print(f"mrtd: --csca: skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
        policy = load_policy(args)
        status = load_status(args)
        check_reader(args.reader)  # no PC/SC service, no such reader: said before waiting
    except TransportError as exc:  # no reader, no nfcpy: before OSError
        key.wipe()
        return _fail(str(exc), EXIT_TRANSPORT, as_json=args.json, kind=type(exc).__name__)
    except (MRZError, AccessKeyError, ProfileError, TrustStoreError, PolicyError, ValueError,
            OSError) as exc:  # fmt: skip
        key.wipe()
        return _fail(f"invalid: {exc}", EXIT_USAGE, as_json=args.json, kind=type(exc).__name__)
    progress = (
        None
        if args.no_progress or args.json or not sys.stderr.isatty()
        else ProgressBar(sys.stderr)
    )
    with _cancel_on_signals() as cancel:  # Ctrl-C or SIGTERM while waiting for the card too
        try:
            transport = _wait_for_card(args, cancel)
        except ReadCancelledError:
            key.wipe()
            code, what = _stopped_by(cancel)
            return _fail(f"{what} while waiting for a card", code, as_json=args.json,
                         kind="ReadCancelledError")  # fmt: skip
        except TransportError as exc:  # no card in time, the reader gone
            key.wipe()
            return _fail(str(exc), EXIT_TRANSPORT, as_json=args.json, kind=type(exc).__name__)
        except (ProfileError, ValueError, OSError) as exc:  # the simulated chip's profile
            key.wipe()
            return _fail(f"invalid: {exc}", EXIT_USAGE, as_json=args.json,
                         kind=type(exc).__name__)  # fmt: skip
        return _read(
            args, transport=transport, key=key, trust=trust, policy=policy,
            progress=progress, cancel=cancel, challenge=challenge, service=service,
            status=status,
        )  # fmt: skip


def _read(
    args: argparse.Namespace,
    *,
    transport: Transport,
    key: AccessKey,
    trust: TrustStore | None,
    policy: Policy,
    progress: ProgressBar | None,
    cancel: _Cancel,
    challenge: bytes | None = None,
    service: ServiceChallenge | None = None,
    status: StatusProvider | None = None,
) -> int:
    try:
        document = read_document(
            transport,
            key,
            on_event=progress,
            cancel=cancel,
            access=args.access,
            trust=trust,
            policy=policy,
            active_challenge=challenge,
            status=status,
        )
    except ReadCancelledError as exc:  # Ctrl-C or SIGTERM: what was read is kept, 130 or 143
        checks = _checks_that_ran(exc.partial, trust, policy, key)
        code, what = _stopped_by(cancel)
        return _partial(args, exc, what, code, transport, checks)
    except AccessDeniedError as exc:
        return _partial(args, exc, str(exc), EXIT_ACCESS_DENIED, transport)
    except (TransportError, SecureMessagingError, CardStatusError, DecodeError) as exc:
        checks = _checks_that_ran(exc.partial, trust, policy, key)
        return _partial(args, exc, f"read failed: {exc}", EXIT_TRANSPORT, transport, checks)
    finally:
        if progress is not None:
            progress.close()
        transport.close()
        key.wipe()
    modeled = transport.chip.modeled_seconds if isinstance(transport, SimulatedReader) else None
    unwritten = _write_out(args.out, document.files, document.faces)
    reader = _reader_name(args.reader, transport)
    if service is not None and unwritten is None:
        return _submit(args, document, service, reader, modeled)
    if args.json:
        report = document_json(document, document.stats, modeled)
        report["active_authentication"] = {
            "challenge": _hex(document.active_challenge),
            "signature": _hex(document.active_signature),
        }
        if unwritten is not None:
            report["error"] = error_json(unwritten, EXIT_USAGE, "OSError")["error"]
        print(json.dumps({"schema_version": report.pop("schema_version"), "reader": reader,
                          **report}, indent=2))  # fmt: skip
    else:
        print(f"reader           {reader}")
        print_document(document, document.stats, modeled, sys.stdout)
    if unwritten is not None:  # the read is shown; the failure to keep it decides the status
        return _fail(unwritten, EXIT_USAGE)
    return verdict_exit_status(document)


def _submit(
    args: argparse.Namespace,
    document: Document,
    challenge: ServiceChallenge,
    reader: str,
    modeled: float | None,
) -> int:
    """Upload what was read to the service of `--submit` and report ITS verdict: that one
    counts (the local read's is shown beside it). Exit 0 only when the service says genuine."""
    try:
        answer = submit_document(args.submit, document, challenge, subject=args.subject)
    except ServiceError as exc:
        return _fail(str(exc), EXIT_TRANSPORT, as_json=args.json, kind="ServiceError")
    verdict = answer.get("verdict")
    if not isinstance(verdict, dict) or not isinstance(verdict.get("status"), str):
        return _fail("the service's answer has no verdict", EXIT_TRANSPORT, as_json=args.json,
                     kind="ServiceError")  # fmt: skip
    if args.json:
        report = document_json(document, document.stats, modeled)
        print(json.dumps({"schema_version": report.pop("schema_version"), "reader": reader,
                          "service": answer, **report}, indent=2))  # fmt: skip
    else:
        print(f"reader           {reader}")
        print_document(document, document.stats, modeled, sys.stdout)
        print(
            f"service verdict  {verdict['status']} (verification {answer.get('verification_id')})"
        )
        for reason in verdict.get("reasons") or ():
            if isinstance(reason, dict):
                print(f"  {reason.get('code')}: {reason.get('text')}")
    return EXIT_OK if verdict.get("genuine") is True else EXIT_CHECK_FAILED


def run_sim(args: argparse.Namespace) -> int:
    try:
        profile = Profile.load(args.profile) if args.profile else Profile.default()
    except ProfileError as exc:
        return _fail(str(exc), EXIT_USAGE)
    if args.export_csca:
        Path(args.export_csca).write_bytes(TestPKI().all_csca_pem())
        print(f"wrote the test CSCA certificates to {args.export_csca}")
        return EXIT_OK
    if args.nfc:
        host, _, port = args.nfc.rpartition(":")
        if not port.isdigit():
            return _fail("--nfc wants HOST:PORT", EXIT_USAGE)
        argv = ["--host", host or "127.0.0.1", "--port", port]
        return nfc_target.main(argv + (["--profile", args.profile] if args.profile else []))
    chip = profile.chip
    print(f"simulated chip, profile {profile.name}")
    print("MRZ (the key to read it with `mrtd read --reader sim --mrz LINE...`):")
    for line in profile.mrz.lines:
        print(f"  {line}")
    print(f"access {', '.join(chip.access)}; data groups {list(chip.data_groups)}; "
          f"max_response {chip.max_response}; extended_length {chip.extended_length}; "
          f"EF.SOD signed by the {chip.signer} test Document Signer")  # fmt: skip
    if "pace" in chip.access:
        for variant in chip.pace:
            print(f"PACE {variant.mapping} {variant.domain} {variant.cipher}"
                  + (" (explicit domain parameters)" if variant.explicit else ""))  # fmt: skip
        print(f"CAN {chip.can}" if chip.can else "no CAN: PACE with the MRZ only")
    if chip.dataset:
        print(f"data set {chip.dataset} (its own files and keys)")
    print(f"Active Authentication {chip.aa}; Chip Authentication {chip.ca}"
          + ("; a CLONE: the files of the document, keys of its own" if profile.faults.clone
             else ""))  # fmt: skip
    print(f"link {profile.link.bitrate} bit/s, {profile.link.latency_ms} ms per command")
    if args.vpcd:
        try:
            host, port = vpcd.parse_address(args.vpcd)
        except ValueError as exc:
            return _fail(f"invalid: {exc}", EXIT_USAGE)
        return vpcd.serve_vpcd(profile, host, port)
    return EXIT_OK


class _Cancel(threading.Event):
    """The read's cancel, set by a signal; `signum` says which (0: none yet)."""

    signum: int = 0


def _wait_for_card(args: argparse.Namespace, cancel: _Cancel) -> Transport:
    """The reader `--reader` names with a card in it, saying what it waits for (a real
    reader); `cancel` (a signal) stops the wait."""
    if not args.json and args.reader.partition(":")[0] != "sim":
        print(f"mrtd: waiting up to {CARD_TIMEOUT:g} s for a card on {args.reader}...",
              file=sys.stderr)  # fmt: skip
    return open_reader(args.reader, cancel=cancel)


def _stopped_by(cancel: _Cancel) -> tuple[int, str]:
    """The exit status and word for the signal that set `cancel`: 143 for SIGTERM, else 130."""
    if cancel.signum == signal.SIGTERM:
        return EXIT_TERMINATED, "terminated"
    return EXIT_INTERRUPTED, "interrupted"


@contextmanager
def _cancel_on_signals() -> Iterator[_Cancel]:
    """Ctrl-C (SIGINT) and SIGTERM set the event the read checks before every APDU (it then
    raises `ReadCancelledError` with what it read) instead of raising `KeyboardInterrupt`
    anywhere or ending the process with nothing kept. A signal the process was started with
    ignored (nohup, a background job) stays ignored."""
    cancel = _Cancel()
    if threading.current_thread() is not threading.main_thread():
        yield cancel
        return

    def stop(signum: int, frame: object) -> None:
        del frame
        cancel.signum = cancel.signum or signum
        cancel.set()

    previous = {
        signum: signal.signal(signum, stop)
        for signum in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(signum) is not signal.SIG_IGN
    }
    try:
        yield cancel
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _check_out(out: str | None) -> None:
    """`--out` must be a folder this process can create or write, checked before the chip is
    touched: a whole read must not end in a failure to write it."""
    if not out:
        return
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ValueError(f"--out {out}: not a folder")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"--out {out}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"--out {out}: {existing} is not writable")
    created = [parent for parent in (path, *path.parents) if not parent.exists()]
    try:  # as the write will: access() passes where mkdir fails (/proc, /sys, some mounts)
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".mrtd-"):
            pass
    except OSError as exc:
        raise ValueError(f"--out {out}: cannot write there: {exc.strerror or exc}") from None
    finally:
        for folder in created:  # made only to try: the read creates them again
            with contextlib.suppress(OSError):
                folder.rmdir()


def _aa_challenge(text: str | None) -> bytes | None:
    """`--aa-challenge`: exactly 16 hex digits, the 8-byte challenge (9303-11 §6.1.2)."""
    if text is None:
        return None
    if not re.fullmatch(r"[0-9A-Fa-f]{16}", text):
        raise ValueError("--aa-challenge wants 16 hex digits (an 8-byte challenge)")
    return bytes.fromhex(text)


def _hex(data: bytes | None) -> str | None:
    return data.hex() if data is not None else None


def _key(args: argparse.Namespace) -> AccessKey:
    if args.can:
        can = _stdin().strip() if args.can == "-" else args.can
        return CANKey(can)
    if args.mrz:
        lines = args.mrz
        if lines == ["-"]:  # from standard input: not shown to every user by `ps`
            lines = [line.strip() for line in _stdin().splitlines() if line.strip()]
        return MRZKey.from_mrz(parse_mrz(lines))
    if args.mrz_image:
        from mrtd.mrz.ocr.pipeline import read_mrz_image  # noqa: PLC0415 - opencv only when used

        return MRZKey.from_mrz(read_mrz_image(Path(args.mrz_image)).mrz)
    if not (args.birth and args.expiry):
        raise ValueError("--doc-number needs --birth and --expiry")
    return MRZKey(args.doc_number, args.birth, args.expiry)


def _stdin() -> str:
    """The key from standard input (`--mrz -`, `--can -`), bounded."""
    if sys.stdin is None:  # started with it closed (`<&-`), or without one (pythonw)
        raise ValueError("standard input: closed; expected the MRZ lines or the CAN")
    try:
        text = sys.stdin.read(MAX_STDIN + 1)
    except UnicodeDecodeError as exc:
        raise ValueError(f"standard input: not text: {exc}") from None
    if len(text) > MAX_STDIN:
        raise ValueError(f"standard input: over {MAX_STDIN} characters; an MRZ or CAN is shorter")
    if not text.strip():
        raise ValueError("standard input: empty; expected the MRZ lines or the CAN")
    return text


def _write_out(
    out: str | None, files: Mapping[str, bytes], faces: tuple[FaceImage, ...]
) -> str | None:
    """`--out`, when given: the files written (`_write`), or why they could not be (a full
    disk, a folder made read-only since `_check_out`): the message, never a traceback."""
    if not out:
        return None
    try:
        _write(Path(out), files, faces)
    except OSError as exc:
        return f"--out {out}: the files read could not be written: {exc}"
    return None


def _write(out: Path, files: Mapping[str, bytes], faces: tuple[FaceImage, ...]) -> None:
    """Every file whole or not at all: each is written beside its place under a temporary
    name, then renamed into it, so an interrupted run leaves no half-written file."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".mrtd-") as work:
        staged = Path(work)
        for name, data in files.items():
            (staged / f"{name}.bin").write_bytes(data)
        for n, face in enumerate(faces, 1):
            stored = EXTENSIONS.get(image_format(face.image) or "", "bin")
            (staged / f"face-{n}.{stored}").write_bytes(face.image)  # as stored, byte for byte
            try:  # and decoded, in a format every viewer shows (JPEG 2000 is not one)
                face.save(staged / f"face-{n}.png")
            except OptionalDependencyError as exc:
                print(f"mrtd: face-{n}.png not written: {exc}", file=sys.stderr)
            except DecodeError as exc:
                print(f"mrtd: face {n} does not decode: {exc}", file=sys.stderr)
        for written in sorted(staged.iterdir()):
            os.replace(written, out / written.name)


def _remote_proof(args: argparse.Namespace, key: AccessKey) -> int:
    """`--submit URL --remote-proof`: the service proves the chip through this reader
    (docs/service.md, "Remote chip authentication"); its verdict decides the exit status."""
    from mrtd.service.relay_client import prove_remotely  # noqa: PLC0415 - websockets, lazily

    try:
        transport = open_reader(args.reader)
    except TransportError as exc:
        key.wipe()
        return _fail(str(exc), EXIT_TRANSPORT, as_json=args.json, kind=type(exc).__name__)
    except (ProfileError, ValueError, OSError) as exc:
        key.wipe()
        return _fail(f"invalid: {exc}", EXIT_USAGE, as_json=args.json, kind=type(exc).__name__)
    try:
        answer = prove_remotely(args.submit, transport, key, subject=args.subject)
    except ServiceError as exc:
        denied = exc.problem.get("code") == "access-denied"
        return _fail(str(exc), EXIT_ACCESS_DENIED if denied else EXIT_TRANSPORT,
                     as_json=args.json, kind="ServiceError")  # fmt: skip
    except AccessDeniedError as exc:
        return _fail(str(exc), EXIT_ACCESS_DENIED, as_json=args.json, kind=type(exc).__name__)
    except (OptionalDependencyError, TransportError, SecureMessagingError, CardStatusError,
            DecodeError) as exc:  # fmt: skip
        return _fail(f"read failed: {exc}", EXIT_TRANSPORT, as_json=args.json,
                     kind=type(exc).__name__)  # fmt: skip
    finally:
        transport.close()
        key.wipe()
    verdict = answer.get("verdict")
    if not isinstance(verdict, dict) or not isinstance(verdict.get("status"), str):
        return _fail("the service's answer has no verdict", EXIT_TRANSPORT, as_json=args.json,
                     kind="ServiceError")  # fmt: skip
    reader = _reader_name(args.reader, transport)
    if args.json:
        print(json.dumps({"schema_version": SCHEMA_VERSION, "reader": reader,
                          "service": answer}, indent=2))  # fmt: skip
    else:
        relay = answer.get("relay") or {}
        print(f"reader           {reader}")
        print(f"proven by server {answer.get('proven_by_server')}")
        print(f"relay            {relay.get('flow')}, {relay.get('round_trips')} round trips, "
              f"{relay.get('apdus_relayed')} APDUs relayed")  # fmt: skip
        print(
            f"service verdict  {verdict['status']} (verification {answer.get('verification_id')})"
        )
        for reason in verdict.get("reasons") or ():
            if isinstance(reason, dict):
                print(f"  {reason.get('code')}: {reason.get('text')}")
    return EXIT_OK if verdict.get("genuine") is True else EXIT_CHECK_FAILED


def _reader_name(requested: str, transport: Transport) -> str:
    """The reader read: the PC/SC reader's or nfcpy device's own name when it has one."""
    kind = requested.partition(":")[0]
    name = getattr(transport, "name", "") or getattr(transport, "path", "")
    return f"{kind}:{name}" if kind != "sim" and isinstance(name, str) and name else requested


def _checks_that_ran(
    partial: ReadResult | None, trust: TrustStore | None, policy: Policy, key: AccessKey
) -> dict[str, Any] | None:
    """The checks a read that failed part-way could still run, on what it read: Passive
    Authentication of the files read, Chip Authentication if it ran, ... (each check's status
    and reason, as `verification` of a whole read; what was not read is `completeness`)."""
    if partial is None or not partial.files:
        return None
    try:
        document = Document.from_read(partial, trust=trust, policy=policy, key=key)
    except MRTDError:
        return None
    return verification_json(document)


def _partial(  # noqa: PLR0917 - the read's state at the fault
    args: argparse.Namespace,
    exc: MRTDError,
    message: str,
    code: int,
    transport: Transport,
    checks: dict[str, Any] | None = None,
) -> int:
    """A read that failed part-way: what it had read (`exc.partial`) and the checks that could
    run on it (`checks`) on standard output, one JSON document with `--json`, then the error on
    standard error and its exit code."""
    partial = exc.partial
    files = partial.files if partial is not None else {}
    if args.out and files:  # nothing read (a wrong key): no folder made for nothing
        unwritten = _write_out(args.out, files, ())
        message += (f" ({len(files)} files read before it kept in --out)" if unwritten is None
                    else f"; {unwritten}")  # fmt: skip
    listed = {
        name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in files.items()
    }
    if args.json:
        out: dict[str, object] = {
            "schema_version": SCHEMA_VERSION,
            "reader": _reader_name(args.reader, transport),
            "error": {"message": message, "type": type(exc).__name__, "exit_code": code},
            "access": partial.access.as_dict() if partial is not None else None,
            "files": listed,
            "denied": list(partial.denied) if partial is not None else [],
            "absent": list(partial.absent) if partial is not None else [],
            "stats": partial.stats.as_dict() if partial is not None else None,
            "verification": checks,
        }
        print(json.dumps(out, indent=2))
    elif partial is not None and files:
        print(f"what was read from {_reader_name(args.reader, transport)} before the failure "
              f"(exit {code}):")  # fmt: skip
        print(f"  access: {partial.access.protocol or 'not opened'}")
        for name, entry in listed.items():
            print(f"  {name}: {entry['bytes']} bytes, sha256 {entry['sha256']}")
        for label, names in (("denied", partial.denied), ("absent or empty", partial.absent)):
            if names:
                print(f"  {label}: {', '.join(names)}")
        for name, check in (checks or {}).items():
            if check.get("status") != "not_checked":
                reason = f" ({check['reason']})" if check.get("reason") else ""
                print(f"  check {name}: {check['status']}{reason}")
    return _fail(message, code)  # the JSON document, if any, is printed above


def _fail(message: str, code: int, *, as_json: bool = False, kind: str | None = None) -> int:
    """The error on standard error and its exit code; with `--json`, one JSON document with
    `error` on standard output too."""
    if as_json:
        print(json.dumps(error_json(message, code, kind), indent=2))
    print(f"mrtd: {message}", file=sys.stderr)
    return code


def run_readers(args: argparse.Namespace) -> int:
    """List the readers this machine offers (nfcpy devices, PC/SC readers). Exit 0, also
    for none; exit 4 when the PC/SC service cannot be reached (pcscd not running), which is
    not the same as no reader connected to it. `--json`: one document, `readers` (each with
    `name` and `description`), or `error` (with the readers found before it)."""
    as_json = bool(getattr(args, "json", False))
    from mrtd.readers import nfc, pcsc  # noqa: PLC0415 - the back-ends only when asked

    found = [ReaderInfo(f"nfc:{device.path}", device.driver) for device in nfc.list_devices()]
    try:
        found += [ReaderInfo(f"pcsc:{n}", name) for n, name in enumerate(pcsc.list_readers())]
    except TransportError as exc:
        if not isinstance(exc.__cause__, ImportError):
            message = f"no PC/SC service (is pcscd running?): {exc}"
            if as_json:
                report = error_json(message, EXIT_TRANSPORT, type(exc).__name__)
                print(json.dumps({**report, "readers": _listed(found)}, indent=2))
            else:
                for reader in found:
                    print(f"{reader.name}  ({reader.description})")
            return _fail(message, EXIT_TRANSPORT)
        print(f"mrtd: PC/SC readers not listed: {exc}", file=sys.stderr)  # no pyscard
    if as_json:
        print(json.dumps({"schema_version": SCHEMA_VERSION, "readers": _listed(found)}, indent=2))
        return EXIT_OK
    for reader in found:
        print(f"{reader.name}  ({reader.description})")
    if not found:
        print("no readers found (the simulated chip is always there: --reader sim)")
    return EXIT_OK


def _listed(readers: list[ReaderInfo]) -> list[dict[str, str]]:
    return [{"name": reader.name, "description": reader.description} for reader in readers]
