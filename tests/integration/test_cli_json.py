"""`--json` on every subcommand that takes it: one JSON document per run, success or error,
with `schema_version` (issue 18, item 9), for the subcommands beyond read, verify and ocr
(test_cli_contract.py): mrz, doctor, face, audit."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from mrtd.cli import main
from mrtd.cli.exit_status import EXIT_OK, EXIT_USAGE
from mrtd.cli.report import SCHEMA_VERSION
from mrtd.errors import ReaderNotFoundError
from mrtd.sim.profile import Profile

MRZ = list(Profile.default().mrz.lines)


def one_document(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    report = json.loads(out)  # exactly one document: anything around it fails here
    assert isinstance(report, dict)
    assert report["schema_version"] == SCHEMA_VERSION
    assert "Traceback" not in err
    return code, report


def test_mrz_json_valid_and_invalid(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = one_document(capsys, "mrz", *MRZ, "--json")
    assert code == EXIT_OK
    assert report["valid"] is True
    code, report = one_document(capsys, "mrz", "NOT AN MRZ", "--json")
    assert code == EXIT_USAGE
    assert report["valid"] is False


def test_doctor_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = one_document(capsys, "doctor", "--json")
    assert code in {0, 1}
    assert "ok" in report


def test_face_json_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "none.jpg")
    code, report = one_document(capsys, "face", missing, "--portrait", missing, "--json")
    assert code == EXIT_USAGE
    assert isinstance(report["error"], dict)


@pytest.mark.parametrize("action", ["verify", "purge"])
def test_audit_json_error_is_one_document(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, action: str
) -> None:
    """A configuration that cannot be read: exit 2 and, under --json, the error as JSON (stdout
    was empty)."""
    config = str(tmp_path / "none.toml")
    code, report = one_document(capsys, "audit", action, "--config", config, "--json")
    assert code == EXIT_USAGE
    error = report["error"]
    assert isinstance(error, dict)
    assert error["exit_code"] == EXIT_USAGE
    assert "configuration" in str(error["message"])


# -- the key from standard input, when there is none to read ----------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["read", "--reader", "sim", "--mrz", "-", "--json"],
        ["read", "--reader", "sim", "--can", "-", "--json"],
        ["mrz", "-", "--json"],
    ],
)
def test_closed_standard_input_is_usage_not_an_internal_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """Started with standard input closed (`mrtd read --mrz - <&-`): sys.stdin is None, which
    was 'internal error: AttributeError' and exit 70."""
    monkeypatch.setattr(sys, "stdin", None)
    code, report = one_document(capsys, *argv)
    assert code == EXIT_USAGE
    assert "closed" in json.dumps(report)


@pytest.mark.parametrize("argv", [["read", "--reader", "sim", "--mrz", "-"], ["mrz", "-"]])
def test_standard_input_that_is_not_text_is_usage(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    raw = io.TextIOWrapper(io.BytesIO(b"\xff\xfeP<UTO\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", raw)
    code, report = one_document(capsys, *argv, "--json")
    assert code == EXIT_USAGE
    assert "standard input" in json.dumps(report)


# -- mrtd readers --json --------------------------------------------------------------------


def test_readers_json_lists_them_and_tells_no_service(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mrtd readers` had no --json (argparse refused it): a script could not list readers."""
    from mrtd.readers import nfc, pcsc  # noqa: PLC0415 - as the command imports them

    monkeypatch.setattr(nfc, "list_devices", list)
    monkeypatch.setattr(pcsc, "list_readers", lambda: ["ACS ACR122U 00 00"])
    code, report = one_document(capsys, "readers", "--json")
    assert code == EXIT_OK
    assert report["readers"] == [{"name": "pcsc:0", "description": "ACS ACR122U 00 00"}]

    monkeypatch.setattr(pcsc, "list_readers", list)
    code, report = one_document(capsys, "readers", "--json")
    assert (code, report["readers"]) == (EXIT_OK, [])

    def no_service() -> list[str]:
        raise ReaderNotFoundError("listing PC/SC readers: no service (is pcscd running?)")

    monkeypatch.setattr(pcsc, "list_readers", no_service)
    code, report = one_document(capsys, "readers", "--json")
    assert code == 4
    error = report["error"]
    assert isinstance(error, dict)
    assert error["exit_code"] == 4
    assert "no PC/SC service" in str(error["message"])


def test_audit_without_a_database_creates_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mrtd audit verify` with no --config made an empty mrtd-service.sqlite3 in the working
    folder (SQLite creates the file it is asked to open) and then called it 'never migrated'."""
    monkeypatch.chdir(tmp_path)
    code, report = one_document(capsys, "audit", "verify", "--json")
    assert code == EXIT_USAGE
    assert "no database at" in json.dumps(report)
    assert list(tmp_path.iterdir()) == []
