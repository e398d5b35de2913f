"""Pure-Python twin of the C core's elliptic-curve group (`mrtd.crypto._ec`).

Prime curves y^2 = x^3 + ax + b given by explicit parameters, points in SEC1 encoding. Every
point that comes in is decoded and validated (on the curve, not infinity, in the prime-order
subgroup when the cofactor is not 1) before any arithmetic, because it may come from a hostile
chip. Scalar multiplication is a Montgomery ladder over a fixed number of bits, like the C
core's, though Python's integers give no real constant-time guarantee: this path is the
readable reference the native one is tested against, not the one to run in production.
"""

from __future__ import annotations

from mrtd.crypto._reference import BytesLike
from mrtd.errors import InvalidPointError

# A point in Jacobian coordinates (X, Y, Z): x = X/Z^2, y = Y/Z^3; Z = 0 is infinity.
Jacobian = tuple[int, int, int]
INFINITY: Jacobian = (1, 1, 0)


class Group:
    """One curve. Scalars are big-endian bytes; points are SEC1 bytes (returned uncompressed)."""

    __slots__ = ("_g", "a", "b", "h", "n", "p", "size")

    def __init__(  # noqa: PLR0917 - positional, as the C core
        self,
        p: BytesLike,
        a: BytesLike,
        b: BytesLike,
        gx: BytesLike,
        gy: BytesLike,
        n: BytesLike,
        h: int,
    ) -> None:
        self.p, self.a, self.b = (int.from_bytes(bytes(v), "big") for v in (p, a, b))
        self.n = int.from_bytes(bytes(n), "big")
        self.h = int(h)
        if self.p < 5 or self.p % 2 == 0 or self.n < 2 or self.h < 1:
            raise ValueError("curve parameters are not those of a prime curve")
        if not 0 <= self.a < self.p or not 0 <= self.b < self.p:
            raise ValueError("curve coefficients must be reduced modulo p")
        if (4 * self.a**3 + 27 * self.b**2) % self.p == 0:
            raise ValueError("curve is singular")
        self.size = (self.p.bit_length() + 7) // 8
        x, y = (int.from_bytes(bytes(v), "big") for v in (gx, gy))
        if not self._on_curve(x, y):
            raise ValueError("generator is not on the curve")
        self._g: Jacobian = (x, y, 1)

    # -- public operations ---------------------------------------------------------------------

    def check(self, point: BytesLike) -> bytes:
        """Validate a received point; the uncompressed encoding of it."""
        return self._encode(self._decode(point))

    def mul(self, scalar: BytesLike, point: BytesLike | None = None) -> bytes:
        """scalar * point (the generator when point is None)."""
        base = self._g if point is None else self._decode(point)
        return self._encode(self._ladder(_scalar(scalar), base))

    def add(self, first: BytesLike, second: BytesLike) -> bytes:
        return self._encode(self._add(self._decode(first), self._decode(second)))

    def mul_add(self, scalar: BytesLike, point: BytesLike) -> bytes:
        """scalar * G + point: the mapped generator of the PACE generic mapping."""
        h = self._decode(point)
        return self._encode(self._add(self._ladder(_scalar(scalar), self._g), h))

    # -- encoding --------------------------------------------------------------------------------

    def _decode(self, point: BytesLike) -> Jacobian:
        raw = bytes(point)
        size = self.size
        if raw == b"\x00":
            raise InvalidPointError("point is the point at infinity")
        if len(raw) == 1 + 2 * size and raw[0] == 0x04:
            x = int.from_bytes(raw[1 : 1 + size], "big")
            y = int.from_bytes(raw[1 + size :], "big")
            if x >= self.p or y >= self.p:
                raise InvalidPointError("point coordinate is not a field element")
        elif len(raw) == 1 + size and raw[0] in (0x02, 0x03):
            x = int.from_bytes(raw[1:], "big")
            if x >= self.p:
                raise InvalidPointError("point coordinate is not a field element")
            root = _sqrt_mod(x * x * x + self.a * x + self.b, self.p)
            if root is None:
                raise InvalidPointError("point is not on the curve")
            y = self.p - root if root and root & 1 != raw[0] & 1 else root
        else:
            raise InvalidPointError("point encoding is malformed")
        if not self._on_curve(x, y):
            raise InvalidPointError("point is not on the curve")
        decoded = (x, y, 1)
        if self.h != 1 and self._ladder(self.n, decoded, allow_infinity=True)[2] != 0:
            raise InvalidPointError("point is not in the prime-order subgroup")
        return decoded

    def _encode(self, point: Jacobian) -> bytes:
        x, y = self._affine(point)
        return b"\x04" + x.to_bytes(self.size, "big") + y.to_bytes(self.size, "big")

    def _on_curve(self, x: int, y: int) -> bool:
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + self.a * x + self.b)) % p == 0

    def _affine(self, point: Jacobian) -> tuple[int, int]:
        x, y, z = point
        if z % self.p == 0:
            raise InvalidPointError("result is the point at infinity")
        p = self.p
        zi = pow(z, -1, p)
        zi2 = zi * zi % p
        return x * zi2 % p, y * zi2 * zi % p

    # -- arithmetic (Jacobian; formulas from the "Explicit-Formulas Database") ------------------

    def _ladder(self, k: int, base: Jacobian, *, allow_infinity: bool = False) -> Jacobian:
        """Montgomery ladder over max(bits of n, bits of k) bits: one add and one double per bit."""
        if k == 0 and not allow_infinity:
            raise InvalidPointError("result is the point at infinity")
        r0, r1 = INFINITY, base
        for i in reversed(range(max(self.n.bit_length(), k.bit_length()))):
            if (k >> i) & 1:
                r0, r1 = self._add(r0, r1), self._double(r1)
            else:
                r0, r1 = self._double(r0), self._add(r0, r1)
        return r0

    def _double(self, point: Jacobian) -> Jacobian:
        x, y, z = point
        p = self.p
        if z == 0 or y == 0:
            return INFINITY
        yy = y * y % p
        s = 4 * x * yy % p
        zz = z * z % p
        m = (3 * x * x + self.a * zz * zz) % p
        x3 = (m * m - 2 * s) % p
        y3 = (m * (s - x3) - 8 * yy * yy) % p
        z3 = 2 * y * z % p
        return x3, y3, z3

    def _add(self, first: Jacobian, second: Jacobian) -> Jacobian:
        x1, y1, z1 = first
        x2, y2, z2 = second
        if z1 == 0:
            return second
        if z2 == 0:
            return first
        p = self.p
        z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
        u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
        s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
        if u1 == u2:
            return self._double(first) if s1 == s2 else INFINITY
        h = (u2 - u1) % p
        r = (s2 - s1) % p
        hh = h * h % p
        hhh = h * hh % p
        v = u1 * hh % p
        x3 = (r * r - hhh - 2 * v) % p
        y3 = (r * (v - x3) - s1 * hhh) % p
        z3 = z1 * z2 * h % p
        return x3, y3, z3


def _scalar(scalar: BytesLike) -> int:
    raw = bytes(scalar)
    if not raw:
        raise ValueError("scalar is empty")
    return int.from_bytes(raw, "big")


def _sqrt_mod(value: int, p: int) -> int | None:
    """A square root modulo the prime p (Tonelli-Shanks), or None when there is none."""
    value %= p
    if value == 0:
        return 0
    if pow(value, (p - 1) // 2, p) != 1:
        return None
    if p % 4 == 3:
        return pow(value, (p + 1) // 4, p)
    q, s = p - 1, 0
    while q % 2 == 0:
        q, s = q // 2, s + 1
    z = 2
    while pow(z, (p - 1) // 2, p) != p - 1:
        z += 1
    m, c, t, r = s, pow(z, q, p), pow(value, q, p), pow(value, (q + 1) // 2, p)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2, i = t2 * t2 % p, i + 1
        b = pow(c, 1 << (m - i - 1), p)
        m, c, t, r = i, b * b % p, t * b * b % p, r * b % p
    return r
