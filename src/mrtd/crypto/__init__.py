"""Crypto primitives: the C core when it is built, its pure-Python twin otherwise.

`backend()` says which one is active so deployments (and CI) can insist on the native one.
"""

from __future__ import annotations

from typing import Literal

from mrtd.crypto._reference import BytesLike

try:
    from mrtd.crypto import _core as _impl

    _BACKEND: Literal["native", "python"] = "native"
except ImportError:  # pragma: no cover - only when the C extension was not built
    from mrtd.crypto import _reference as _impl  # type: ignore[no-redef]

    _BACKEND = "python"


def backend() -> Literal["native", "python"]:
    """Name the active implementation: "native" (C core) or "python" (reference)."""
    return _BACKEND


def constant_time_equal(a: BytesLike, b: BytesLike) -> bool:
    """Compare secrets (MACs, tags) without leaking where they differ."""
    return _impl.equal(a, b)


__all__ = ["backend", "constant_time_equal"]
