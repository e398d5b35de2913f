"""PACE cost: the terminal's compute time per domain, C core against the pure-Python path, and a
whole PACE + read on the simulated chip (docs/benchmarks.md).

What is timed for "terminal compute" is only the terminal's side of one PACE run (GM, AES-128,
MRZ password): the sans-I/O generator's work between the chip's answers — nonce decryption,
two key pairs, the mapping, the shared secret, session keys and tokens. The chip's answers are
produced by the simulated chip and not timed. Both backends run the same domains, interleaved,
median of several runs. DH groups have no C path (Python's `pow` is the arithmetic), so they
show one figure. The whole-read rows time `read_document` end to end in process (terminal and
chip, native backend) and count APDUs.

    .venv/bin/python benchmarks/bench_pace.py [--runs N] [--json PATH] [--check]

--check exits 1 when the C path is less than 20x faster than the pure path on brainpoolP256r1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from terminal_time import terminal_seconds as drive

from mrtd.access.keys import MRZKey
from mrtd.access.pace import pace
from mrtd.access.pace.policy import choose
from mrtd.apdu import ResponseAPDU
from mrtd.crypto.domains import STANDARD_DOMAINS, DHGroup
from mrtd.crypto.ec import Backend, ec_backend
from mrtd.lds.security.infos import SecurityInfos
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile

TARGET_RATIO = 20.0
TARGET_DOMAIN = "brainpoolP256r1"


@dataclass
class PACERow:
    domain: str
    native_ms: float | None
    python_ms: float
    ratio: float | None


@dataclass
class ReadRow:
    variant: str
    ms: float
    apdus: int


def profile_for(domain_id: int, mapping: str = "GM", cipher: str = "AES-128") -> Profile:
    pace_table = {"mapping": mapping, "domain": str(domain_id), "cipher": cipher}
    return Profile.from_dict(
        {"chip": {"access": ["pace", "bac"], "pace": pace_table,
                  "extended_length": domain_id in (1, 2)}}
    )  # fmt: skip


def terminal_seconds(profile: Profile, backend: Backend) -> float:
    """The terminal's compute time for one PACE run against a fresh simulated chip."""
    chip = SimulatedChip(profile)
    assert chip.pace is not None
    choice = choose(SecurityInfos.from_bytes(chip.master_files[0x011C].data))
    assert choice is not None
    protocol = pace(MRZKey.from_mrz(profile.mrz), choice.info, choice.domain, backend=backend)
    return drive(
        protocol, lambda command: ResponseAPDU.from_bytes(chip.transmit(command.to_bytes()))
    )


def bench_domains(runs: int) -> list[PACERow]:
    rows = []
    for domain_id, domain in STANDARD_DOMAINS.items():
        profile = profile_for(domain_id)
        dh = isinstance(domain, DHGroup)
        backends: list[Backend] = ["python"] if dh else ["native", "python"]
        times: dict[str, list[float]] = {b: [] for b in backends}
        for _ in range(runs):
            for backend in backends:
                times[backend].append(terminal_seconds(profile, backend))
        python_ms = statistics.median(times["python"]) * 1000
        native_ms = None if dh else statistics.median(times["native"]) * 1000
        ratio = None if native_ms is None else python_ms / native_ms
        rows.append(PACERow(domain.name, native_ms, python_ms, ratio))
    return rows


def bench_reads(runs: int) -> list[ReadRow]:
    variants = [
        ("BAC (no EF.CardAccess)", Profile.default()),
        ("PACE GM brainpoolP256r1 AES-128", profile_for(13)),
        ("PACE IM brainpoolP256r1 AES-128", profile_for(13, "IM")),
        ("PACE CAM brainpoolP256r1 AES-128", profile_for(13, "CAM")),
        ("PACE GM P-256 AES-256", profile_for(12, cipher="AES-256")),
        ("PACE GM MODP-2048-224 AES-128", profile_for(1)),
    ]
    rows = []
    for name, profile in variants:
        times, apdus = [], 0
        for _ in range(runs):
            chip = SimulatedChip(profile)
            key = MRZKey.from_mrz(profile.mrz)
            started = time.perf_counter()
            document = read_document(SimulatedReader(chip), key)
            times.append(time.perf_counter() - started)
            apdus = document.stats.apdus
        rows.append(ReadRow(name, statistics.median(times) * 1000, apdus))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if ec_backend() != "native":
        print("bench_pace: the native EC core is not built", file=sys.stderr)
        return 2
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    domain_rows = bench_domains(args.runs)
    read_rows = bench_reads(max(3, args.runs // 3))
    print(f"PACE GM AES-128, terminal compute per run, median of {args.runs} "
          f"({platform.python_implementation()} {platform.python_version()})")  # fmt: skip
    print(f"{'domain':<18} {'C core ms':>10} {'Python ms':>10} {'ratio':>7}")
    for row in domain_rows:
        native = f"{row.native_ms:10.2f}" if row.native_ms is not None else f"{'(pow)':>10}"
        ratio = f"{row.ratio:6.1f}x" if row.ratio is not None else f"{'-':>7}"
        print(f"{row.domain:<18} {native} {row.python_ms:10.2f} {ratio}")
    print()
    print("whole read on the simulated chip (terminal + chip in process, C core)")
    print(f"{'variant':<36} {'ms':>8} {'APDUs':>6}")
    for read in read_rows:
        print(f"{read.variant:<36} {read.ms:8.1f} {read.apdus:6d}")
    if args.json:
        payload = {"domains": [asdict(r) for r in domain_rows],
                   "reads": [asdict(r) for r in read_rows]}  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=2))
    target = next(r for r in domain_rows if r.domain == TARGET_DOMAIN)
    if args.check and (target.ratio or 0) < TARGET_RATIO:
        print(f"bench_pace: {TARGET_DOMAIN} ratio {target.ratio:.1f}x < {TARGET_RATIO}x")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
