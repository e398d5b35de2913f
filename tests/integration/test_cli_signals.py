"""SIGTERM during `mrtd read` (a service manager stopping a kiosk's read): as Ctrl-C, the read
stops before its next APDU, what was read is printed and kept in --out, each file whole, and
the exit status is 143 (128 + SIGTERM) instead of the process dying with nothing kept."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from mrtd.cli import chip_command, main
from mrtd.cli.exit_status import EXIT_TERMINATED
from mrtd.pipeline.events import FileDone, ReadEvent
from mrtd.pipeline.read_chip import read_document
from mrtd.sim.profile import Profile

MRZ = list(Profile.default().mrz.lines)


def signal_after(monkeypatch: pytest.MonkeyPatch, file: str, signum: int) -> None:
    def reading(*args: Any, **kwargs: Any) -> Any:
        def on_event(event: ReadEvent) -> None:
            if isinstance(event, FileDone) and event.name == file:
                os.kill(os.getpid(), signum)

        kwargs["on_event"] = on_event
        return read_document(*args, **kwargs)

    monkeypatch.setattr(chip_command, "read_document", reading)


def test_sigterm_stops_cleanly_keeps_what_was_read_and_exits_143(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signal_after(monkeypatch, "EF.SOD", signal.SIGTERM)
    out_dir = tmp_path / "dump"
    before = signal.getsignal(signal.SIGTERM)
    code = main(["read", "--reader", "sim", "--mrz", *MRZ, "--out", str(out_dir), "--json"])
    out, err = capsys.readouterr()
    assert code == EXIT_TERMINATED == 143
    report = json.loads(out)
    assert report["error"]["exit_code"] == 143
    assert sorted(report["files"]) == ["EF.COM", "EF.SOD"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["EF.COM.bin", "EF.SOD.bin"]
    assert "terminated" in err
    assert "Traceback" not in err
    assert signal.getsignal(signal.SIGTERM) is before  # the read's handler is gone again


def test_an_ignored_sigterm_stays_ignored(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    signal_after(monkeypatch, "EF.SOD", signal.SIGTERM)
    before = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        code = main(["read", "--reader", "sim", "--mrz", *MRZ, "--json"])
    finally:
        signal.signal(signal.SIGTERM, before)
    assert code == 1  # read to the end; not genuine (no trust material)
    assert "DG2" in json.loads(capsys.readouterr().out)["files"]
