"""Elliptic-curve arithmetic on any prime curve, brainpool included (docs/design.md,
"The C core").

pyca/cryptography and pycryptodome give ECDH on named curves but no point addition, which the
PACE generic mapping needs (G~ = s*G + H), nor (cryptography 46) explicit parameters. The C core
(`mrtd.crypto._ec`, OpenSSL's EC_GROUP / EC_POINT) does both; `_ec_reference` is its
pure-Python twin. Every point from outside is validated before use; a bad one raises
`InvalidPointError`.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Literal, Protocol

from mrtd.crypto import _ec_reference
from mrtd.crypto._reference import BytesLike
from mrtd.crypto.domains import ECCurve
from mrtd.errors import DecodeError, InvalidPointError


class GroupBackend(Protocol):
    """What `_ec.Group` and `_ec_reference.Group` both provide."""

    def check(self, point: BytesLike) -> bytes: ...
    def mul(self, scalar: BytesLike, point: BytesLike | None = None) -> bytes: ...
    def add(self, first: BytesLike, second: BytesLike) -> bytes: ...
    def mul_add(self, scalar: BytesLike, point: BytesLike) -> bytes: ...


class GroupFactory(Protocol):
    def __call__(  # noqa: PLR0917 - positional, as the C core
        self,
        p: BytesLike,
        a: BytesLike,
        b: BytesLike,
        gx: BytesLike,
        gy: BytesLike,
        n: BytesLike,
        h: int,
    ) -> GroupBackend: ...


reference: GroupFactory = _ec_reference.Group
native: GroupFactory | None
try:
    from mrtd.crypto import _ec

    native = _ec.Group
except ImportError:  # pragma: no cover - only when the C extension was not built
    native = None

Backend = Literal["native", "python"]


def ec_backend() -> Backend:
    return "native" if native is not None else "python"


@lru_cache(maxsize=64)
def _probably_prime(p: int, rounds: int = 40) -> bool:
    """Miller-Rabin with random bases (a crafted composite cannot pass them all but with
    chance 4^-40); cached, as a few field primes come back again and again."""
    if p < 5 or p % 2 == 0:
        return p in (2, 3)
    d, s = p - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(p - 3) + 2, d, p)
        if x in (1, p - 1):
            continue
        for _ in range(s - 1):
            x = x * x % p
            if x == p - 1:
                break
        else:
            return False
    return True


class ECGroup:
    """A curve ready for arithmetic. Scalars are ints; points are SEC1 bytes.

    Parameters that make no usable curve (singular, n*h outside the Hasse bound, n*G != O...)
    raise `DecodeError`, a ValueError: explicit parameters come from chips and certificates.
    """

    __slots__ = ("_impl", "backend", "curve")

    def __init__(self, curve: ECCurve, backend: Backend | None = None) -> None:
        factory = _factory(backend)
        self.curve = curve
        self.backend: Backend = backend or ec_backend()
        size = curve.size

        def field(value: int) -> bytes:
            return value.to_bytes(size, "big")

        if not _probably_prime(curve.p):  # the pure-Python square root would never end
            raise DecodeError("EC domain parameters are not a usable curve: p is not prime")
        try:
            self._impl = factory(
                field(curve.p),
                field(curve.a),
                field(curve.b),
                field(curve.gx),
                field(curve.gy),
                curve.n.to_bytes((curve.n.bit_length() + 7) // 8, "big"),
                curve.h,
            )
        except ValueError as exc:  # explicit parameters from a chip or a certificate
            raise DecodeError(f"EC domain parameters are not a usable curve: {exc}") from None

    @property
    def size(self) -> int:
        return self.curve.size

    @property
    def generator(self) -> bytes:
        return self.curve.generator

    def check(self, point: bytes) -> bytes:
        """A received point, validated; its uncompressed encoding."""
        return self._impl.check(point)

    def mul(self, scalar: int, point: bytes | None = None) -> bytes:
        """scalar * point (the generator by default)."""
        return self._impl.mul(self._scalar(scalar), point)

    def add(self, first: bytes, second: bytes) -> bytes:
        return self._impl.add(first, second)

    def mul_add(self, scalar: int, point: bytes) -> bytes:
        """scalar * G + point."""
        return self._impl.mul_add(self._scalar(scalar), point)

    def x(self, point: bytes) -> bytes:
        """The x-coordinate of an uncompressed point: the ECDH shared secret (TR-03111 §4.3.1)."""
        if len(point) != 1 + 2 * self.size or point[0] != 0x04:
            raise InvalidPointError("point encoding is malformed")
        return point[1 : 1 + self.size]

    def _scalar(self, scalar: int) -> bytes:
        if scalar <= 0:
            raise ValueError("scalar must be positive")
        return scalar.to_bytes(max(1, (scalar.bit_length() + 7) // 8), "big")

    def __repr__(self) -> str:
        return f"ECGroup({self.curve.name}, {self.backend})"


def _factory(backend: Backend | None) -> GroupFactory:
    if backend == "python" or (backend is None and native is None):
        return reference
    if native is None:
        raise RuntimeError("the native EC core is not built")
    return native


__all__ = ["ECGroup", "GroupBackend", "ec_backend", "native", "reference"]
