"""SIGTERM during `mrtd read` (a service manager stopping a kiosk's read): as Ctrl-C, the read
stops before its next APDU, what was read is printed and kept in --out, each file whole, and
the exit status is 143 (128 + SIGTERM) instead of the process dying with nothing kept."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from mrtd.cli import chip_command, main
from mrtd.cli.exit_status import EXIT_TERMINATED
from mrtd.errors import CardTimeoutError
from mrtd.pipeline.events import FileDone, ReadEvent
from mrtd.pipeline.read_chip import read_document
from mrtd.readers import open as opening
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


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_signal_while_waiting_for_a_card_stops_the_wait(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    signum: int,
    code: int,
    word: str,
) -> None:
    """No card in the reader: the wait (open_reader's own, slice by slice) ends at the signal
    with its exit status and one JSON document, not by the signal's default action."""

    def no_card_yet(kind: str, option: str, wait: float) -> None:
        del kind, option
        os.kill(os.getpid(), signum)  # during the wait, so the command's handler is in place
        time.sleep(wait)
        raise CardTimeoutError("no card")

    monkeypatch.setattr(chip_command, "check_reader", lambda _name: None)
    monkeypatch.setattr(opening, "_open", no_card_yet)
    # as under a terminal: a run started in the background (CI) ignores SIGINT, and the
    # command rightly leaves an ignored signal ignored
    terminal = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
    before = signal.signal(signum, terminal)
    started = time.monotonic()
    try:
        result = main(["read", "--reader", "pcsc", "--mrz", *MRZ, "--json"])
        after = signal.getsignal(signum)
    finally:
        signal.signal(signum, before)
    out, err = capsys.readouterr()
    assert result == code
    assert time.monotonic() - started < 5  # not the 10 s wait
    assert json.loads(out)["error"]["exit_code"] == code
    assert f"{word} while waiting for a card" in err
    assert after is terminal  # the read's handler is gone again
