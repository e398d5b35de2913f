"""Clone detection cost: Active and Chip Authentication on the simulated chip, C core against
the pure-Python EC path, and what they add to a read (docs/benchmarks.md).

"terminal CA" rows time only the terminal's side of one Chip Authentication, driven against
the simulated chip's CA object (the chip's work is not timed): the ephemeral key pair, the
shared secret and the new session keys, with the C core and with the pure-Python EC path
(DH has no C path: Python's pow is the arithmetic). "terminal AA" rows time the signature
check (RSA: Python's pow; ECDSA on these named curves: OpenSSL through pyca/cryptography, so
there is no C-core-vs-Python pair). "read" rows time `read_document` end to end in process
(terminal and chip, BAC, the test CSCA trusted) and count APDUs against the same chip without
AA and CA. Medians of several runs.

    .venv/bin/python benchmarks/bench_clone.py [--runs N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from terminal_time import terminal_seconds

from mrtd.access.keys import MRZKey
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import ec as ec_module
from mrtd.crypto.ec import Backend
from mrtd.lds import DG15File
from mrtd.lds.security.infos import SecurityInfos
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.active_auth_chip import ChipActiveAuthentication
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.chip_auth_chip import ChipChipAuthentication
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.active import active_authentication
from mrtd.verify.chip_auth import chip_authentication, choose_chip_authentication
from mrtd.verify.policy import STRICT, Policy
from mrtd.verify.trust import TrustStore

SEED = b"bench-clone"
AA_SPECS = ["rsa-1024-sha256", "rsa-2048-sha256", "ecdsa-P-256-sha256",
            "ecdsa-brainpoolP256r1-sha256"]  # fmt: skip
CA_SPECS = ["ecdh-brainpoolP256r1-aes128", "ecdh-P-256-aes128", "ecdh-brainpoolP256r1-3des",
            "dh-1024-3des", "dh-2048-aes128"]  # fmt: skip
READS: dict[str, dict[str, Any]] = {
    "no AA, no CA": {},
    "AA RSA-1024": {"aa": "rsa-1024-sha256"},
    "AA ECDSA brainpoolP256r1": {"aa": "ecdsa-brainpoolP256r1-sha256"},
    "CA ECDH brainpoolP256r1 AES-128": {"ca": "ecdh-brainpoolP256r1-aes128"},
    "CA DH-1024 3DES": {"ca": "dh-1024-3des"},
    "AA RSA-1024 + CA ECDH brainpoolP256r1": {"aa": "rsa-1024-sha256",
                                               "ca": "ecdh-brainpoolP256r1-aes128"},
}  # fmt: skip


@dataclass
class Row:
    what: str
    native_ms: float
    python_ms: float
    ratio: float


def median_ms(call: Callable[[], float], runs: int) -> float:
    return statistics.median(call() for _ in range(runs)) * 1000


def terminal_ca(spec: str, backend: Backend) -> float:
    chip = ChipChipAuthentication.from_spec(spec, SEED)
    dg14 = SecurityInfos(tuple(chip.security_infos()))
    chosen = choose_chip_authentication(dg14)
    assert chosen is not None
    protocol = chip_authentication(*chosen, backend=backend)
    return terminal_seconds(protocol, lambda command: _ca_answer(chip, command))


def _ca_answer(chip: ChipChipAuthentication, command: CommandAPDU) -> ResponseAPDU:
    return chip.mse(command) if command.ins == 0x22 else chip.general_authenticate(command)


def terminal_aa(spec: str) -> float:
    chip = ChipActiveAuthentication.from_spec(spec, SEED)
    dg15 = DG15File.from_bytes(chip.dg15())
    protocol = active_authentication(dg15, chip.security_info())
    command = next(protocol)
    answer = chip.answer(command)
    started = time.perf_counter()
    outcome = None
    try:
        protocol.send(answer)
    except StopIteration as done:
        outcome = done.value
    spent = time.perf_counter() - started
    if outcome is None or outcome.status != "passed":
        raise SystemExit(f"AA {spec}: {outcome}")
    return spent


def whole_read(chip_settings: dict[str, Any], trust: TrustStore) -> tuple[float, int]:
    profile = Profile.from_dict({"chip": dict(chip_settings)})
    chip = SimulatedChip(profile)
    started = time.perf_counter()
    # a chip without AA or CA keys is genuine only under a policy that accepts data-only proof
    keys = "aa" in chip_settings or "ca" in chip_settings
    policy = STRICT if keys else Policy(name="data-only", clone_detection="data_only_accepted")  # type: ignore[arg-type]
    document = read_document(
        SimulatedReader(chip), MRZKey.from_mrz(profile.mrz), trust=trust, policy=policy
    )
    spent = time.perf_counter() - started
    assert document.verdict.summary == "genuine", document.verdict.reasons
    return spent, document.stats.apdus


def ca_row(spec: str, runs: int) -> Row:
    terminal_ca(spec, "native")  # warm the key and group caches outside the timing
    native = median_ms(lambda: terminal_ca(spec, "native"), runs)
    python = median_ms(lambda: terminal_ca(spec, "python"), runs)
    return Row(f"terminal CA {spec}", native, python, python / native)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if ec_module.native is None:
        print("bench_clone: the native EC core is not built", file=sys.stderr)
        return 2
    trust = TrustStore(allow_test_pki=True)
    trust.add_bytes(TestPKI().all_csca_pem())
    rows = [ca_row(spec, args.runs) for spec in CA_SPECS]
    print(f"{'Chip Authentication, terminal':<44} {'C core ms':>10} {'Python ms':>10} {'ratio':>6}")
    for row in rows:
        print(f"{row.what:<44} {row.native_ms:>10.2f} {row.python_ms:>10.2f} {row.ratio:>5.1f}x")
    aa = {}
    for spec in AA_SPECS:
        terminal_aa(spec)
        aa[spec] = median_ms(partial(terminal_aa, spec), args.runs)
    print(f"\n{'Active Authentication, signature check':<44} {'ms':>10}")
    for spec, ms in aa.items():
        print(f"{spec:<44} {ms:>10.2f}")
    reads = {}
    for name, settings in READS.items():
        whole_read(settings, trust)
        times, apdus = zip(*(whole_read(settings, trust) for _ in range(args.runs)), strict=True)
        reads[name] = {"ms": statistics.median(times) * 1000, "apdus": apdus[0]}
    print(f"\n{'whole read (BAC, in process)':<44} {'ms':>10} {'APDUs':>6}")
    for name, figures in reads.items():
        print(f"{name:<44} {figures['ms']:>10.2f} {figures['apdus']:>6}")
    if args.json:
        figures = {"ca": [asdict(r) for r in rows], "aa_ms": aa, "reads": reads}
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
