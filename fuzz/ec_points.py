"""Fuzz elliptic-curve point handling in the C core (mrtd.crypto._ec) and its pure-Python twin,
which must agree: the same point, or the same exception with the same message.

First byte: the curve (every standardized EC domain, 9303-11 §9.5.1). Second byte: the
operation. Then, for operations on two values, a byte giving the first one's length. Points
come from chips (PACE, Chip Authentication) and certificates, so any bytes are fair; scalars
are ours, so they are kept non-empty and at most twice the order's size. The "derived"
operation first makes a valid point k*G, optionally compressed, so the arithmetic itself is
reached, not only point validation.
"""

from __future__ import annotations

from collections.abc import Callable

from harness import agree, fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__"):
    from mrtd.crypto import ec
    from mrtd.crypto.domains import STANDARD_DOMAINS, ECCurve
    from mrtd.crypto.ec import GroupBackend

CURVES = tuple(d for _, d in sorted(STANDARD_DOMAINS.items()) if isinstance(d, ECCurve))


def _groups(curve: ECCurve) -> tuple[GroupBackend, GroupBackend]:
    """The curve in the C core and in the reference (twice the reference without the core)."""
    p, a, b, gx, gy = (v.to_bytes(curve.size, "big") for v in (curve.p, curve.a, curve.b,
                                                                 curve.gx, curve.gy))  # fmt: skip
    n = curve.n.to_bytes((curve.n.bit_length() + 7) // 8, "big")
    native = (ec.native or ec.reference)(p, a, b, gx, gy, n, curve.h)
    return native, ec.reference(p, a, b, gx, gy, n, curve.h)


GROUPS = tuple(_groups(curve) for curve in CURVES)
Operation = Callable[[GroupBackend], object]


def check_ec_points(data: bytes) -> None:
    if len(data) < 2:
        return
    index = data[0] % len(CURVES)
    curve, twins, body = CURVES[index], GROUPS[index], data[2:]
    operations = (_check, _mul, _add, _mul_add, _mul_generator, _derived)
    operation = operations[data[1] % len(operations)]
    operation(curve, twins, body)


def _check(curve: ECCurve, twins: tuple[GroupBackend, GroupBackend], body: bytes) -> None:
    agree(lambda g: g.check(body), twins)


def _mul(curve: ECCurve, twins: tuple[GroupBackend, GroupBackend], body: bytes) -> None:
    scalar, point = _split(body)
    agree(lambda g: g.mul(_scalar(curve, scalar), point), twins)


def _add(curve: ECCurve, twins: tuple[GroupBackend, GroupBackend], body: bytes) -> None:
    first, second = _split(body)
    agree(lambda g: g.add(first, second), twins)


def _mul_add(curve: ECCurve, twins: tuple[GroupBackend, GroupBackend], body: bytes) -> None:
    scalar, point = _split(body)
    agree(lambda g: g.mul_add(_scalar(curve, scalar), point), twins)


def _mul_generator(curve: ECCurve, twins: tuple[GroupBackend, GroupBackend], body: bytes) -> None:
    agree(lambda g: g.mul(_scalar(curve, body)), twins)


def _derived(curve: ECCurve, twins: tuple[GroupBackend, GroupBackend], body: bytes) -> None:
    """k1*G as a valid point (compressed when the first byte is odd), then k2*P, P + P,
    P + (k2*G), k2*G + P."""
    if not body:
        return
    compress, (first, second) = body[0] & 1, _split(body[1:])
    point = agree(lambda g: g.mul(_scalar(curve, first)), twins)
    assert isinstance(point, bytes)
    if compress:
        point = bytes((2 | point[-1] & 1,)) + point[1 : 1 + curve.size]
    k2 = _scalar(curve, second)
    other = agree(lambda g: g.mul(k2), twins)
    assert isinstance(other, bytes)
    agree(lambda g: g.check(point), twins)
    agree(lambda g: g.mul(k2, point), twins)
    agree(lambda g: g.add(point, point), twins)
    agree(lambda g: g.add(point, other), twins)
    agree(lambda g: g.mul_add(k2, point), twins)


def _split(body: bytes) -> tuple[bytes, bytes]:
    """Two values: the first byte is the length of the first."""
    if not body:
        return b"", b""
    cut = 1 + body[0]
    return body[1:cut], body[cut:]


def _scalar(curve: ECCurve, raw: bytes) -> bytes:
    """A scalar as our own code passes one: 1 to 2 * len(n) bytes."""
    return raw[: 2 * ((curve.n.bit_length() + 7) // 8)] or b"\x01"


test_one_input = rejecting(check_ec_points)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=512)
