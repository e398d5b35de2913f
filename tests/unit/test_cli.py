"""The `mrtd mrz` and `mrtd demo` commands: output, JSON keys and exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mrtd.cli import main
from tests.conftest import VECTORS

TD3 = VECTORS["mrz.specimen.TD3"]["lines"]
JSON_KEYS = {
    "format", "document_code", "issuing_state", "surname", "given_names", "document_number",
    "nationality", "birth_date", "sex", "expiry_date", "optional_data", "valid", "checks",
    "warnings", "repairs",
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_mrz_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "mrz", *TD3, "--json")
    assert code == 0
    assert err == ""
    report = json.loads(out)
    assert set(report) >= JSON_KEYS
    assert report["format"] == "TD3"
    assert report["birth_date"] == "1974-08-12"
    assert report["expiry_date"] == "2012-04-15"
    assert report["document_number"] == "L898902C3"
    assert report["valid"] is True
    assert report["checks"] == {
        "document_number": "ok",
        "birth_date": "ok",
        "expiry_date": "ok",
        "optional_data": "ok",
        "composite": "ok",
    }
    assert report["repairs"] == []


def test_invalid_mrz_exits_2_with_one_reason_per_failed_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = TD3[1][:13] + "750812" + TD3[1][19:]  # birth date changed, its check digit not
    code, out, err = run(capsys, "mrz", TD3[0], bad, "--json")
    assert code == 2
    report = json.loads(out)
    assert report["valid"] is False
    assert report["checks"]["birth_date"] == "failed"
    assert report["checks"]["composite"] == "failed"
    assert err.splitlines() == [
        "mrtd mrz: invalid: date of birth check digit failed",
        "mrtd mrz: invalid: composite check digit failed",
    ]


def test_structural_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "mrz", TD3[0], TD3[1][:-2])
    assert code == 2
    assert out == ""
    assert err.startswith("mrtd mrz: invalid: not an MRZ: got 2 line(s) of 44, 42")
    code, out, _ = run(capsys, "mrz", "--json", "garbage")
    assert code == 2
    assert json.loads(out)["valid"] is False


def test_repairs_are_asked_for_and_reported(capsys: pytest.CaptureFixture[str]) -> None:
    scanned = TD3[1][:14] + "A" + TD3[1][15:]
    code, out, _ = run(capsys, "mrz", TD3[0], scanned, "--json", "--repair")
    assert code == 0
    report = json.loads(out)
    assert report["valid"] is True
    assert report["repairs"] == [
        {"line": 2, "column": 15, "was": "A", "now": "4", "reason": "grammar"}
    ]
    assert report["repair"] == {"status": "repaired", "candidates": 1, "reason": ""}
    for flags in ((), ("--no-repair",)):  # as typed by default; --no-repair: the default
        code, out, err = run(capsys, "mrz", TD3[0], scanned, *flags)
        assert code == 2
        assert "date of birth must not contain letters" in err


def test_human_output_and_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(TD3) + "\n"))
    code, out, _ = run(capsys, "mrz")
    assert code == 0
    assert "surname          ERIKSSON" in out
    assert "valid            yes" in out


def test_no_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2


def test_installed_console_script() -> None:
    script = Path(sys.executable).with_name("mrtd")
    result = subprocess.run(
        [str(script), "mrz", *TD3, "--json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True


def test_every_subcommand_help_has_an_example_and_its_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 18: each subcommand's --help says what it does, with an example and its exit
    codes (cli/app.py EPILOGS, doctor's and serve's own)."""
    from mrtd.cli.app import EPILOGS, _parser  # noqa: PLC0415 - the parser, not the command

    commands = next(
        action.choices
        for action in _parser()._actions
        if isinstance(action.choices, dict) and "read" in action.choices
    )
    assert set(EPILOGS) | {"doctor", "serve", "audit", "face"} == set(commands)
    for name, command in commands.items():
        text = command.format_help()
        assert "xample" in text, name
        assert "xit status" in text, name
