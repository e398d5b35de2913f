"""Secure-messaging cost per APDU: the C core against its pure-Python twin (9303-11 §9.8).

What is timed is the terminal's share of one READ BINARY of 223 bytes, the usual chunk size
under 3DES/AES SM: `wrap_command` (no data, DO'97' Le=DF, DO'8E') plus `unwrap_response` of
the chip's answer (DO'87' with 223 bytes, DO'99', DO'8E'). The chip's side (its unwrap of the
command, its wrap of the response) is computed once beforehand and not timed. Both backends
run the same calls on the same bytes, interleaved, best of several rounds; the script prints
µs per APDU and the ratio python/native.

    .venv/bin/python benchmarks/bench_sm.py [--rounds N] [--number N] [--json PATH] [--check]

--check exits 1 when the native core is less than 5x faster than the pure path.

Under 3DES both backends spend most of the APDU inside DES itself (OpenSSL's 3DES-CBC runs at
about 30 MB/s, and the retail MAC's single-DES chain costs as much as 3DES when done as
DES-EDE with K1||K1 to stay off the legacy provider), so the ratio there is bounded well
below what AES shows.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from mrtd.crypto import SMBackend, _core, _reference

TARGET_RATIO = 5.0
READ_SIZE = 223
HEADER = bytes.fromhex("0CB00000")  # READ BINARY, CLA masked for SM
LE = bytes((READ_SIZE,))


@dataclass(frozen=True)
class Case:
    name: str
    algo: int
    key_size: int
    ssc_size: int


CASES = [
    Case("3DES", 1, 16, 8),
    Case("AES-128", 2, 16, 16),
    Case("AES-256", 2, 32, 16),
]


@dataclass
class Row:
    cipher: str
    native_us: float
    python_us: float
    ratio: float


def time_backend(
    impl: SMBackend,
    case: Case,
    k_enc: bytes,
    k_mac: bytes,
    ssc_cmd: bytes,
    ssc_rsp: bytes,
    rdata: bytes,
    number: int,
) -> float:
    """Seconds for `number` terminal-side APDUs (wrap_command + unwrap_response)."""
    wrap, unwrap, algo = impl.wrap_command, impl.unwrap_response, case.algo
    start = time.perf_counter()
    for _ in range(number):
        wrap(algo, k_enc, k_mac, ssc_cmd, HEADER, b"", LE)
        unwrap(algo, k_enc, k_mac, ssc_rsp, rdata)
    return time.perf_counter() - start


def bench_case(case: Case, rounds: int, number: int) -> Row:
    k_enc = bytes(range(1, 1 + case.key_size))
    k_mac = bytes(range(101, 101 + case.key_size))
    ssc_cmd = bytes(case.ssc_size - 1) + b"\x21"
    ssc_rsp = bytes(case.ssc_size - 1) + b"\x22"
    data = bytes(i * 7 % 256 for i in range(READ_SIZE))

    # The chip's side, once: it must accept the command and answer the READ BINARY.
    body = _core.wrap_command(case.algo, k_enc, k_mac, ssc_cmd, HEADER, b"", LE)
    assert _core.unwrap_command(case.algo, k_enc, k_mac, ssc_cmd, HEADER, body) == (b"", LE)
    rdata = _core.wrap_response(case.algo, k_enc, k_mac, ssc_rsp, data, 0x9000)
    for impl in (_core, _reference):
        assert impl.wrap_command(case.algo, k_enc, k_mac, ssc_cmd, HEADER, b"", LE) == body
        assert impl.unwrap_response(case.algo, k_enc, k_mac, ssc_rsp, rdata) == (data, 0x9000)

    best = {"native": float("inf"), "python": float("inf")}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):  # interleaved, so drift hits both alike
            for name, impl in (("native", _core), ("python", _reference)):
                seconds = time_backend(impl, case, k_enc, k_mac, ssc_cmd, ssc_rsp, rdata, number)
                best[name] = min(best[name], seconds / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    native_us, python_us = best["native"] * 1e6, best["python"] * 1e6
    return Row(case.name, native_us, python_us, python_us / native_us)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (best is kept)")
    parser.add_argument("--number", type=int, default=2000, help="APDUs per round")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--check", action="store_true", help=f"fail below {TARGET_RATIO}x")
    args = parser.parse_args(argv)

    rows = [bench_case(case, args.rounds, args.number) for case in CASES]
    print(f"SM terminal side per APDU: READ BINARY {READ_SIZE} bytes (wrap + unwrap)")
    print(f"python {platform.python_version()}, {_core.openssl_version()}")
    print(f"{'cipher':<9} {'native µs':>10} {'python µs':>10} {'python/native':>14}  target")
    for row in rows:
        mark = "ok" if row.ratio >= TARGET_RATIO else "below"
        print(
            f"{row.cipher:<9} {row.native_us:>10.2f} {row.python_us:>10.2f}"
            f" {row.ratio:>13.1f}x  {mark}"
        )
    worst = min(row.ratio for row in rows)
    met = worst >= TARGET_RATIO
    print(f"target native >= {TARGET_RATIO:.0f}x faster: {'met' if met else 'NOT met'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"read_size": READ_SIZE, "rows": [asdict(row) for row in rows], "met": met}
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
