"""Differential and algebraic properties of the EC cores: native == reference, always.

For random scalars and points on several curves, both backends must give the same bytes or
fail with the same exception and message; and the group law must hold (a*G + b*G = (a+b)*G,
mul_add(s, H) = s*G + H). The pure-Python side costs a few ms per scalar multiplication on
256-bit curves (tens on 521-bit ones), so the big curves get few examples. Tiny curves, with
their points counted by brute force, take both backends through every scalar up to 2n*h and
every exceptional case of the group law, cofactors included.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrtd.crypto import ec
from mrtd.crypto.domains import CURVES_BY_NAME, ECCurve
from mrtd.crypto.ec import GroupBackend

# (curve, hypothesis examples): the PACE curves get the most.
CURVES = [
    ("P-192", 60),
    ("brainpoolP256r1", 100),
    ("P-256", 100),
    ("brainpoolP384r1", 20),
    ("P-521", 15),
    ("brainpoolP512r1", 15),
]
Outcome = tuple[str, bytes | str]
Groups = tuple[ECCurve, GroupBackend, GroupBackend]


def groups(name: str) -> Groups:
    if ec.native is None:
        pytest.skip("the native EC core is not built")
    curve = CURVES_BY_NAME[name]
    size = curve.size
    args = (
        *(v.to_bytes(size, "big") for v in (curve.p, curve.a, curve.b, curve.gx, curve.gy)),
        curve.n.to_bytes((curve.n.bit_length() + 7) // 8, "big"),
    )
    p, a, b, gx, gy, n = args
    h = curve.h
    return curve, ec.native(p, a, b, gx, gy, n, h), ec.reference(p, a, b, gx, gy, n, h)


def outcome(call: Callable[[], bytes]) -> Outcome:
    try:
        return "ok", call()
    except (ValueError, TypeError) as exc:
        return type(exc).__name__, str(exc)


def agree(
    call: Callable[[GroupBackend], bytes], native: GroupBackend, ref: GroupBackend
) -> Outcome:
    """Run a call on both backends; they must agree. What they gave."""
    got = outcome(partial(call, native))
    assert got == outcome(partial(call, ref))
    return got


def encode(value: int, length: int | None = None) -> bytes:
    return value.to_bytes(length or max(1, (value.bit_length() + 7) // 8), "big")


@st.composite
def scalars(draw: st.DrawFn, curve: ECCurve) -> int:
    """Mostly uniform in [1, n), with the edges: 0, 1, 2, n-1, n, n+1, all-ones."""
    n = curve.n
    edges = [0, 1, 2, n - 1, n, n + 1, 2 ** n.bit_length() - 1]
    return draw(st.one_of(st.integers(1, n - 1), st.sampled_from(edges)))


@st.composite
def scalar_bytes(draw: st.DrawFn, curve: ECCurve) -> bytes:
    """A scalar as the backends take it: big-endian, maybe with leading zeros, maybe empty."""
    value = draw(scalars(curve))
    pad = draw(st.integers(0, 2))
    minimal = encode(value)
    if not value:
        return bytes(pad + 1)
    return draw(st.sampled_from([bytes(pad) + minimal] * 5 + [b""]))


@st.composite
def mangled(draw: st.DrawFn, curve: ECCurve, good: bytes) -> bytes:
    """A valid uncompressed point, or a compressed one, or one of them damaged."""
    size = curve.size
    candidates = [good, bytes((2 | good[-1] & 1,)) + good[1 : 1 + size]]
    raw = bytearray(draw(st.sampled_from(candidates)))
    how = draw(st.sampled_from(["keep", "flip", "prefix", "cut", "extend", "x", "junk"]))
    if how == "flip":
        index = draw(st.integers(0, len(raw) - 1))
        raw[index] ^= 1 << draw(st.integers(0, 7))
    elif how == "prefix":
        raw[0] = draw(st.integers(0, 255))
    elif how == "cut":
        del raw[draw(st.integers(0, len(raw) - 1)) :]
    elif how == "extend":
        raw += draw(st.binary(min_size=1, max_size=3))
    elif how == "x":  # any x, valid or not: about half have a point
        raw[1 : 1 + size] = encode(draw(st.integers(0, 2 ** (8 * size) - 1)), size)
    elif how == "junk":
        raw = bytearray(draw(st.binary(max_size=2 * size + 2)))
    return bytes(raw)


def per_curve(
    test: Callable[[st.DataObject, Groups], None],
) -> Callable[[str, int], None]:
    """Run `test` under hypothesis on every curve of CURVES with that curve's example budget."""

    @pytest.mark.parametrize(("name", "examples"), CURVES, ids=[c for c, _ in CURVES])
    def run(name: str, examples: int) -> None:
        g = groups(name)

        def one_curve(data: st.DataObject) -> None:
            test(data, g)

        # its own name, so that hypothesis keeps each curve's examples apart
        one_curve.__name__ = one_curve.__qualname__ = f"{test.__name__}_{name.replace('-', '_')}"
        limits = settings(
            max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        )
        limits(given(st.data())(one_curve))()

    run.__name__ = test.__name__
    run.__doc__ = test.__doc__
    return run


@per_curve
def test_mul_generator_agrees(data: st.DataObject, g: Groups) -> None:
    curve, native, ref = g
    k = data.draw(scalar_bytes(curve), "k")
    agree(lambda b: b.mul(k), native, ref)


@per_curve
def test_mul_point_agrees(data: st.DataObject, g: Groups) -> None:
    curve, native, ref = g
    base = native.mul(encode(data.draw(st.integers(1, curve.n - 1), "base")))
    point = data.draw(mangled(curve, base), "point")
    k = data.draw(scalar_bytes(curve), "k")
    agree(lambda b: b.mul(k, point), native, ref)


@per_curve
def test_check_agrees(data: st.DataObject, g: Groups) -> None:
    curve, native, ref = g
    base = native.mul(encode(data.draw(st.integers(1, curve.n - 1), "base")))
    point = data.draw(mangled(curve, base), "point")
    got = agree(lambda b: b.check(point), native, ref)
    if point == base:
        assert got == ("ok", base)


@per_curve
def test_add_agrees_and_is_the_group_law(data: st.DataObject, g: Groups) -> None:
    """a*G + b*G == (a+b)*G; b = a (doubling) and b = n - a (opposites) come up too."""
    curve, native, ref = g
    a = data.draw(st.integers(1, curve.n - 1), "a")
    b = data.draw(st.one_of(st.integers(1, curve.n - 1), st.just(a), st.just(curve.n - a)), "b")
    pa, pb = native.mul(encode(a)), native.mul(encode(b))
    got = agree(lambda be: be.add(pa, pb), native, ref)
    assert got == outcome(lambda: native.mul(encode((a + b) % curve.n)))


@per_curve
def test_mul_add_agrees_and_is_mul_then_add(data: st.DataObject, g: Groups) -> None:
    curve, native, ref = g
    h = native.mul(encode(data.draw(st.integers(1, curve.n - 1), "h")))
    s = data.draw(scalar_bytes(curve), "s")
    got = agree(lambda b: b.mul_add(s, h), native, ref)
    if int.from_bytes(s, "big") % curve.n:  # else s*G is O, which mul refuses
        assert got == outcome(lambda: native.add(native.mul(s), h))


@per_curve
def test_scalar_multiplication_composes(data: st.DataObject, g: Groups) -> None:
    """a*(b*G) == (a*b)*G == b*(a*G): the Diffie-Hellman property."""
    curve, native, _ = g
    a = data.draw(st.integers(1, curve.n - 1), "a")
    b = data.draw(st.integers(1, curve.n - 1), "b")
    shared = native.mul(encode(a), native.mul(encode(b)))
    assert shared == native.mul(encode(b), native.mul(encode(a)))
    assert shared == native.mul(encode(a * b % curve.n))


# -- tiny curves: every exceptional case of the group law -----------------------------------

SMALL_PRIMES = [q for q in range(5, 200) if all(q % d for d in range(2, int(q**0.5) + 1))]


def curve_points(p: int, a: int, b: int) -> list[tuple[int, int]]:
    roots: dict[int, list[int]] = {}
    for y in range(p):
        roots.setdefault(y * y % p, []).append(y)
    return [(x, y) for x in range(p) for y in roots.get((x**3 + a * x + b) % p, [])]


def largest_prime_factor(m: int) -> int:
    factor, d = 1, 2
    while d * d <= m:
        while m % d == 0:
            factor, m = d, m // d
        d += 1
    return max(factor, m)


def check_op(point: bytes, g: GroupBackend) -> bytes:
    return g.check(point)


def mul_op(k: bytes, point: bytes | None, g: GroupBackend) -> bytes:
    return g.mul(k, point)


def mul_add_op(k: bytes, point: bytes, g: GroupBackend) -> bytes:
    return g.mul_add(k, point)


def add_op(first: bytes, second: bytes, g: GroupBackend) -> bytes:
    return g.add(first, second)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(SMALL_PRIMES), st.integers(0, 10**6), st.integers(0, 10**6))
def test_tiny_curves_agree_on_every_scalar_and_point(p: int, a: int, b: int) -> None:
    """Curves of a few hundred points, counted by brute force: P = Q, P = -Q, points of order 2,
    small-subgroup points, scalars 0, n, 2n and above all come up, and the backends agree."""
    if ec.native is None:
        pytest.skip("the native EC core is not built")
    a, b = a % p, b % p
    points = curve_points(p, a, b)
    order = len(points) + 1  # with the point at infinity
    n = largest_prime_factor(order)
    h = order // n
    if (4 * a**3 + 27 * b * b) % p == 0 or not points or n < 5:
        return
    size = (p.bit_length() + 7) // 8
    pp, aa, bb = (v.to_bytes(size, "big") for v in (p, a, b))
    encoded = [b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big") for x, y in points]
    # a view of the curve that checks no subgroup: h*P for each P, until one has order n
    loose = ec.reference(pp, aa, bb, encoded[0][1 : 1 + size], encoded[0][1 + size :], b"\x02", 1)
    multiples = (outcome(partial(mul_op, encode(h), e, loose)) for e in encoded)
    gen = next((m for kind, m in multiples if kind == "ok" and isinstance(m, bytes)), None)
    if gen is None:  # no point of order n: the group is not cyclic
        return
    gx, gy = gen[1 : 1 + size], gen[1 + size :]
    native = ec.native(pp, aa, bb, gx, gy, encode(n), h)
    ref = ec.reference(pp, aa, bb, gx, gy, encode(n), h)

    compressed = [bytes((2 | e[-1] & 1,)) + e[1 : 1 + size] for e in encoded]
    any_x = [b"\x03" + x.to_bytes(size, "big") for x in range(min(p, 40))]
    for e in encoded + compressed + any_x:
        agree(partial(check_op, e), native, ref)
    valid = [e for e in encoded if outcome(partial(check_op, e, ref))[0] == "ok"]
    for k in [encode(k) for k in range(2 * n * h + 3)] + [b"", b"\x00\x00\x05"]:
        for base in [None, *valid[:3]]:
            agree(partial(mul_op, k, base), native, ref)
        for base in valid[:2]:
            agree(partial(mul_add_op, k, base), native, ref)
    for first in valid[:8]:
        for second in valid[:8]:
            agree(partial(add_op, first, second), native, ref)
