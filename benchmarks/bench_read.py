"""A full read of the simulated passport: host CPU, APDUs against the minimum, modeled time.

One run prints:
- host CPU ms per read (EF.COM, EF.SOD, DG1, DG2 with a 21 kB face) with the C core and with
  the pure-Python twin, split into the terminal's share and the simulated chip's (both run in
  this process; the chip's time is measured around its `transmit`);
- APDUs used against the minimum the chip's max_response allows (1 for the EF.CardAccess probe
  that tells PACE from BAC, 3 for SELECT and BAC, then ceil(size / max_response) per file);
- modeled air time at 106 and 424 kbit/s (the chip's link model: latency per command plus
  bits on the air with ISO 14443-4 framing) against the pure transfer time of the file bytes;
- APDUs and modeled time of a read with one tag loss (resumed) against one without.

    .venv/bin/python benchmarks/bench_read.py [--runs N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

from mrtd import crypto
from mrtd.access.keys import MRZKey
from mrtd.crypto import _reference
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile


class TimedReader(SimulatedReader):
    """The in-process reader, with the chip's own CPU time measured apart."""

    def __init__(self, chip: SimulatedChip) -> None:
        super().__init__(chip)
        self.chip_seconds = 0.0

    def transmit(self, apdu: bytes) -> bytes:
        started = time.process_time()
        try:
            return super().transmit(apdu)
        finally:
            self.chip_seconds += time.process_time() - started


def read_once(profile: Profile, key: MRZKey) -> dict[str, Any]:
    chip = SimulatedChip(profile)
    reader = TimedReader(chip)
    started = time.process_time()
    document = read_document(reader, key)
    total = time.process_time() - started
    sizes = {name: len(data) for name, data in document.files.items()}
    return {
        "total_ms": total * 1000,
        "chip_ms": reader.chip_seconds * 1000,
        "terminal_ms": (total - reader.chip_seconds) * 1000,
        "apdus": document.stats.apdus,
        "minimum_apdus": 1
        + 3
        + sum(math.ceil(size / profile.chip.max_response) for size in sizes.values()),
        "file_bytes": sum(sizes.values()),
        "sizes": sizes,
        "modeled_s": chip.modeled_seconds,
    }


def best(profile: Profile, key: MRZKey, runs: int) -> dict[str, Any]:
    results = [read_once(profile, key) for _ in range(runs)]
    return min(results, key=lambda r: r["total_ms"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    profile = Profile.default()
    key = MRZKey.from_mrz(profile.mrz)
    read_once(profile, key)  # warm up: imports, the test PKI, the face file

    native = best(profile, key, args.runs)
    if crypto.backend() != "native":
        print("the C core is not loaded; run `make setup` first", file=sys.stderr)
        return 1
    crypto._impl = _reference  # benchmark only: force the twin
    python = best(profile, key, args.runs)
    crypto._impl = crypto.native  # type: ignore[assignment]

    links = {}
    for bitrate in (106_000, 424_000):
        linked = Profile.from_dict({"link": {"bitrate": bitrate}})
        modeled = read_once(linked, key)["modeled_s"]
        links[bitrate] = {"modeled_s": modeled, "transfer_s": native["file_bytes"] * 8 / bitrate}

    print(f"mrtd full simulated read, CPython {platform.python_version()}, best of {args.runs}")
    print(f"files: {native['sizes']}")
    print("\nhost CPU per read (ms)      total   terminal   simulated chip")
    for name, r in (("C core", native), ("pure Python", python)):
        print(f"  {name:<22} {r['total_ms']:8.2f} {r['terminal_ms']:10.2f} {r['chip_ms']:16.2f}")
    ratio = python["terminal_ms"] / native["terminal_ms"]
    print(f"  terminal share, Python / C: {ratio:.2f}x")
    print(f"\nAPDUs: {native['apdus']} used, minimum for max_response "
          f"{profile.chip.max_response}: {native['minimum_apdus']}")  # fmt: skip
    print("\nmodeled air time      modeled   pure transfer of the file bytes   ratio")
    for bitrate, link in links.items():
        ratio = link["modeled_s"] / link["transfer_s"]
        print(f"  {bitrate // 1000:>3} kbit/s {link['modeled_s'] * 1000:12.0f} ms "
              f"{link['transfer_s'] * 1000:20.0f} ms {ratio:13.2f}x")  # fmt: skip
    loss = Profile.from_dict({"faults": {"remove_at_apdu": 60, "return_after_ms": 300}})
    lost = read_once(loss, key)
    print("\none tag loss (at APDU 60, card back after 300 ms), 424 kbit/s")
    print(f"  without loss: {native['apdus']} APDUs, {native['modeled_s'] * 1000:.0f} ms modeled")
    print(f"  with loss, resumed: {lost['apdus']} APDUs, {lost['modeled_s'] * 1000:.0f} ms modeled "
          f"(a restart would take {60 + native['apdus']} APDUs)")  # fmt: skip
    if args.json:
        report = {"native": native, "python": python, "links": links, "tag_loss": lost}
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
