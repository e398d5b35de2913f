"""The real PC/SC stack for the interop tests: pcscd + vsmartcard's vpcd driver + pyscard.

The session fixture starts its own `pcscd --foreground` and stops it by PID. The daemon gets a
private listening socket through systemd-style socket activation (LISTEN_FDS; pcsc-lite 1.9.9
binds /run/pcscd/pcscd.comm otherwise, and ignores PCSCLITE_CSOCK_NAME on the server side),
and libpcsclite in this process and in subprocesses finds it through PCSCLITE_CSOCK_NAME.
libpcsclite reads that variable once per process, at its first use, so it is set when this
file is imported, before any test of the session can touch PC/SC: in a run that collects
tests/interop, every in-process PC/SC client sees this pcscd (or none), never the machine's.
Its reader.conf.d is a temporary one declaring the vpcd driver on two free TCP ports, so a
pcscd already on the machine, with or without vpcd, is neither used nor disturbed; one that is
running makes the fixture fail, because pcscd always writes /run/pcscd/pcscd.pid.

Missing pieces (pcscd, the vpcd driver, pyscard) skip these tests, or fail them when
MRTD_REQUIRE_INTEROP=1 (`make test` sets it). With MRTD_TEST_READER set (the hardware tests,
which need the machine's pcscd) they are skipped: run them in separate pytest processes.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from mrtd.errors import TransportError
from mrtd.readers.pcsc import list_readers
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.vpcd import VPCDBridge

SYSTEM_VPCD_CONFIG = Path("/etc/reader.conf.d/vpcd")
DEFAULT_VPCD_LIBRARY = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
SYSTEM_PID_FILE = Path("/run/pcscd/pcscd.pid")
READER_NAME = "mrtd vpcd"  # pcscd appends the slot: "mrtd vpcd 00 00", "mrtd vpcd 00 01"
MARKER = "mrtd-interop-pcscd"  # in our pcscd's command line (its config directory)
START_SECONDS = 10.0
STOP_SECONDS = 5.0

PRIVATE = Path(tempfile.mkdtemp(prefix=f"{MARKER}-"))  # short: a socket path has 107 bytes
atexit.register(shutil.rmtree, PRIVATE, ignore_errors=True)
SOCKET_PATH = PRIVATE / "pcscd.comm"
if not os.environ.get("MRTD_TEST_READER"):
    os.environ["PCSCLITE_CSOCK_NAME"] = str(SOCKET_PATH)

# Replaces itself (same PID) with pcscd after putting the listening socket on fd 3 and
# announcing it the systemd way (sd_listen_fds checks LISTEN_PID against getpid()). The
# parent-death signal (Linux prctl PR_SET_PDEATHSIG, kept across exec) ends pcscd even when
# the test process is killed before its teardown runs.
SOCKET_ACTIVATION = (
    "import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGTERM); "
    "fd = int(sys.argv[1]); fd == 3 or os.dup2(fd, 3); "
    "os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid())); "
    "os.execvp(sys.argv[2], sys.argv[2:])"
)


@dataclass(frozen=True)
class PCSCStack:
    socket_path: Path
    port: int  # vpcd slot 0; slot 1 listens on port + 1
    readers: tuple[str, str]
    log: Path
    pid: int

    def env(self) -> dict[str, str]:
        """The environment for a subprocess that should use this pcscd."""
        return {**os.environ, "PCSCLITE_CSOCK_NAME": str(self.socket_path)}


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("MRTD_REQUIRE_INTEROP") == "1":
        pytest.fail(f"{reason} (MRTD_REQUIRE_INTEROP=1)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_pyscard() -> None:
    if importlib.util.find_spec("smartcard") is None:
        unavailable("pyscard is not installed (pip install 'mrtd[pcsc]')")


@pytest.fixture(scope="session")
def pcsc_stack() -> Iterator[PCSCStack]:
    if os.environ.get("MRTD_TEST_READER"):
        pytest.skip("the hardware tests use the machine's pcscd: run tests/interop separately")
    pcscd = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")
    if pcscd is None:
        unavailable("pcscd is not installed (Debian: pcscd)")
    library = _vpcd_library()
    if not library.exists():
        unavailable(f"the vpcd driver {library} is missing (Debian: vsmartcard-vpcd)")
    require_pyscard()
    _refuse_if_system_pcscd_runs()

    port = _free_port_pair()
    config = PRIVATE / "reader.conf.d"
    config.mkdir(exist_ok=True)
    (config / "vpcd").write_text(
        f'FRIENDLYNAME "{READER_NAME}"\n'
        f"DEVICENAME   /dev/null:{port}\n"
        f"LIBPATH      {library}\n"
        f"CHANNELID    {port}\n"
    )
    log = PRIVATE / "pcscd.log"
    process = _start_pcscd(pcscd, SOCKET_PATH, config, log)
    try:
        readers = _wait_for_readers(process, log)
        yield PCSCStack(SOCKET_PATH, port, readers, log, process.pid)
    finally:
        _stop(process)
        SOCKET_PATH.unlink(missing_ok=True)


@contextmanager
def served(
    chip: SimulatedChip, stack: PCSCStack, slot: int = 0, *, atr: bytes | None = None
) -> Iterator[VPCDBridge]:
    """`chip` in vpcd slot `slot` while the block runs; present in PC/SC when it starts,
    and gone from PC/SC again when it ends (so the next test starts from an empty reader)."""
    bridge = VPCDBridge(chip, "127.0.0.1", stack.port + slot, atr=atr)
    stop = threading.Event()
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            bridge.serve(stop)
        except BaseException as exc:
            failures.append(exc)
            raise

    thread = threading.Thread(target=serve, name=f"vpcd-bridge-{slot}", daemon=True)
    thread.start()
    try:
        wait_for_card(stack.readers[slot], present=True)
        yield bridge
    finally:
        stop.set()
        thread.join(STOP_SECONDS)
        assert not thread.is_alive(), "the vpcd bridge did not stop"
        assert not failures
        wait_for_card(stack.readers[slot], present=False)


def wait_for_card(reader: str, *, present: bool, timeout: float = 5.0) -> None:
    """Until pcscd reports the reader with (or without) a card; it polls vpcd every 0.4 s."""
    scard = importlib.import_module("smartcard.scard")
    deadline = time.monotonic() + timeout
    while True:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
        try:
            hresult, states = scard.SCardGetStatusChange(
                context, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
            )
        finally:
            scard.SCardReleaseContext(context)
        if (
            hresult == scard.SCARD_S_SUCCESS
            and bool(states[0][1] & scard.SCARD_STATE_PRESENT) == present
        ):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"pcscd did not see the card {'arrive' if present else 'leave'}")
        time.sleep(0.05)


def _vpcd_library() -> Path:
    """LIBPATH of the packaged vpcd configuration, the Debian path without it."""
    if SYSTEM_VPCD_CONFIG.exists():
        for line in SYSTEM_VPCD_CONFIG.read_text().splitlines():
            key, _, value = line.strip().partition(" ")
            if key == "LIBPATH" and value.strip():
                return Path(value.strip())
    return DEFAULT_VPCD_LIBRARY


def _refuse_if_system_pcscd_runs() -> None:
    """Another pcscd's pid file would be overwritten (and then deleted) by ours."""
    try:
        pid = int(SYSTEM_PID_FILE.read_text().strip("\0\n "))
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError):
        return  # no pcscd running (or a stale pid file)
    if "pcscd" in command and MARKER not in command:
        pytest.fail(
            f"a pcscd (pid {pid}) is already running; these tests start their own on a "
            "private socket but would overwrite its /run/pcscd/pcscd.pid. Stop it first "
            "(systemctl stop pcscd.socket pcscd.service) or run without tests/interop."
        )


def _free_port_pair() -> int:
    """A TCP port p with p + 1 also free on every interface (vpcd binds INADDR_ANY)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("0.0.0.0", 0))  # probing what vpcd will bind
            port = first.getsockname()[1]
            if port >= 0xFFFF:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("0.0.0.0", port + 1))
                except OSError:
                    continue
        return int(port)
    pytest.fail("no pair of free TCP ports for the vpcd slots")


def _start_pcscd(pcscd: str, socket_path: Path, config: Path, log: Path) -> subprocess.Popen[bytes]:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(socket_path))
        listener.listen(16)
        fd = listener.fileno()
        with log.open("wb") as output:
            return subprocess.Popen(
                [sys.executable, "-c", SOCKET_ACTIVATION, str(fd),
                 pcscd, "--foreground", "--debug", "--config", str(config)],
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal does not reach it
            )  # fmt: skip
    finally:
        listener.close()  # pcscd has its own copy


def _wait_for_readers(process: subprocess.Popen[bytes], log: Path) -> tuple[str, str]:
    deadline = time.monotonic() + START_SECONDS
    problem = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"pcscd exited with {process.returncode}:\n{_tail(log)}")
        try:
            ours = tuple(name for name in list_readers() if name.startswith(READER_NAME))
        except TransportError as exc:
            ours, problem = (), str(exc)
        if len(ours) == 2:
            return ours[0], ours[1]
        time.sleep(0.05)
    pytest.fail(
        f"pcscd did not offer the vpcd readers within {START_SECONDS:.0f} s ({problem}). If "
        "PC/SC was used in this process before tests/interop/conftest.py was imported, "
        f"libpcsclite kept the default socket.\n{_tail(log)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to our pcscd's PID (never by name); SIGKILL if it will not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_SECONDS)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no pcscd log)"
