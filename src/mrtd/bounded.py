"""Bounded reads of the small files mrtd is configured with (policies, chip profiles, the
service's configuration, status providers, keys): one home for the limit and the messages, so
a huge or unreadable file is the same specific error everywhere, never a MemoryError or a
traceback."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["read_bounded", "read_toml"]

ErrorFactory = Callable[[str], Exception]


def read_bounded(path: Path, limit: int, error: ErrorFactory, what: str) -> bytes:
    """At most `limit` bytes of `path`; `error(message)` is raised when it cannot be read or
    holds more. `what` names the file in the message ("the policy file")."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {path.name}: {exc.strerror}") from exc
    if len(raw) > limit:
        raise error(f"{what} {path.name} is over {limit} bytes")
    return raw


def read_toml(path: Path, limit: int, error: ErrorFactory, what: str) -> dict[str, Any]:
    """The TOML document in `path` (bounded as `read_bounded`); not UTF-8 or not TOML is
    `error(message)` too."""
    raw = read_bounded(path, limit, error, what)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{what} {path.name} is not TOML: {exc}") from exc
    except RecursionError:  # arrays or tables nested thousands deep
        raise error(f"{what} {path.name} is not TOML: nested too deep") from None
