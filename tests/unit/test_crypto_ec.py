"""The C elliptic-curve core (`mrtd.crypto._ec`) and its pure-Python twin must agree.

Known-answer replays (ICAO 9303-11 Appendix G, the BSI EAC worked example) run on both
backends; hostile points must fail on both with the same exception and the same message.
Besides the curves of `domains.CURVES` (all cofactor 1), two curves with a cofactor, the short
Weierstrass forms of Curve25519 (h = 8) and Curve448 (h = 4), exercise the subgroup check.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial

import pytest

from mrtd.crypto import ec
from mrtd.crypto.domains import CURVES, CURVES_BY_NAME, ECCurve
from mrtd.crypto.ec import Backend, ECGroup, GroupBackend, GroupFactory
from mrtd.errors import DecodeError, InvalidPointError
from tests.conftest import VECTORS

BACKENDS: list[Backend] = ["native", "python"]
ICAO = VECTORS["pace.ecdh_gm.brainpoolP256r1"]
BSI = VECTORS["bsi_eac_worked_example.ecdh"]
BP256 = CURVES_BY_NAME["brainpoolP256r1"]
P256 = CURVES_BY_NAME["P-256"]

Outcome = tuple[str, bytes | str]
Params = tuple[bytes, bytes, bytes, bytes, bytes, bytes]


def _weierstrass(name: str, p: int, a_mont: int, u: int, v: int, n: int, h: int) -> ECCurve:
    """The short Weierstrass form of the Montgomery curve v^2 = u^3 + A u^2 + u."""
    third = pow(3, -1, p)
    a = (3 - a_mont * a_mont) * third % p
    b = (2 * a_mont**3 - 9 * a_mont) * pow(27, -1, p) % p
    return ECCurve(name, "", p, a, b, (u + a_mont * third) % p, v, n, h)


# RFC 7748 base points; orders from RFC 7748 §4.1/§4.2.
WEI25519 = _weierstrass(
    "Wei25519",
    2**255 - 19,
    486662,
    9,
    14781619447589544791020593568409986887264606134616475288964881837755586237401,
    2**252 + 27742317777372353535851937790883648493,
    8,
)
WEI448 = _weierstrass(
    "Wei448",
    2**448 - 2**224 - 1,
    156326,
    5,
    355293926785568175264127502063783334808976399387714271831880898435169088786967410002932673765864550910142774147268105838985595290606362,
    2**446 - 13818066809895115352007386748515426880336692474882178609894547503885,
    4,
)
COFACTOR_CURVES = [WEI448, WEI25519]


def factory(backend: str) -> GroupFactory:
    if backend == "python":
        return ec.reference
    if ec.native is None:
        pytest.skip("the native EC core is not built")
    return ec.native


def params(curve: ECCurve) -> Params:
    """The constructor's arguments but h, as ECGroup passes them."""
    p, a, b, gx, gy = (
        v.to_bytes(curve.size, "big") for v in (curve.p, curve.a, curve.b, curve.gx, curve.gy)
    )
    return p, a, b, gx, gy, curve.n.to_bytes((curve.n.bit_length() + 7) // 8, "big")


def ec_group(curve: ECCurve, backend: Backend) -> ECGroup:
    factory(backend)  # skips when the native core is missing
    return ECGroup(curve, backend)


def group(backend: str, curve: ECCurve, h: int | None = None) -> GroupBackend:
    return factory(backend)(*params(curve), curve.h if h is None else h)


def both(curve: ECCurve) -> tuple[GroupBackend, GroupBackend]:
    return group("native", curve), group("python", curve)


def exact(message: str) -> str:
    """A pytest.raises pattern for exactly this message."""
    return f"^{re.escape(message)}$"


def outcome(call: Callable[[], bytes]) -> Outcome:
    """What a call gives: ("ok", result) or (exception class name, message)."""
    try:
        return "ok", call()
    except (ValueError, TypeError) as exc:
        return type(exc).__name__, str(exc)


def point(curve: ECCurve, x: int, y: int) -> bytes:
    return b"\x04" + x.to_bytes(curve.size, "big") + y.to_bytes(curve.size, "big")


def compressed(curve: ECCurve, encoded: bytes) -> bytes:
    size = curve.size
    return bytes((2 | encoded[-1] & 1,)) + encoded[1 : 1 + size]


def negate(curve: ECCurve, encoded: bytes) -> bytes:
    y = int.from_bytes(encoded[1 + curve.size :], "big")
    return encoded[: 1 + curve.size] + ((curve.p - y) % curve.p).to_bytes(curve.size, "big")


def rhs(curve: ECCurve, x: int) -> int:
    return (x**3 + curve.a * x + curve.b) % curve.p


def is_square(curve: ECCurve, value: int) -> bool:
    return value == 0 or pow(value, (curve.p - 1) // 2, curve.p) == 1


def xs_without_point(curve: ECCurve) -> Iterator[int]:
    """x-coordinates of no point of the curve: on its quadratic twist."""
    return (x for x in range(1, 1000) if not is_square(curve, rhs(curve, x)))


def scalar(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


# -- the backend in use ---------------------------------------------------------------------


def test_native_ec_core_loaded_when_required() -> None:
    if os.environ.get("MRTD_REQUIRE_NATIVE") == "1":
        assert ec.ec_backend() == "native"
        assert ec.native is not None
        assert ec.native.__module__ == "mrtd.crypto._ec"
    else:
        assert ec.ec_backend() in ("native", "python")


def test_named_curves_use_openssls_own_groups() -> None:
    """Explicit parameters of a named curve get OpenSSL's group for it (P-256: its own code)."""
    _ec = pytest.importorskip("mrtd.crypto._ec")

    names = {curve.name: _ec.Group(*params(curve), curve.h).named_curve for curve in CURVES}
    assert names["P-256"] == "prime256v1"
    assert names["brainpoolP256r1"] == "brainpoolP256r1"
    assert all(names.values()), names
    assert _ec.Group(*params(WEI448), 4).named_curve is None


# -- known answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_icao_9303_appendix_g_ecdh_generic_mapping(backend: Backend) -> None:
    g = ec_group(BP256, backend)
    names = ["term_map_pub", "chip_map_pub", "shared_H", "mapped_G", "term_eph_pub"]
    v = {name: bytes.fromhex(ICAO[name]) for name in [*names, "chip_eph_pub", "K"]}
    term_map_priv = int(ICAO["term_map_priv"], 16)
    term_eph_priv = int(ICAO["term_eph_priv"], 16)
    nonce_s = int(ICAO["nonce_s"], 16)

    assert g.mul(term_map_priv) == v["term_map_pub"]
    assert g.check(v["chip_map_pub"]) == v["chip_map_pub"]
    shared_h = g.mul(term_map_priv, v["chip_map_pub"])
    assert shared_h == v["shared_H"]
    mapped_g = g.mul_add(nonce_s, shared_h)
    assert mapped_g == v["mapped_G"]
    assert g.add(g.mul(nonce_s), shared_h) == mapped_g
    assert g.mul(term_eph_priv, mapped_g) == v["term_eph_pub"]
    assert g.x(g.mul(term_eph_priv, v["chip_eph_pub"])) == v["K"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_bsi_eac_worked_example_pace_and_chip_authentication(backend: Backend) -> None:
    g = ec_group(BP256, backend)
    pt = {k: bytes.fromhex(h) for k, h in BSI.items() if k.endswith(("_pub_key", "_h"))}
    key = {k: int(h, 16) for k, h in BSI.items() if k.endswith("_priv_key")}

    # PACE generic mapping, both sides
    assert g.mul(key["map_pcd_priv_key"]) == pt["map_pcd_pub_key"]
    assert g.mul(key["map_picc_priv_key"]) == pt["map_picc_pub_key"]
    h = g.mul(key["map_pcd_priv_key"], pt["map_picc_pub_key"])
    assert h == g.mul(key["map_picc_priv_key"], pt["map_pcd_pub_key"])
    assert h == pt["map_shared_secret_h"]
    mapped = g.mul_add(int(BSI["nonce"], 16), h)
    assert mapped == bytes.fromhex(BSI["map_generator"])
    assert g.mul(key["pcd_priv_key"], mapped) == pt["pcd_pub_key"]
    assert g.mul(key["picc_priv_key"], mapped) == pt["picc_pub_key"]
    k = g.x(g.mul(key["pcd_priv_key"], pt["picc_pub_key"]))
    assert k == g.x(g.mul(key["picc_priv_key"], pt["pcd_pub_key"]))
    assert k == bytes.fromhex(BSI["shared_secret_k"])

    # Chip Authentication: static chip key, ephemeral terminal key, on the standard generator
    assert g.mul(key["ca_picc_priv_key"]) == pt["ca_picc_pub_key"]
    assert g.mul(key["ca_pcd_priv_key"]) == pt["ca_pcd_pub_key"]
    ca_k = g.x(g.mul(key["ca_pcd_priv_key"], pt["ca_picc_pub_key"]))
    assert ca_k == g.x(g.mul(key["ca_picc_priv_key"], pt["ca_pcd_pub_key"]))
    assert ca_k == bytes.fromhex(BSI["ca_shared_secret_k"])


# -- every curve -----------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("curve", CURVES, ids=[c.name for c in CURVES])
def test_generator_order_negation_and_point_compression(backend: str, curve: ECCurve) -> None:
    g = group(backend, curve)
    gen = curve.generator
    with pytest.raises(InvalidPointError, match=exact("result is the point at infinity")):
        g.mul(scalar(curve.n))
    with pytest.raises(InvalidPointError, match=exact("result is the point at infinity")):
        g.mul(scalar(curve.n), gen)
    with pytest.raises(InvalidPointError, match=exact("result is the point at infinity")):
        g.mul(b"\x00" * curve.size)
    minus_g = g.mul(scalar(curve.n - 1))
    assert minus_g == negate(curve, gen)
    with pytest.raises(InvalidPointError, match=exact("result is the point at infinity")):
        g.add(gen, minus_g)
    assert g.add(gen, gen) == g.mul(b"\x02")
    assert g.mul(scalar(curve.n + 1)) == gen  # scalars are not limited to [1, n)
    assert g.mul_add(scalar(curve.n), gen) == gen  # n*G is O, O + G = G
    # gen and -gen have y of opposite parities: both prefixes 02 and 03 decode
    assert {compressed(curve, gen)[0], compressed(curve, minus_g)[0]} == {2, 3}
    for full in (gen, minus_g):
        assert g.check(compressed(curve, full)) == full
        assert g.check(bytearray(full)) == full
        assert g.check(memoryview(compressed(curve, full))) == full


# -- hostile points ---------------------------------------------------------------------------

# Every way a point enters: (name, call with the point).
POINT_INPUTS: list[tuple[str, Callable[[GroupBackend, bytes], bytes]]] = [
    ("check", lambda g, pt: g.check(pt)),
    ("mul", lambda g, pt: g.mul(b"\x05", pt)),
    ("add first", lambda g, pt: g.add(pt, g.mul(b"\x01"))),
    ("add second", lambda g, pt: g.add(g.mul(b"\x01"), pt)),
    ("mul_add", lambda g, pt: g.mul_add(b"\x05", pt)),
]


def hostile_points(curve: ECCurve) -> list[tuple[str, bytes, str]]:
    """(case, encoding, the message both backends must give)."""
    size, p, gen = curve.size, curve.p, curve.generator
    gx, gy = curve.gx, curve.gy
    twist_x = next(xs_without_point(curve))
    ones = 2 ** (8 * size) - 1
    field = "point coordinate is not a field element"
    cases = [
        ("infinity", b"\x00", "point is the point at infinity"),
        ("empty", b"", "point encoding is malformed"),
        ("prefix only", b"\x04", "point encoding is malformed"),
        ("truncated", gen[:-1], "point encoding is malformed"),
        ("one byte too many", gen + b"\x00", "point encoding is malformed"),
        ("infinity, padded", bytes(len(gen)), "point encoding is malformed"),
        ("prefix 05", b"\x05" + gen[1:], "point encoding is malformed"),
        ("hybrid prefix 06", b"\x06" + gen[1:], "point encoding is malformed"),
        ("prefix 02, uncompressed length", b"\x02" + gen[1:], "point encoding is malformed"),
        ("prefix 04, compressed length", gen[: 1 + size], "point encoding is malformed"),
        ("x = p", point(curve, p, gy), field),
        ("y = p", point(curve, gx, p), field),
        ("x all ones", point(curve, ones, gy), field),
        ("y all ones", point(curve, gx, ones), field),
        ("compressed, x = p", b"\x02" + p.to_bytes(size, "big"), field),
        ("y off by one", point(curve, gx, (gy + 1) % p), "point is not on the curve"),
        ("(0, 0)", point(curve, 0, 0), "point is not on the curve"),
        ("x on the twist", point(curve, twist_x, 1), "point is not on the curve"),
        ("compressed, x on the twist", b"\x03" + twist_x.to_bytes(size, "big"),
         "point is not on the curve"),
    ]  # fmt: skip
    others = [c for c in CURVES if c.size == size and c is not curve]
    if others:  # same length, another curve: an invalid-curve point
        cases.append(
            ("another curve's generator", others[0].generator, "point is not on the curve")
        )
    return cases


@pytest.mark.parametrize("curve", [BP256, P256, CURVES_BY_NAME["P-521"]], ids=lambda c: c.name)
def test_hostile_points_fail_alike_on_both_backends(curve: ECCurve) -> None:
    native, reference = both(curve)
    for case, bad, message in hostile_points(curve):
        for name, call in POINT_INPUTS:
            expected = ("InvalidPointError", message)
            assert outcome(partial(call, native, bad)) == expected, (case, name, "native")
            assert outcome(partial(call, reference, bad)) == expected, (case, name, "python")


@pytest.mark.parametrize("backend", BACKENDS)
def test_point_errors_come_before_scalar_errors(backend: str) -> None:
    g = group(backend, BP256)
    with pytest.raises(InvalidPointError, match=exact("point encoding is malformed")):
        g.mul(b"", b"\x04")
    with pytest.raises(InvalidPointError, match=exact("point encoding is malformed")):
        g.mul_add(b"", b"\x04")
    with pytest.raises(ValueError, match=exact("scalar is empty")):
        g.mul(b"")
    with pytest.raises(ValueError, match=exact("scalar is empty")):
        g.mul_add(bytearray(), BP256.generator)
    with pytest.raises(InvalidPointError, match=exact("result is the point at infinity")):
        g.mul_add(b"\x00", BP256.generator)


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_buffers_are_type_errors(backend: str) -> None:
    g = group(backend, BP256)
    gen = BP256.generator
    calls: list[Callable[[], object]] = [
        lambda: g.check(None),  # type: ignore[arg-type]
        lambda: g.check("04"),  # type: ignore[arg-type]
        lambda: g.mul(None),  # type: ignore[arg-type]
        lambda: g.mul(b"\x01", "04"),  # type: ignore[arg-type]
        lambda: g.add(gen, None),  # type: ignore[arg-type]
        lambda: g.mul_add(b"\x01", None),  # type: ignore[arg-type]
        lambda: factory(backend)(None, *params(BP256)[1:], 1),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(TypeError):
            call()


# -- a cofactor: the prime-order subgroup check --------------------------------------------


def order_two_point(curve: ECCurve) -> bytes:
    """(A/3, 0): the point of order 2 of a Montgomery curve v^2 = u^3 + Au^2 + u, at u = 0."""
    a_mont = {WEI25519.p: 486662, WEI448.p: 156326}[curve.p]
    return point(curve, a_mont * pow(3, -1, curve.p) % curve.p, 0)


def torsion_point(curve: ECCurve) -> bytes:
    """A point of small order (> 1, dividing h): n*R for some point R off the subgroup. Made
    with an h = 1 view of the curve, which checks no subgroup membership."""
    loose = group("python", curve, h=1)
    for x in range(1, 1000):
        if rhs(curve, x) and is_square(curve, rhs(curve, x)):
            r = loose.check(b"\x02" + x.to_bytes(curve.size, "big"))
            try:
                return loose.mul(scalar(curve.n), r)
            except InvalidPointError:  # R was in the subgroup
                continue
    raise AssertionError("no torsion point found")


@pytest.mark.parametrize("curve", COFACTOR_CURVES, ids=lambda c: c.name)
def test_small_subgroup_points_are_rejected_alike(curve: ECCurve) -> None:
    native, reference = both(curve)
    loose = group("python", curve, h=1)
    size = curve.size
    order_two, torsion = order_two_point(curve), torsion_point(curve)
    cases = {
        "order 2": order_two,
        "order 2, compressed 02": b"\x02" + order_two[1 : 1 + size],
        "order 2, compressed 03 (y = 0 takes either prefix)": b"\x03" + order_two[1 : 1 + size],
        "small order": torsion,
        "G + small order (large order)": loose.add(curve.generator, torsion),
    }
    for case, bad in cases.items():
        assert loose.check(bad)  # on the curve: only the subgroup is wrong
        for name, call in POINT_INPUTS:
            expected = ("InvalidPointError", "point is not in the prime-order subgroup")
            assert outcome(partial(call, native, bad)) == expected, (case, name, "native")
            assert outcome(partial(call, reference, bad)) == expected, (case, name, "python")


@pytest.mark.parametrize("curve", COFACTOR_CURVES, ids=lambda c: c.name)
def test_cofactor_curve_arithmetic_agrees(curve: ECCurve) -> None:
    native, reference = both(curve)
    a, b = scalar(curve.n // 7), scalar(curve.n - 12345)
    pa = native.mul(a)
    assert pa == reference.mul(a)
    assert native.mul(b, pa) == reference.mul(b, pa)
    assert native.mul_add(b, pa) == reference.mul_add(b, pa)
    assert native.add(pa, curve.generator) == reference.add(pa, curve.generator)
    assert native.check(compressed(curve, pa)) == pa
    with pytest.raises(InvalidPointError, match=exact("result is the point at infinity")):
        native.mul(scalar(curve.n), pa)


# -- parameters ------------------------------------------------------------------------------


def bad_parameter_sets() -> list[tuple[str, Params, int, str]]:
    p, a, b, gx, gy, n = params(BP256)
    size = BP256.size
    prime = "curve parameters are not those of a prime curve"
    reduced = "curve coefficients must be reduced modulo p"
    return [
        ("p = 3", (b"\x03", b"\x00", b"\x01", b"\x00", b"\x01", b"\x05"), 1, prime),
        ("p empty", (b"", a, b, gx, gy, n), 1, prime),
        ("p even", ((BP256.p + 1).to_bytes(size, "big"), a, b, gx, gy, n), 1, prime),
        ("n = 1", (p, a, b, gx, gy, b"\x01"), 1, prime),
        ("h = 0", (p, a, b, gx, gy, n), 0, prime),
        ("h = -1", (p, a, b, gx, gy, n), -1, prime),
        ("a = p", (p, p, b, gx, gy, n), 1, reduced),
        ("b > p", (p, a, b"\xff" * size, gx, gy, n), 1, reduced),
        ("a = b = 0", (p, b"\x00", b"\x00", gx, gy, n), 1, "curve is singular"),
        ("G off the curve", (p, a, b, gx, b"\x01", n), 1, "generator is not on the curve"),
        ("G with x = p", (p, a, b, p, gy, n), 1, "generator is not on the curve"),
    ]  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_parameters_are_value_errors(backend: str) -> None:
    for case, values, h, message in bad_parameter_sets():
        with pytest.raises(ValueError, match=exact(message)) as info:
            factory(backend)(*values, h)
        assert not isinstance(info.value, InvalidPointError), case


def test_native_limits_beyond_the_reference() -> None:
    """What only the native core refuses: sizes it caps, and parameters OpenSSL's arithmetic
    would silently get wrong (n*h off the Hasse bound, a generator not of order n)."""
    make = factory("native")
    p, a, b, gx, gy, n = params(BP256)
    with pytest.raises(ValueError, match=exact("curve parameter longer than 1024 bytes")):
        make(p, a, b, gx, gy, bytes(1025), 1)
    big_p = (2**600 - 1).to_bytes(75, "big")
    with pytest.raises(ValueError, match=exact("curve field is larger than 66 bytes")):
        make(big_p, b"\x00", b"\x07", b"\x00", b"\x01", b"\x02", 1)
    with pytest.raises(ValueError, match=exact("n*h does not match the curve (Hasse bound)")):
        make(p, a, b, gx, gy, n, 2)
    with pytest.raises(ValueError, match=exact("n*h does not match the curve (Hasse bound)")):
        make(p, a, b, gx, gy, n, 2**70)
    # G + (a point of order 2) has order 2n, so n*G' is not O
    g2 = group("python", WEI448, h=1).add(WEI448.generator, order_two_point(WEI448))
    w = params(WEI448)
    with pytest.raises(ValueError, match=exact("generator does not have order n")):
        make(w[0], w[1], w[2], g2[1:57], g2[57:], w[5], 4)
    g = make(*params(BP256), 1)
    with pytest.raises(ValueError, match=exact("scalar longer than 1024 bytes")):
        g.mul(b"\x01" * 1025)
    assert g.mul(b"\x00" * 1000 + b"\x01") == BP256.generator


def test_keyword_arguments_match_the_reference() -> None:
    for backend in BACKENDS:
        make = factory(backend)
        p, a, b, gx, gy, n = params(BP256)
        g = make(p=p, a=a, b=b, gx=gx, gy=gy, n=n, h=1)
        gen = BP256.generator
        assert g.check(point=gen) == gen
        assert g.mul(scalar=b"\x01", point=gen) == gen
        assert g.add(first=gen, second=gen) == g.mul(b"\x02")
        assert g.mul_add(scalar=b"\x01", point=gen) == g.mul(b"\x02")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_composite_field_is_refused_before_any_arithmetic(backend: Backend) -> None:
    """Explicit parameters come from chips and certificates: over a composite "p" the
    pure-Python square root (Tonelli-Shanks' search for a non-residue) would never end."""
    p = 1_000_003 * 1_000_033  # odd, composite
    fake = replace(BP256, name="", oid="", p=p, a=1, b=7, gx=1, gy=3, n=p + 1)
    with pytest.raises(
        DecodeError, match=exact("EC domain parameters are not a usable curve: p is not prime")
    ):
        ECGroup(fake, backend)
    assert ec._probably_prime(BP256.p)
    assert not ec._probably_prime(561)  # a Carmichael number
