"""Types of the C elliptic-curve core; its pure-Python twin is mrtd.crypto._ec_reference."""

from typing import SupportsIndex, final

_Bytes = bytes | bytearray | memoryview

@final
class Group:
    """A prime curve y^2 = x^3 + ax + b; scalars big-endian bytes, points SEC1 bytes."""

    def __new__(
        cls,
        p: _Bytes,
        a: _Bytes,
        b: _Bytes,
        gx: _Bytes,
        gy: _Bytes,
        n: _Bytes,
        h: SupportsIndex,
    ) -> Group: ...
    @property
    def size(self) -> int: ...
    @property
    def named_curve(self) -> str | None: ...
    def check(self, point: _Bytes) -> bytes: ...
    def mul(self, scalar: _Bytes, point: _Bytes | None = None) -> bytes: ...
    def add(self, first: _Bytes, second: _Bytes) -> bytes: ...
    def mul_add(self, scalar: _Bytes, point: _Bytes) -> bytes: ...
