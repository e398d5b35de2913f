"""`mrtd doctor`: the crypto core it reports is the one in use, missing and broken parts are
reported as such (never raised), every probe is bounded in time, the JSON keys and exit codes."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import pytest

import mrtd
from mrtd import crypto
from mrtd.cli import doctor, main
from mrtd.cli.doctor import (
    Check,
    Status,
    check_core,
    check_extra,
    check_module,
    check_pcsc_readers,
    check_pcscd,
    check_tesseract,
    format_text,
)
from mrtd.crypto.ec import ec_backend

CHECK_KEYS = {"name", "status", "version", "detail"}
STATUSES = {str(status) for status in Status}


class _Refuse(importlib.abc.MetaPathFinder):
    """Makes `import NAME` (and its submodules) raise `error`, as the import system would."""

    def __init__(self, name: str, error: ImportError) -> None:
        self.name, self.error = name, error

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.name or fullname.startswith(f"{self.name}."):
            raise self.error
        return None


Refuse = Callable[[str, ImportError], None]


@pytest.fixture
def refuse_import(monkeypatch: pytest.MonkeyPatch) -> Refuse:
    """refuse(name, error): importing `name` raises `error` until the test ends."""

    def refuse(name: str, error: ImportError) -> None:
        for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            monkeypatch.delitem(sys.modules, loaded)
        monkeypatch.setattr(sys, "meta_path", [_Refuse(name, error), *sys.meta_path])

    return refuse


# -- the crypto core --------------------------------------------------------------------------


def test_the_core_reported_is_the_one_in_use() -> None:
    core = check_core()
    assert core.backend == crypto.backend()
    assert core.ec_backend == ec_backend()
    assert core.self_test.status is Status.OK
    if core.backend == core.ec_backend == "native":
        assert core.reason == ""
        assert core.openssl is not None
        assert "OpenSSL" in core.openssl
    else:
        assert "not built" in core.reason or "does not load" in core.reason


def test_the_twin_is_reported_with_why_the_core_is_not_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(crypto, "backend", lambda: "python")
    monkeypatch.setattr(doctor, "ec_backend_of_mrtd", lambda: "native")  # _core alone first
    monkeypatch.setitem(sys.modules, "mrtd.crypto._core", None)  # as if never built
    core = check_core()
    assert core.backend == "python"
    assert core.openssl is None
    assert core.reason.startswith("mrtd.crypto._core: not built: ")
    assert "libssl-dev" in core.reason
    monkeypatch.setattr(doctor, "ec_backend_of_mrtd", lambda: "python")
    monkeypatch.setitem(sys.modules, "mrtd.crypto._ec", None)
    both = check_core()
    assert both.reason.startswith("mrtd.crypto._core and mrtd.crypto._ec: not built: ")
    assert both.reason.count("not built") == 1
    assert "crypto core: " in format_text(doctor.diagnose())


def test_a_core_that_is_built_but_does_not_load(
    monkeypatch: pytest.MonkeyPatch, refuse_import: Refuse
) -> None:
    error = ImportError("libcrypto.so.3: cannot open shared object file: No such file")
    refuse_import("mrtd.crypto._ec", error)
    monkeypatch.setattr(doctor, "ec_backend_of_mrtd", lambda: "python")
    core = check_core()
    assert core.ec_backend == "python"
    assert core.reason.endswith(  # after _core's reason, on an install without the C core
        "mrtd.crypto._ec: built but does not load: ImportError: libcrypto.so.3: cannot open "
        "shared object file: No such file"
    )


# -- modules and extras -----------------------------------------------------------------------


def test_a_module_that_is_not_installed_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "smartcard", None)  # `import smartcard` now fails
    check = check_module("pyscard", "smartcard")
    assert check == Check("pyscard", Status.MISSING, detail="not installed (import smartcard)")
    extra = check_extra("pcsc")
    assert extra.status is Status.MISSING
    assert extra.parts == (check,)
    # ... and PC/SC readers are then not probed (even with pcscd running).
    readers = check_pcsc_readers(Check("pcscd", Status.OK))
    assert readers.status is Status.NOT_PROBED
    assert readers.detail == "pyscard is not installed"


def test_a_module_hidden_from_the_import_system_is_missing(refuse_import: Refuse) -> None:
    refuse_import("numpy", ModuleNotFoundError("No module named 'numpy'", name="numpy"))
    assert check_module("numpy", "numpy").status is Status.MISSING
    image = check_extra("image")
    assert image.status is Status.MISSING
    assert [part.name for part in image.parts] == ["opencv", "numpy"]


def test_a_module_that_fails_to_load_is_broken(refuse_import: Refuse) -> None:
    error = ImportError("libGL.so.1: cannot open shared object file: No such file or directory")
    refuse_import("cv2", error)
    check = check_module("opencv", "cv2", "opencv-python-headless")
    assert check.status is Status.BROKEN
    assert check.detail == (
        "ImportError: libGL.so.1: cannot open shared object file: No such file or directory"
    )
    assert check_extra("ocr").status is Status.BROKEN


def test_a_module_missing_one_of_its_own_imports_is_broken(refuse_import: Refuse) -> None:
    inner = ModuleNotFoundError("No module named 'usb1'", name="usb1")
    refuse_import("nfc", inner)
    check = check_module("nfcpy", "nfc")
    assert check.status is Status.BROKEN
    assert check.detail == "ModuleNotFoundError: No module named 'usb1'"


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_an_import_that_raises_or_exits_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _module(tmp_path, monkeypatch, "mrtd_doctor_raises", "raise RuntimeError('no GPU\\nmore')\n")
    _module(tmp_path, monkeypatch, "mrtd_doctor_exits", "raise SystemExit(3)\n")
    raised = check_module("raises", "mrtd_doctor_raises")
    assert (raised.status, raised.detail) == (Status.BROKEN, "RuntimeError: no GPU")
    exited = check_module("exits", "mrtd_doctor_exits")
    assert (exited.status, exited.detail) == (Status.BROKEN, "SystemExit: 3")


def test_an_import_that_hangs_is_given_up_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _module(tmp_path, monkeypatch, "mrtd_doctor_hangs", "import time\ntime.sleep(2)\n")
    started = time.monotonic()
    check = check_module("hangs", "mrtd_doctor_hangs", seconds=0.2)
    assert time.monotonic() - started < 1.5
    assert check == Check("hangs", Status.BROKEN, detail="no answer in 0.2 s")


def test_versions_come_from_the_module_and_are_held_to_the_declared_floor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asn1crypto  # noqa: PLC0415

    check = check_module("asn1crypto", "asn1crypto")
    assert check == Check("asn1crypto", Status.OK, asn1crypto.__version__)
    monkeypatch.setattr(doctor, "declared_floors", lambda: {"asn1crypto": "99.1"})
    old = check_module("asn1crypto", "asn1crypto")
    assert old.status is Status.BROKEN
    assert old.detail == "older than mrtd declares (>=99.1)"


def test_the_declared_floors_are_read_from_mrtd_metadata() -> None:
    floors = doctor.declared_floors()
    if not floors:
        pytest.skip("mrtd runs uninstalled: no metadata")
    assert set(floors) >= {"cryptography", "asn1crypto", "pyscard", "opencv-python-headless"}


# -- tesseract --------------------------------------------------------------------------------


def test_tesseract_not_on_path_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    check = check_tesseract()
    assert check.status is Status.MISSING
    assert check.detail.startswith("not on PATH")
    assert check_extra("ocr").parts[-1] == check


def _fake_tesseract(folder: Path, script: str) -> None:
    binary = folder / "tesseract"
    binary.write_text(f"#!/bin/sh\n{script}\n")
    binary.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for tesseract")
def test_tesseract_version_and_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tesseract(
        tmp_path,
        'if [ "$1" = --version ]; then echo "tesseract 5.9.1"; echo " leptonica-1.84.0"; '
        'else echo "List of available languages in \\"/x/\\" (2):"; echo eng; echo osd; fi',
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    assert check_tesseract() == Check("tesseract", Status.OK, "5.9.1", "languages: eng, osd")


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for tesseract")
def test_a_tesseract_that_fails_or_hangs_is_broken_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    _fake_tesseract(tmp_path, "echo 'error while loading shared libraries' >&2; exit 127")
    assert check_tesseract() == Check(
        "tesseract",
        Status.BROKEN,
        detail="tesseract --version: exit status 127: error while loading shared libraries",
    )
    _fake_tesseract(tmp_path, "exec /bin/sleep 5")
    started = time.monotonic()
    hung = check_tesseract(seconds=0.3)
    assert time.monotonic() - started < 2
    assert hung == Check(
        "tesseract", Status.BROKEN, detail="tesseract --version: no answer in 0.3 s"
    )


# -- pcscd ------------------------------------------------------------------------------------

needs_unix_sockets = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="pcsc-lite's socket"
)


@needs_unix_sockets
def test_pcscd_not_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", str(tmp_path / "pcscd.comm"))
    check = check_pcscd()
    assert check.status is Status.MISSING
    assert check.detail == f"not running (no socket {tmp_path / 'pcscd.comm'})"
    assert check_pcsc_readers(check).status is Status.NOT_PROBED


@needs_unix_sockets
def test_pcscd_reachable_and_a_stale_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pcscd.comm"
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", str(path))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        assert check_pcscd() == Check("pcscd", Status.OK, detail=f"reachable at {path}")
    assert path.exists()  # the daemon is gone, its socket file is not
    check = check_pcscd()
    assert check == Check("pcscd", Status.MISSING, detail=f"not running (nobody listens on {path})")


# -- the report and the command ---------------------------------------------------------------


def test_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "schema_version", "mrtd", "python", "platform", "ok", "core", "dependencies", "extras",
        "services",
    }  # fmt: skip
    assert report["mrtd"] == mrtd.__version__
    assert report["ok"] is True
    assert set(report["core"]) == {"backend", "ec_backend", "openssl", "reason", "self_test"}
    assert report["core"]["backend"] == crypto.backend()
    assert report["core"]["ec_backend"] == ec_backend()
    assert report["core"]["self_test"]["status"] == "ok"
    assert [d["name"] for d in report["dependencies"]] == ["cryptography", "asn1crypto"]
    assert all(d["status"] == "ok" for d in report["dependencies"])
    assert [e["name"] for e in report["extras"]] == [
        "pcsc", "nfc", "image", "ocr", "service", "postgres", "face",
    ]  # fmt: skip
    assert [s["name"] for s in report["services"]] == ["pcscd", "PC/SC readers", "nfcpy devices"]
    checks = [*report["dependencies"], *report["services"], report["core"]["self_test"]]
    checks += [part for extra in report["extras"] for part in extra["parts"]]
    for check in checks:
        assert set(check) == CHECK_KEYS
        assert check["status"] in STATUSES
    assert all(extra["status"] in STATUSES for extra in report["extras"])


def test_text_report_exits_0_with_extras_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "smartcard", None)
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"mrtd {mrtd.__version__} on Python ")
    assert "\ncrypto core: " in out
    assert "  pcsc           missing    pyscard: not installed (import smartcard)\n" in out
    assert "tesseract: not on PATH" in out
    assert out.endswith("base install: works\n")


def test_a_broken_base_install_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "declared_floors", lambda: {"cryptography": "9999"})
    assert main(["doctor", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["dependencies"][0]["status"] == "broken"


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["doctor", "--help"])
    assert exited.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 the base install works" in help_text
    assert "1 it does not" in help_text
    assert "2 bad usage" in help_text


def test_python_m_mrtd_doctor(capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.main(["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
