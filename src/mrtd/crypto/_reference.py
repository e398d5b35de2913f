"""Pure-Python twins of the functions in the C core; tests compare the two."""

from __future__ import annotations

import hmac

BytesLike = bytes | bytearray | memoryview


def equal(a: BytesLike, b: BytesLike, /) -> bool:
    """Compare in time independent of where the inputs differ."""
    return hmac.compare_digest(bytes(a), bytes(b))
