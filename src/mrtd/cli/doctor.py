"""`mrtd doctor`: what this machine has, for a user debugging an install.

The mrtd and Python versions, the crypto core in use (the native C core, or the pure-Python
twin and why), the base dependencies against the versions mrtd declares, each optional extra
(pcsc, nfc, image, ocr) part by part, the tesseract binary, and the services a reader needs:
pcscd, the PC/SC readers it sees, nfcpy's USB devices. Each check is a small function that
returns a typed record; printing is apart (`format_text`, `Report.to_dict`).

Every probe is bounded in time (`PROBE_SECONDS`) and none raises: a missing part is reported
as missing, a broken one as broken with the exception's type and a short message. Nothing
personal is read: no paths under a home folder, no card, no chip; readers are listed, not
opened, and USB devices are enumerated, not opened (serial ports are not probed).

Exit status: 0 the base install works (missing extras, tools and services are reported, not
failures); 1 it does not: a base dependency missing, broken or older than mrtd declares, or a
crypto core that fails its self-test; 2 bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import hmac
import importlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from cryptography.hazmat.primitives import cmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import algorithms

from mrtd import __version__, crypto
from mrtd.cli.exit_status import EXIT_CHECK_FAILED, EXIT_OK, SCHEMA_VERSION
from mrtd.crypto.domains import CURVES_BY_NAME
from mrtd.crypto.ec import ECGroup
from mrtd.crypto.ec import ec_backend as ec_backend_of_mrtd
from mrtd.errors import OptionalDependencyError

__all__ = [
    "PROBE_SECONDS",
    "Check",
    "CoreCheck",
    "Extra",
    "Report",
    "Status",
    "add_doctor_parser",
    "check_core",
    "check_extra",
    "check_module",
    "check_nfc_devices",
    "check_pcsc_readers",
    "check_pcscd",
    "check_tesseract",
    "diagnose",
    "format_text",
    "run_doctor",
]

PROBE_SECONDS = 5.0  # the longest any one probe may take
PCSCD_SOCKET = "/run/pcscd/pcscd.comm"  # pcsc-lite's default; PCSCLITE_CSOCK_NAME overrides
_MESSAGE_LENGTH = 160

T = TypeVar("T")


class Status(enum.StrEnum):
    OK = "ok"
    MISSING = "missing"  # not installed, not on PATH, not running
    BROKEN = "broken"  # there, but it fails (import error, too old, no answer in time)
    NOT_PROBED = "not probed"  # not looked at (what it needs is missing, or looking is unsafe)


@dataclass(frozen=True, slots=True)
class Check:
    """One thing looked at: a module, a binary, a service."""

    name: str
    status: Status
    version: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": str(self.status),
            "version": self.version,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class CoreCheck:
    """The crypto core in use: `backend` is `mrtd.crypto.backend()` (secure messaging) and
    `ec_backend` is `mrtd.crypto.ec.ec_backend()` (EC arithmetic); each is "native" (the C
    core) or "python" (its pure-Python twin). `reason` says why native is not in use ("" when
    it is); `self_test` checks the core in use against pyca/cryptography."""

    backend: Literal["native", "python"]
    ec_backend: Literal["native", "python"]
    openssl: str | None
    reason: str
    self_test: Check

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "ec_backend": self.ec_backend,
            "openssl": self.openssl,
            "reason": self.reason,
            "self_test": self.self_test.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Extra:
    """An optional extra (`pip install 'mrtd[NAME]'`) and its parts; its status is the worst
    of theirs."""

    name: str
    parts: tuple[Check, ...]

    @property
    def status(self) -> Status:
        found = {part.status for part in self.parts}
        for worst in (Status.BROKEN, Status.MISSING, Status.NOT_PROBED):
            if worst in found:
                return worst
        return Status.OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": str(self.status),
            "parts": [part.to_dict() for part in self.parts],
        }


@dataclass(frozen=True, slots=True)
class Report:
    mrtd: str
    python: str
    platform: str
    core: CoreCheck
    dependencies: tuple[Check, ...]
    extras: tuple[Extra, ...]
    services: tuple[Check, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether the base install works (extras and services do not count)."""
        base = (*self.dependencies, self.core.self_test)
        return all(check.status is Status.OK for check in base)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mrtd": self.mrtd,
            "python": self.python,
            "platform": self.platform,
            "ok": self.ok,
            "core": self.core.to_dict(),
            "dependencies": [check.to_dict() for check in self.dependencies],
            "extras": [extra.to_dict() for extra in self.extras],
            "services": [check.to_dict() for check in self.services],
        }


# -- bounded probes ---------------------------------------------------------------------------


class ProbeError(Exception):
    """A probe gave no answer in time (it goes on in a daemon thread, ignored), or ended with
    SystemExit or another BaseException that is not an Exception."""


def bounded(probe: Callable[[], T], seconds: float = PROBE_SECONDS) -> T:
    """`probe()`, run in a daemon thread: its result or exception, or ProbeError after
    `seconds` (a probe that hangs cannot hold the command, nor its exit)."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(probe())
        except BaseException as exc:  # reported by the caller, SystemExit too
            failure.append(exc)

    thread = threading.Thread(target=run, name="mrtd-doctor-probe", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise ProbeError(f"no answer in {seconds:g} s")
    if failure:
        if isinstance(failure[0], Exception):
            raise failure[0]
        raise ProbeError(describe(failure[0]))
    return outcome[0]


def describe(exc: BaseException) -> str:
    """The exception's type and the first line of its message, bounded."""
    lines = str(exc).strip().splitlines()
    message = lines[0][:_MESSAGE_LENGTH] if lines else ""
    if isinstance(exc, ProbeError):
        return message
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# -- modules and versions ---------------------------------------------------------------------


def check_module(
    name: str,
    module: str,
    distribution: str | None = None,
    *,
    seconds: float = PROBE_SECONDS,
) -> Check:
    """Import `module` (bounded) and report its version, checked against the lower bound
    mrtd declares for `distribution` (default: `name`) when there is one."""
    distribution = distribution or name
    try:
        imported = bounded(lambda: importlib.import_module(module), seconds)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module == exc.name or module.startswith(f"{exc.name}.")):
            return Check(name, Status.MISSING, detail=f"not installed (import {module})")
        return Check(name, Status.BROKEN, detail=describe(exc))
    except Exception as exc:
        return Check(name, Status.BROKEN, detail=describe(exc))
    version = _version(imported, distribution)
    floor = declared_floors().get(_normalize(distribution))
    if version is not None and floor is not None and _release(version) < _release(floor):
        return Check(name, Status.BROKEN, version, f"older than mrtd declares (>={floor})")
    return Check(name, Status.OK, version)


def _version(module: Any, distribution: str) -> str | None:
    version = getattr(module, "__version__", None)
    if isinstance(version, str):
        return version
    try:
        return importlib.metadata.version(distribution)
    except (importlib.metadata.PackageNotFoundError, ValueError, OSError):
        return None


_FLOOR = re.compile(r"\s*([A-Za-z0-9._-]+)\s*(?:\[[^]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)")


def declared_floors() -> dict[str, str]:
    """The `>=` lower bounds in mrtd's installed metadata, by normalized distribution name
    (extras included); empty when mrtd runs uninstalled."""
    try:
        requirements = importlib.metadata.requires("mrtd") or []
    except (importlib.metadata.PackageNotFoundError, ValueError, OSError):
        return {}
    floors = {}
    for requirement in requirements:
        found = _FLOOR.match(requirement)
        if found:
            floors[_normalize(found[1])] = found[2]
    return floors


def _normalize(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _release(version: str) -> tuple[int, ...]:
    """The leading numbers of a version ("4.10.0.84" -> (4, 10, 0, 84); "2.0rc1" -> (2, 0)),
    padded so that 4.8 == 4.8.0."""
    numbers = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        numbers.append(int(digits[0]))
        if digits[0] != part:
            break
    return (*numbers, *[0] * (6 - len(numbers)))


# -- the crypto core --------------------------------------------------------------------------

_NOT_BUILT = (
    "not built: the install had no C compiler or no OpenSSL headers (libssl-dev); the "
    "pure-Python twin gives the same results, slower"
)


def check_core() -> CoreCheck:
    """Which core is in use, why native is not, and a self-test of the one in use."""
    backend, ec_backend = crypto.backend(), ec_backend_of_mrtd()
    modules_by_reason: dict[str, list[str]] = {}
    for module, active in (("mrtd.crypto._core", backend), ("mrtd.crypto._ec", ec_backend)):
        if active != "native":
            modules_by_reason.setdefault(_why_not_native(module), []).append(module)
    reasons = [f"{' and '.join(mods)}: {why}" for why, mods in modules_by_reason.items()]
    openssl = None
    if backend == "native":
        with contextlib.suppress(Exception):  # the version is a nicety
            openssl = importlib.import_module("mrtd.crypto._core").openssl_version()
    return CoreCheck(backend, ec_backend, openssl, "; ".join(reasons), _self_test())


def _why_not_native(module: str) -> str:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return _NOT_BUILT
        return f"built but does not load: {describe(exc)}"
    except Exception as exc:  # e.g. ImportError: libcrypto.so.3: cannot open shared object
        return f"built but does not load: {describe(exc)}"
    return "loads now, but did not when mrtd.crypto was imported"


def _self_test() -> Check:
    """The core in use against pyca/cryptography: an AES secure-messaging MAC (AES-CMAC over
    method-2 padding, 8 bytes) and 2G on P-256."""
    try:
        return bounded(_run_self_test)
    except Exception as exc:
        return Check("self-test", Status.BROKEN, detail=describe(exc))


def _run_self_test() -> Check:
    key, data = bytes(range(16)), b"mrtd doctor"
    padded = data + b"\x80" + bytes(-(len(data) + 1) % 16)
    expected = cmac.CMAC(algorithms.AES(key))
    expected.update(padded)
    ours = crypto.mac(crypto.SMAlgorithm.AES, key, data)
    if not hmac.compare_digest(ours, expected.finalize()[:8]):  # the habit, for a test key too
        return Check("self-test", Status.BROKEN, detail="the secure-messaging MAC is wrong")
    point = ec.derive_private_key(2, ec.SECP256R1()).public_key()
    uncompressed = point.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    if ECGroup(CURVES_BY_NAME["P-256"]).mul(2) != uncompressed:
        return Check("self-test", Status.BROKEN, detail="EC point multiplication is wrong")
    return Check("self-test", Status.OK, detail="secure-messaging MAC and EC arithmetic")


# -- extras -----------------------------------------------------------------------------------

# name: (part name, module, distribution) for each Python part
_EXTRAS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "pcsc": (("pyscard", "smartcard", "pyscard"),),
    "nfc": (("nfcpy", "nfc", "nfcpy"),),
    "image": (("opencv", "cv2", "opencv-python-headless"), ("numpy", "numpy", "numpy")),
    "ocr": (
        ("opencv", "cv2", "opencv-python-headless"),
        ("numpy", "numpy", "numpy"),
        ("pytesseract", "pytesseract", "pytesseract"),
    ),
    "service": (
        ("fastapi", "fastapi", "fastapi"),
        ("uvicorn", "uvicorn", "uvicorn"),
        ("sqlalchemy", "sqlalchemy", "sqlalchemy"),
        ("alembic", "alembic", "alembic"),
        ("prometheus-client", "prometheus_client", "prometheus-client"),
        ("websockets", "websockets", "websockets"),
    ),
    "postgres": (("psycopg", "psycopg", "psycopg"),),
    "face": (
        ("dlib", "dlib", "dlib-bin"),
        ("opencv", "cv2", "opencv-python-headless"),
        ("numpy", "numpy", "numpy"),
    ),
}


def check_extra(name: str) -> Extra:
    """An extra's Python parts; the ocr extra also has the tesseract binary, the face extra
    its model files."""
    parts = [check_module(part, module, dist) for part, module, dist in _EXTRAS[name]]
    if name == "ocr":
        parts.append(check_tesseract())
    if name == "face":
        parts.append(check_face_models())
    return Extra(name, tuple(parts))


def check_face_models() -> Check:
    """The two model files the face extra uses, found, never opened (nor the 68-point one)."""
    from mrtd.face.models import ALLOWED_MODELS, model_path  # noqa: PLC0415

    try:
        sizes = [model_path(name).stat().st_size for name in sorted(ALLOWED_MODELS)]
    except (OptionalDependencyError, OSError) as exc:
        return Check("face models", Status.MISSING, detail=describe(exc))
    return Check("face models", Status.OK, detail=f"ResNet and 5-point: {sum(sizes) >> 20} MiB")


def check_tesseract(seconds: float = PROBE_SECONDS) -> Check:
    """The `tesseract` binary on PATH: its version and languages."""
    path = shutil.which("tesseract")
    if path is None:
        return Check("tesseract", Status.MISSING, detail="not on PATH (Debian: tesseract-ocr)")
    try:
        shown = _run([path, "--version"], seconds)
    except _RunError as exc:
        return Check("tesseract", Status.BROKEN, detail=f"tesseract --version: {exc}")
    found = re.search(r"tesseract\s+v?([0-9][^\s]*)", shown)
    version = found[1] if found else None
    try:
        listed = _run([path, "--list-langs"], seconds)
    except _RunError as exc:
        return Check("tesseract", Status.OK, version, f"tesseract --list-langs: {exc}")
    languages = [line.strip() for line in listed.splitlines()[1:] if line.strip()]
    return Check("tesseract", Status.OK, version, f"languages: {', '.join(languages) or 'none'}")


class _RunError(Exception):
    """A command that could not run, failed or gave no answer in time (the message says)."""


def _run(command: list[str], seconds: float) -> str:
    """stdout and stderr of `command` (tesseract 3 printed its version on stderr)."""
    try:
        done = subprocess.run(  # noqa: S603 - the binary found on PATH, fixed arguments
            command,
            check=False,
            capture_output=True,
            text=True,
            timeout=seconds,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise _RunError(f"no answer in {seconds:g} s") from None
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise _RunError(describe(exc)) from None
    if done.returncode:
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()
        first = f": {said[0][:_MESSAGE_LENGTH]}" if said else ""
        raise _RunError(f"exit status {done.returncode}{first}")
    return f"{done.stdout}\n{done.stderr}".strip()


# -- services ---------------------------------------------------------------------------------


def check_pcscd(seconds: float = 2.0) -> Check:
    """Whether pcsc-lite's daemon accepts a connection on its socket (connect, then close)."""
    if sys.platform in ("win32", "darwin"):
        return Check("pcscd", Status.NOT_PROBED, detail="PC/SC is part of the OS here")
    path = os.environ.get("PCSCLITE_CSOCK_NAME") or PCSCD_SOCKET
    if not Path(path).exists():
        return Check("pcscd", Status.MISSING, detail=f"not running (no socket {path})")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(seconds)
            client.connect(path)
    except ConnectionRefusedError:
        return Check("pcscd", Status.MISSING, detail=f"not running (nobody listens on {path})")
    except (OSError, ValueError) as exc:
        return Check("pcscd", Status.BROKEN, detail=f"{path}: {describe(exc)}")
    return Check("pcscd", Status.OK, detail=f"reachable at {path}")


def check_pcsc_readers(pcscd: Check | None = None, seconds: float = PROBE_SECONDS) -> Check:
    """The PC/SC readers pcscd offers, listed through pyscard (not opened); not probed when
    `pcscd` (the result of `check_pcscd`) says the daemon is not running."""
    name = "PC/SC readers"
    if pcscd is not None and pcscd.status is Status.MISSING:
        return Check(name, Status.NOT_PROBED, detail="pcscd is not running")
    if _absent("smartcard"):
        return Check(name, Status.NOT_PROBED, detail="pyscard is not installed")
    from mrtd.readers.pcsc import list_readers  # noqa: PLC0415 - pyscard only when used

    try:
        readers = bounded(list_readers, seconds)
    except Exception as exc:
        return Check(name, Status.MISSING, detail=describe(exc))
    if not readers:
        return Check(name, Status.MISSING, detail="none connected")
    return Check(name, Status.OK, detail=f"{len(readers)}: {'; '.join(readers)}")


def check_nfc_devices(seconds: float = PROBE_SECONDS) -> Check:
    """nfcpy's USB readers, from the USB device list (enumerated, not opened)."""
    name = "nfcpy devices"
    if _absent("nfc"):
        return Check(name, Status.NOT_PROBED, detail="nfcpy is not installed")
    from mrtd.readers.nfc import list_devices  # noqa: PLC0415 - nfcpy only when used

    try:
        devices = bounded(list_devices, seconds)
    except Exception as exc:
        return Check(name, Status.BROKEN, detail=describe(exc))
    note = "USB only; serial readers are not probed"
    if not devices:
        return Check(name, Status.MISSING, detail=f"none found ({note})")
    listed = "; ".join(str(device) for device in devices)
    return Check(name, Status.OK, detail=f"{len(devices)}: {listed} ({note})")


def _absent(module: str) -> bool:
    """Whether `module` cannot be imported (bounded; a broken one counts as absent here: its
    extra's line says why)."""
    try:
        bounded(lambda: importlib.import_module(module))
    except Exception:
        return True
    return False


# -- the report -------------------------------------------------------------------------------


def diagnose() -> Report:
    """Every check, in the order they are printed."""
    python = f"{platform.python_version()} ({platform.python_implementation()})"
    machine = f"{platform.system()} {platform.machine()}".strip()
    return Report(
        mrtd=__version__,
        python=python,
        platform=machine,
        core=check_core(),
        dependencies=(
            check_module("cryptography", "cryptography"),
            check_module("asn1crypto", "asn1crypto"),
        ),
        extras=tuple(check_extra(name) for name in _EXTRAS),
        services=(pcscd := check_pcscd(), check_pcsc_readers(pcscd), check_nfc_devices()),
    )


def format_text(report: Report) -> str:
    core = report.core
    if core.backend == core.ec_backend == "native":
        used = f"native C core ({core.openssl})" if core.openssl else "native C core"
    elif core.backend == core.ec_backend == "python":
        used = "pure-Python twin"
    else:
        used = f"secure messaging: {core.backend}, EC arithmetic: {core.ec_backend}"
    test = core.self_test
    lines = [
        f"mrtd {report.mrtd} on Python {report.python}, {report.platform}",
        f"crypto core: {used}; self-test {'passed' if test.status is Status.OK else 'FAILED'}"
        + (f" ({test.detail})" if test.status is not Status.OK else ""),
    ]
    if core.reason:
        lines.append(f"  why not native: {core.reason}")
    lines.append("dependencies")
    lines += [_line(check.name, check.status, _version_and_detail(check))
              for check in report.dependencies]  # fmt: skip
    lines.append("extras (pip install 'mrtd[NAME]')")
    for extra in report.extras:
        parts = "; ".join(_part(part) for part in extra.parts)
        lines.append(_line(extra.name, extra.status, parts))
    lines.append("services")
    lines += [_line(check.name, check.status, check.detail) for check in report.services]
    lines.append("base install: " + ("works" if report.ok else "DOES NOT WORK (exit 1)"))
    return "\n".join(lines)


def _line(name: str, status: Status, text: str) -> str:
    return f"  {name:<14} {status:<10} {text}".rstrip()


def _version_and_detail(check: Check) -> str:
    return " ".join(item for item in (check.version, check.detail) if item)


def _part(check: Check) -> str:
    if check.status is Status.OK:
        named = " ".join(item for item in (check.name, check.version) if item)
        return f"{named} ({check.detail})" if check.detail else named
    return f"{check.name}: {check.detail or check.status}"


# -- the command ------------------------------------------------------------------------------


_DESCRIPTION = (
    "Report the mrtd and Python versions, the crypto core in use (native C core or "
    "pure-Python twin, and why), the dependencies, each optional extra, the tesseract binary, "
    "pcscd and the readers it sees. Every probe is bounded in time; no reader or card is opened."
)
_EPILOG = (
    "Example: mrtd doctor --json. "
    "Exit status: 0 the base install works (missing extras and services are reported, not "
    "failures); 1 it does not (a base dependency missing, broken or older than mrtd declares, "
    "or a crypto core that fails its self-test); 2 bad usage."
)


def add_doctor_parser(commands: Any) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="report what this machine has for mrtd (core, extras, readers)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    _add_arguments(doctor)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.set_defaults(run=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    report = diagnose()
    if args.json:
        print(json.dumps({"schema_version": SCHEMA_VERSION, **report.to_dict()}, indent=2))
    else:
        print(format_text(report))
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m mrtd.cli.doctor [--json]`: the same report where the `mrtd` script is not on
    PATH (a `pip install --user` whose script folder is not on PATH)."""
    parser = argparse.ArgumentParser(
        prog="python -m mrtd.cli.doctor", description=_DESCRIPTION, epilog=_EPILOG
    )
    _add_arguments(parser)
    return run_doctor(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
