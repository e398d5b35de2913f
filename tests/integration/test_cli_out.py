"""`mrtd read --out` where writing fails (issue 18, item 8): a folder access() calls writable
but no file can be made in (/proc, /sys, some mounts) is refused before the chip is touched;
a write that fails after the read (a full disk) prints what was read and exits 2 with one
line, never 'internal error' and a traceback."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from mrtd.cli import chip_command, main
from mrtd.cli.exit_status import EXIT_USAGE
from mrtd.sim.profile import Profile

MRZ = list(Profile.default().mrz.lines)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_out_where_nothing_can_be_created_is_refused_before_the_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("the reader was opened")

    monkeypatch.setattr(chip_command, "open_reader", never)
    monkeypatch.setattr(chip_command, "check_reader", lambda _name: None)
    code = main(["read", "--reader", "sim", "--mrz", *MRZ, "--out", "/proc/mrtd-dump", "--json"])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE
    assert json.loads(out)["error"]["exit_code"] == EXIT_USAGE
    assert "cannot write there" in err
    assert "internal error" not in err


def test_out_a_check_leaves_no_folder_behind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "a" / "b"
    code = main(["read", "--reader", "sim", "--doc-number", "X1234567", "--birth", "800101",
                 "--expiry", "300101", "--out", str(out)])  # fmt: skip
    capsys.readouterr()
    assert code == 3  # a wrong key: nothing read, nothing to keep
    assert not (tmp_path / "a").exists()


def test_a_write_failing_after_the_read_prints_the_read_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(chip_command, "_write", full)
    code = main(["read", "--reader", "sim", "--mrz", *MRZ, "--out", str(tmp_path), "--json"])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE
    report = json.loads(out)  # one document: the read, and why --out lacks it
    assert {"EF.COM", "EF.SOD", "DG1", "DG2"} <= set(report["files"])
    assert report["error"]["exit_code"] == EXIT_USAGE
    assert "No space left" in report["error"]["message"]
    assert "internal error" not in err
    assert "Traceback" not in err


def test_a_write_failing_after_a_part_way_read_keeps_the_read_s_exit_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(chip_command, "_write", full)
    profile = tmp_path / "chip.toml"
    profile.write_text('[faults]\nhostile = "stall"\ntarget_file = "DG2"\n')
    out = tmp_path / "dump"
    code = main(["read", "--reader", f"sim:{profile}", "--mrz", *MRZ, "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 4
    assert "could not be written" in err
    assert "internal error" not in err
