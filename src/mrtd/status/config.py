"""A status provider from configuration: the [status] table of the service's TOML file, or a
file of its own for `mrtd read --status` and `mrtd verify --status` (docs/status.md).

    [status]
    provider = "list"                 # a local list of keyed hashes
    list = "listed.txt"
    key_file = "status-list.key"      # the list's HMAC key (32 random bytes, raw or hex)

    [status]
    provider = "http"                 # the deployment's status service
    url = "https://status.internal/v1/check"
    timeout_seconds = 2               # one attempt
    deadline_seconds = 5              # all attempts
    retries = 2
    client_cert = "mrtd-client.pem"   # mutual TLS (with client_key), optional
    client_key = "mrtd-client.key"
    ca_file = "status-ca.pem"

Relative paths are the configuration file's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from mrtd.bounded import read_bounded, read_toml
from mrtd.status.base import StatusProvider
from mrtd.status.http import HTTPStatusProvider
from mrtd.status.local import MIN_KEY_BYTES, LocalListProvider

__all__ = ["load_status_provider", "read_key_file", "status_provider_from_mapping"]

MAX_FILE_BYTES = 64 * 1024
MAX_KEY_FILE_BYTES = 4096
KNOWN = {
    "list": {"provider", "list", "key_file"},
    "http": {"provider", "url", "timeout_seconds", "deadline_seconds", "retries",
             "client_cert", "client_key", "ca_file"},
}  # fmt: skip


def load_status_provider(path: str | os.PathLike[str]) -> StatusProvider:
    """The provider of a TOML file (its [status] table, or its top level): ValueError naming
    the setting for anything that cannot be used."""
    path = Path(path)
    data = read_toml(path, MAX_FILE_BYTES, ValueError, "the status configuration")
    table = data.get("status", data)
    if not isinstance(table, dict):
        raise ValueError("[status] is a table")
    return status_provider_from_mapping(table, base=path.resolve().parent)


def status_provider_from_mapping(table: Mapping[str, object], *, base: Path) -> StatusProvider:
    kind = table.get("provider")
    if kind not in KNOWN:
        raise ValueError('status.provider is "list" or "http"')
    unknown = sorted(set(table) - KNOWN[str(kind)])
    if unknown:
        raise ValueError(f"unknown status setting(s) for provider {kind}: {', '.join(unknown)}")
    if kind == "list":
        key = read_key_file(base / _text(table, "key_file"))
        return LocalListProvider(base / _text(table, "list"), key)
    try:
        return HTTPStatusProvider(
            _text(table, "url"),
            timeout=_number(table, "timeout_seconds", 2.0),
            deadline=_number(table, "deadline_seconds", 5.0),
            retries=int(_number(table, "retries", 2)),
            client_cert=_path(table, "client_cert", base),
            client_key=_path(table, "client_key", base),
            ca_file=_path(table, "ca_file", base),
        )
    except OSError as exc:  # a certificate or key file that cannot be read
        raise ValueError(f"status: cannot load the TLS files: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ValueError(f"status: {exc}") from exc


def read_key_file(path: Path) -> bytes:
    """A status-list key: the file's bytes, or the hex digits it holds."""
    raw = read_bounded(path, MAX_KEY_FILE_BYTES, ValueError, "the status-list key")
    text = raw.strip()
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        key = raw
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"status.key_file holds fewer than {MIN_KEY_BYTES} key bytes")
    return key


def _text(table: Mapping[str, object], key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"status.{key} is a non-empty string")
    return value


def _number(table: Mapping[str, object], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"status.{key} is a number")
    return float(value)


def _path(table: Mapping[str, object], key: str, base: Path) -> Path | None:
    return base / _text(table, key) if key in table else None
