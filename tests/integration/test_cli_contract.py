"""The `mrtd` command's contract (issue 18): arguments checked before the chip is touched,
no traceback ever, one JSON document per run, the key on standard input, Ctrl-C, readers."""

from __future__ import annotations

import io
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from mrtd import FileDone, ReadEvent
from mrtd.cli import chip_command, main
from mrtd.cli.exit_status import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TRANSPORT, EXIT_USAGE
from mrtd.cli.report import SCHEMA_VERSION
from mrtd.errors import OptionalDependencyError, ReaderNotFoundError
from mrtd.mrz.ocr import pipeline as ocr
from mrtd.pipeline.read_chip import read_document
from mrtd.readers import nfc, pcsc
from mrtd.readers.open import open_reader
from mrtd.sim.profile import Profile

MRZ = list(Profile.default().mrz.lines)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def no_chip(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the command opens a reader."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the reader was opened")

    monkeypatch.setattr(chip_command, "open_reader", refuse)
    monkeypatch.setattr(chip_command, "check_reader", lambda _name: None)


def test_out_a_file_is_refused_before_the_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_chip(monkeypatch)
    target = tmp_path / "a-file"
    target.write_text("x")
    code, out, err = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ, "--out", str(target))
    assert code == EXIT_USAGE
    assert out == ""
    assert "--out" in err
    assert "not a folder" in err
    assert "Traceback" not in err


def test_out_under_a_file_is_refused_before_the_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_chip(monkeypatch)
    (tmp_path / "f").write_text("x")
    code, _, err = run(
        capsys, "read", "--reader", "sim", "--mrz", *MRZ, "--out", str(tmp_path / "f" / "d")
    )
    assert code == EXIT_USAGE
    assert "not a folder" in err


def test_mrz_image_without_opencv_is_usage_not_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_chip(monkeypatch)

    def missing(*_: object, **__: object) -> None:
        raise OptionalDependencyError("OpenCV is needed: pip install 'mrtd[ocr]'")

    monkeypatch.setattr(ocr, "read_mrz_image", missing)
    image = tmp_path / "page.png"
    image.write_bytes(b"\x89PNG")
    code, out, err = run(capsys, "read", "--reader", "sim", "--mrz-image", str(image))
    assert code == EXIT_USAGE
    assert out == ""
    assert "OpenCV" in err
    assert "Traceback" not in err


def test_bad_policy_is_refused_before_the_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_chip(monkeypatch)
    policy = tmp_path / "p.toml"
    policy.write_text("clone_detection = 'whatever'\n")
    code, _, err = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ, "--policy", str(policy))
    assert code == EXIT_USAGE
    assert "Traceback" not in err


def test_an_unexpected_exception_is_one_line_and_exit_70(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("something broke")

    monkeypatch.setattr(chip_command, "read_document", boom)
    code, out, err = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ)
    assert code == EXIT_INTERNAL == 70
    assert out == ""
    assert err == "mrtd: internal error: RuntimeError: something broke; please report\n"


PACE_PROFILE = """
[chip]
access = ["pace", "bac"]
can = "123456"
[chip.pace]
mapping = "IM"
domain = "brainpoolP256r1"
cipher = "AES-256"
"""


def test_mrz_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(MRZ) + "\n"))
    code, out, err = run(capsys, "read", "--reader", "sim", "--mrz", "-", "--json")
    assert code == 1  # read, incomplete without trust material
    assert json.loads(out)["access"]["protocol"] == "BAC"
    assert "Traceback" not in err


def test_can_from_standard_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "pace.toml"
    profile.write_text(PACE_PROFILE)
    monkeypatch.setattr("sys.stdin", io.StringIO("123456\n"))
    code, out, _ = run(capsys, "read", "--reader", f"sim:{profile}", "--can", "-", "--json")
    assert code == 1
    assert json.loads(out)["access"]["protocol"] == "PACE"


def test_empty_standard_input_is_usage(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    no_chip(monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = run(capsys, "read", "--reader", "sim", "--mrz", "-")
    assert code == EXIT_USAGE
    assert "standard input" in err


def one_json_error(out: str, code: int) -> dict[str, object]:
    """The run printed exactly one JSON document, with `schema_version` and `error`."""
    report = json.loads(out)
    assert isinstance(report, dict)
    assert report["schema_version"] == SCHEMA_VERSION
    error = report["error"]
    assert isinstance(error, dict)
    assert error["exit_code"] == code
    assert error["message"]
    return report


@pytest.mark.parametrize(
    "argv",
    [
        ["read", "--reader", "sim", "--doc-number", "X1", "--json"],  # no --birth, --expiry
        ["read", "--reader", "bogus", "--mrz", *MRZ, "--json"],
        ["read", "--reader", "sim", "--mrz", "NOT", "AN", "MRZ", "--json"],
        ["read", "--reader", "sim", "--json"],  # argparse: no key at all
        ["verify", "/nonexistent/dump", "--json"],
        ["ocr", "--json"],  # argparse: no image
    ],
)
def test_every_usage_error_under_json_is_one_document(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    one_json_error(out, EXIT_USAGE)
    assert "Traceback" not in err


def test_a_transport_failure_before_the_read_under_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_reader(*_: object, **__: object) -> None:
        raise ReaderNotFoundError("no PC/SC reader")

    monkeypatch.setattr(chip_command, "open_reader", no_reader)
    monkeypatch.setattr(chip_command, "check_reader", lambda _name: None)
    code, out, _ = run(capsys, "read", "--reader", "pcsc", "--mrz", *MRZ, "--json")
    assert code == EXIT_TRANSPORT
    one_json_error(out, EXIT_TRANSPORT)


def test_an_internal_error_under_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("something broke")

    monkeypatch.setattr(chip_command, "read_document", boom)
    code, out, _ = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ, "--json")
    assert code == EXIT_INTERNAL
    one_json_error(out, EXIT_INTERNAL)


def test_a_part_way_failure_under_json_has_the_schema_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys, "read", "--reader", "sim", "--doc-number", "X1234567", "--birth", "800101",
        "--expiry", "300101", "--json",
    )  # fmt: skip
    assert code == 3
    assert "access" in one_json_error(out, 3)


def test_ocr_json_is_one_object_for_one_image_and_for_two(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff not really a JPEG")
    for images in ([str(junk)], [str(junk), str(junk)]):
        code, out, _ = run(capsys, "ocr", *images, "--json")
        assert code == EXIT_USAGE
        report = json.loads(out)
        assert report["schema_version"] == SCHEMA_VERSION
        assert [r["image"] for r in report["results"]] == images


def interrupt_after(monkeypatch: pytest.MonkeyPatch, file: str) -> None:
    """Ctrl-C (SIGINT to this process) as soon as `file` has been read."""

    def reading(*args: Any, **kwargs: Any) -> Any:
        shown = kwargs["on_event"]

        def on_event(event: ReadEvent) -> None:
            if shown is not None:
                shown(event)
            if isinstance(event, FileDone) and event.name == file:
                os.kill(os.getpid(), signal.SIGINT)

        kwargs["on_event"] = on_event
        return read_document(*args, **kwargs)

    monkeypatch.setattr(chip_command, "read_document", reading)


def test_ctrl_c_stops_cleanly_keeps_what_was_read_and_exits_130(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interrupt_after(monkeypatch, "EF.SOD")
    out_dir = tmp_path / "dump"
    # as under a terminal: a run started in the background (CI, `make test &`) ignores SIGINT,
    # and the command rightly leaves an ignored SIGINT ignored
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code, out, err = run(
            capsys, "read", "--reader", "sim", "--mrz", *MRZ, "--out", str(out_dir), "--json"
        )
        after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, before)
    assert code == EXIT_INTERRUPTED == 130
    report = one_json_error(out, 130)
    assert sorted(report["files"]) == ["EF.COM", "EF.SOD"]  # type: ignore[call-overload]
    assert sorted(p.name for p in out_dir.iterdir()) == ["EF.COM.bin", "EF.SOD.bin"]
    assert "interrupted" in err
    assert "Traceback" not in err
    assert after is signal.default_int_handler  # the handler of the read is gone again


def test_an_ignored_sigint_stays_ignored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started with SIGINT ignored (nohup, a background job), the read is not cancelled."""
    interrupt_after(monkeypatch, "EF.SOD")
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code, out, _ = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ, "--json")
    finally:
        signal.signal(signal.SIGINT, before)
    assert code == 1  # read to the end; not genuine (no trust material)
    assert "DG2" in json.loads(out)["files"]


def test_ctrl_c_outside_the_read_exits_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def waiting(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(chip_command, "open_reader", waiting)
    monkeypatch.setattr(chip_command, "check_reader", lambda _name: None)
    code, out, err = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ)
    assert code == EXIT_INTERRUPTED
    assert out == ""
    assert err == "mrtd: interrupted\n"


def test_read_says_what_it_waits_for(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chip_command, "open_reader", lambda _name, **_: open_reader("sim"))
    monkeypatch.setattr(chip_command, "check_reader", lambda _name: None)
    code, _, err = run(capsys, "read", "--reader", "pcsc:1", "--mrz", *MRZ)
    assert code == 1
    assert "waiting up to 10 s for a card on pcsc:1" in err
    code, out, err = run(capsys, "read", "--reader", "pcsc:1", "--mrz", *MRZ, "--json")
    assert code == 1
    assert "waiting" not in err
    assert json.loads(out)["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("readers", "message"),
    [(None, "no service (is pcscd running?)"), ([], "no PC/SC reader is connected")],
)
def test_read_says_no_service_or_no_reader_without_waiting_for_a_card(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    readers: list[str] | None,
    message: str,
) -> None:
    def listing() -> list[str]:
        if readers is None:
            raise ReaderNotFoundError("listing PC/SC readers: no service (is pcscd running?)")
        return readers

    monkeypatch.setattr(pcsc, "list_readers", listing)
    code, out, err = run(capsys, "read", "--reader", "pcsc", "--mrz", *MRZ)
    assert code == EXIT_TRANSPORT
    assert message in err
    assert "waiting" not in err  # no card is what it lacks
    assert out == ""


def test_readers_tells_no_pcsc_service_from_no_readers(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nfc, "list_devices", list)

    def no_service() -> list[str]:
        raise ReaderNotFoundError("listing PC/SC readers: no service (is pcscd running?)")

    monkeypatch.setattr(pcsc, "list_readers", no_service)
    code, out, err = run(capsys, "readers")
    assert code == EXIT_TRANSPORT
    assert out == ""
    assert "no PC/SC service (is pcscd running?)" in err
    monkeypatch.setattr(pcsc, "list_readers", list)
    code, out, _ = run(capsys, "readers")
    assert code == 0
    assert out.startswith("no readers found")
    monkeypatch.setattr(pcsc, "list_readers", lambda: ["ACS ACR122U 00 00"])
    code, out, _ = run(capsys, "readers")
    assert code == 0
    assert out == "pcsc:0  (ACS ACR122U 00 00)\n"


def test_the_reader_is_named_and_the_default_is_pcsc_not_the_simulated_chip(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def opening(name: str, **_: object) -> object:
        opened.append(name)
        raise ReaderNotFoundError("no PC/SC reader is connected")

    monkeypatch.setattr(chip_command, "open_reader", opening)
    monkeypatch.setattr(chip_command, "check_reader", lambda _name: None)
    code, _, _ = run(capsys, "read", "--mrz", *MRZ)
    assert opened == ["pcsc"]
    assert code == EXIT_TRANSPORT
    monkeypatch.undo()
    code, out, _ = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ, "--json")
    assert code == 1
    assert json.loads(out)["reader"] == "sim"
    code, out, _ = run(capsys, "read", "--reader", "sim", "--mrz", *MRZ)
    assert code == 1
    assert out.startswith("reader           sim\n")


def test_the_reader_is_named_in_a_part_way_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "read", "--reader", "sim", "--doc-number", "X1234567", "--birth", "800101",
        "--expiry", "300101", "--json",
    )  # fmt: skip
    assert code == 3
    assert json.loads(out)["reader"] == "sim"
