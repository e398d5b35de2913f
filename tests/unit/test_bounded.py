"""Bounded reads of configuration files: the limit, unreadable files, not TOML, nesting."""

from __future__ import annotations

from pathlib import Path

import pytest

from mrtd.bounded import read_bounded, read_toml
from mrtd.errors import PolicyError


def test_a_file_within_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('name = "x"\n')
    assert read_toml(path, 64, PolicyError, "the policy file") == {"name": "x"}
    assert read_bounded(path, 11, PolicyError, "the policy file") == b'name = "x"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 65, r"the policy file policy\.toml is over 64 bytes"),
        ("= = =", "is not TOML"),
        ("a = " + "[" * 20_000 + "]" * 20_000, "nested too deep"),
    ],
)
def test_bad_files_are_the_caller_s_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    limit = 64 if len(text) == 65 else 100_000
    with pytest.raises(PolicyError, match=message):
        read_toml(path, limit, PolicyError, "the policy file")


def test_an_unreadable_file_is_the_caller_s_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"cannot read the policy file missing\.toml"):
        read_toml(tmp_path / "missing.toml", 64, PolicyError, "the policy file")
    path = tmp_path / "raw.toml"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(PolicyError, match="is not TOML"):
        read_toml(path, 64, PolicyError, "the policy file")
