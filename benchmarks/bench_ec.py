"""Elliptic-curve cost: the C core (`mrtd.crypto._ec`) against its pure-Python twin.

Two measurements, both backends in the same run, interleaved, best of several rounds:
- per curve of `domains.CURVES`: µs per scalar multiplication k*P of a variable point (the
  ECDH step; the point is decoded and validated as in every call), and the ratio python/native;
- the terminal's side of one PACE with the generic mapping (ICAO 9303-11 §4.4.3.3.1) on
  brainpoolP256r1 and P-256: its map key pair, H = k*P_chip, G~ = s*G + H, its ephemeral key
  pair on G~ and the shared secret: 5 scalar multiplications, every chip point validated.
  The chip's keys are made once beforehand and not timed.

    .venv/bin/python benchmarks/bench_ec.py [--rounds N] [--budget SECONDS] [--json PATH] [--check]

--check exits 1 when the native PACE on brainpoolP256r1 is less than 20x faster than the pure
path. "OpenSSL group" says which implementation serves the curve: OpenSSL's name for it when
the explicit parameters matched a named curve (P-224, P-256 and P-521 have dedicated code in
libcrypto; the others share its generic constant-time ladder).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from mrtd.crypto import _core, _ec
from mrtd.crypto.domains import CURVES, CURVES_BY_NAME, ECCurve
from mrtd.crypto.ec import GroupBackend, reference

TARGET_RATIO = 20.0
TARGET_CURVE = "brainpoolP256r1"
PACE_CURVES = ("brainpoolP256r1", "P-256")
SCALARS = 8  # distinct scalars cycled through, so no run repeats one input


@dataclass
class Row:
    curve: str
    native_us: float
    python_us: float
    ratio: float
    openssl_group: str


def params(curve: ECCurve) -> tuple[bytes, bytes, bytes, bytes, bytes, bytes]:
    size = curve.size
    p, a, b, gx, gy = (
        v.to_bytes(size, "big") for v in (curve.p, curve.a, curve.b, curve.gx, curve.gy)
    )
    return p, a, b, gx, gy, curve.n.to_bytes((curve.n.bit_length() + 7) // 8, "big")


def scalars(curve: ECCurve, rng: random.Random) -> list[bytes]:
    return [rng.randrange(1, curve.n).to_bytes(curve.size + 1, "big") for _ in range(SCALARS)]


def seconds_per_call(call: Callable[[int], object], number: int) -> float:
    start = time.perf_counter()
    for i in range(number):
        call(i)
    return (time.perf_counter() - start) / number


def calibrate(call: Callable[[int], object], budget: float) -> int:
    """Calls per timed round so that a round takes about `budget` seconds."""
    once = seconds_per_call(call, 1)
    return max(2, min(100_000, int(budget / max(once, 1e-7))))


def best_of(
    calls: dict[str, Callable[[int], object]], rounds: int, budget: float
) -> dict[str, float]:
    """Best seconds per call of each, over interleaved rounds (so drift hits all alike)."""
    numbers = {name: calibrate(call, budget) for name, call in calls.items()}
    best = dict.fromkeys(calls, float("inf"))
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for name, call in calls.items():
                best[name] = min(best[name], seconds_per_call(call, numbers[name]))
    finally:
        if gc_was_enabled:
            gc.enable()
    return best


def bench_mul(curve: ECCurve, rounds: int, budget: float, rng: random.Random) -> Row:
    native = _ec.Group(*params(curve), curve.h)
    python = reference(*params(curve), curve.h)
    ks = scalars(curve, rng)
    point = native.mul(ks[0])
    for k in ks:  # both must give the same answers before their times mean anything
        assert native.mul(k, point) == python.mul(k, point)

    def mul(impl: GroupBackend) -> Callable[[int], object]:
        return lambda i: impl.mul(ks[i % SCALARS], point)

    best = best_of({"native": mul(native), "python": mul(python)}, rounds, budget)
    native_us, python_us = best["native"] * 1e6, best["python"] * 1e6
    return Row(curve.name, native_us, python_us, python_us / native_us, native.named_curve or "-")


def pace_terminal(
    g: GroupBackend, chip_map_pub: bytes, chip_eph_pub: bytes, keys: list[bytes]
) -> bytes:
    """The terminal's EC work in PACE-GM: 5 scalar multiplications. The shared secret point."""
    map_priv, nonce, eph_priv = keys
    g.mul(map_priv)  # its mapping public key, sent to the chip
    h = g.mul(map_priv, chip_map_pub)
    mapped = g.mul_add(nonce, h)
    g.mul(eph_priv, mapped)  # its ephemeral public key, sent to the chip
    return g.mul(eph_priv, chip_eph_pub)


def bench_pace(curve: ECCurve, rounds: int, budget: float, rng: random.Random) -> Row:
    native = _ec.Group(*params(curve), curve.h)
    python = reference(*params(curve), curve.h)
    sessions = []
    for _ in range(SCALARS):  # the chip's side, once per session
        keys = [rng.randrange(1, curve.n).to_bytes(curve.size, "big") for _ in range(3)]
        chip_map_priv, chip_eph_priv = (
            rng.randrange(1, curve.n).to_bytes(curve.size, "big") for _ in range(2)
        )
        chip_map_pub = native.mul(chip_map_priv)
        mapped = native.mul_add(keys[1], native.mul(chip_map_priv, native.mul(keys[0])))
        chip_eph_pub = native.mul(chip_eph_priv, mapped)
        shared = native.mul(chip_eph_priv, native.mul(keys[2], mapped))
        for impl in (native, python):
            assert pace_terminal(impl, chip_map_pub, chip_eph_pub, keys) == shared
        sessions.append((chip_map_pub, chip_eph_pub, keys))

    def pace(impl: GroupBackend) -> Callable[[int], object]:
        return lambda i: pace_terminal(impl, *sessions[i % SCALARS])

    best = best_of({"native": pace(native), "python": pace(python)}, rounds, budget)
    native_us, python_us = best["native"] * 1e6, best["python"] * 1e6
    return Row(curve.name, native_us, python_us, python_us / native_us, native.named_curve or "-")


def print_rows(rows: list[Row], what: str) -> None:
    print(f"{what:<16} {'native µs':>10} {'python µs':>10} {'python/native':>14}  OpenSSL group")
    for row in rows:
        print(
            f"{row.curve:<16} {row.native_us:>10.1f} {row.python_us:>10.1f}"
            f" {row.ratio:>13.1f}x  {row.openssl_group}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (best is kept)")
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timed round")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--check", action="store_true", help=f"fail below {TARGET_RATIO:.0f}x")
    args = parser.parse_args(argv)

    rng = random.Random(9303)
    mul_rows = [bench_mul(curve, args.rounds, args.budget, rng) for curve in CURVES]
    pace_rows = [
        bench_pace(CURVES_BY_NAME[name], args.rounds, args.budget, rng) for name in PACE_CURVES
    ]
    print("EC scalar multiplication k*P (variable point, validated), per operation")
    print(f"python {platform.python_version()}, {_core.openssl_version()}")
    print_rows(mul_rows, "curve")
    print()
    print("PACE-GM terminal side (5 scalar multiplications), per PACE")
    print_rows(pace_rows, "curve")
    target = next(row for row in pace_rows if row.curve == TARGET_CURVE)
    met = target.ratio >= TARGET_RATIO
    verdict = "met" if met else "NOT met"
    print(f"target native >= {TARGET_RATIO:.0f}x faster for PACE on {TARGET_CURVE}: {verdict}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "mul": [asdict(row) for row in mul_rows],
            "pace": [asdict(row) for row in pace_rows],
            "met": met,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
