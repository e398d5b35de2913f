"""`mrtd serve` as a real process on loopback, for the tests: started on a free port, waited
for on /healthz, stopped by its PID (SIGTERM, then SIGKILL of its process group)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.service import chips

MRTD = Path(sys.executable).with_name("mrtd")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(folder: Path, database_url: str, **service: object) -> Path:
    """A service configuration trusting mrtd's test CSCAs (with their CRLs)."""
    csca = chips.export_trust(folder)
    lines = ["[service]"] + [f"{k} = {json.dumps(v)}" for k, v in service.items()]
    lines += ["[database]", f"url = {json.dumps(database_url)}"]
    lines += ["[trust]", f"paths = [{json.dumps(str(csca))}]", "allow_test_pki = true"]
    path = folder / f"service-{free_port()}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@contextmanager
def serving(config: Path, *, workers: int = 1, timeout: float = 30.0) -> Iterator[str]:
    """`mrtd serve --config config` on 127.0.0.1 and a free port: its base URL."""
    port = free_port()
    log = config.with_suffix(f".{port}.log")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(MRTD), "serve", "--config", str(config), "--port", str(port),
             "--workers", str(workers)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers go with it
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, timeout, log)
        yield url
    finally:
        _stop(process)


def _wait_until_healthy(
    url: str, process: subprocess.Popen[bytes], timeout: float, log: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mrtd serve exited {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"mrtd serve not healthy in {timeout} s: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group we started, by its PID
            process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError, PermissionError):  # workers left behind
        os.killpg(process.pid, signal.SIGKILL)
