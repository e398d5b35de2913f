"""Passive Authentication throughput and face decoding (docs/benchmarks.md).

One "verification" is what a back-end does per uploaded document: parse EF.SOD, hash DG1 and
DG2 (the simulated passport's, 21 kB), check the DS signature, chain the DS certificate to the
CSCA in a trust store (no CRL). "warm" is the steady state of a back-end that sees many
documents of one Document Signer (the parsed DS certificate, its key and the CSCA's signature
on it are cached); "cold" clears those caches before every verification. One core, one process.

The C-core ratio: ECDSA on a curve pyca/cryptography does not implement (brainpoolP224r1, the
BSI 2008 data set's DS key with explicit parameters) runs on the library's own EC group, with
the C core or the pure-Python path. It and the JPEG 2000 decode read the BSI 2008 files of the
shared test data (tests/shared_data.py); without it they are skipped, with a note.

    .venv/bin/python benchmarks/bench_passive.py [--seconds S] [--json PATH] [--check]

--check exits 1 when a warm row is under 1000 verifications/s.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from mrtd.crypto import ec as ec_module
from mrtd.lds import DG2File
from mrtd.lds import sod as sod_module
from mrtd.lds.sod import SODFile, build_sod
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki_builder import Scheme, generate_pki
from mrtd.sim.profile import Profile
from mrtd.verify import certificates, signature
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.passive import check_signature, passive_authentication
from mrtd.verify.trust import TrustStore

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
from tests.shared_data import shared_data_file  # noqa: E402 - the tests' lookup of shared data

TARGET_PER_SECOND = 1000.0
SIGNED_AT = datetime(2026, 6, 1, tzinfo=UTC)
CASES: dict[str, tuple[str, str, Scheme, bool]] = {  # CSCA key, DS key, scheme, explicit
    "RSA-2048 PKCS#1 v1.5": ("rsa-3072", "rsa-2048", "rsassa_pkcs1v15", False),
    "RSA-2048 PSS": ("rsa-3072", "rsa-2048", "rsassa_pss", False),
    "ECDSA P-256": ("ec-P-256", "ec-P-256", "ecdsa", False),
    "ECDSA brainpoolP256r1 (explicit)": (
        "ec-brainpoolP384r1", "ec-brainpoolP256r1", "ecdsa", True,
    ),
}  # fmt: skip


@dataclass
class PARow:
    case: str
    warm_per_second: float
    cold_per_second: float
    warm_us: float


@dataclass
class RatioRow:
    case: str
    native_us: float
    python_us: float
    ratio: float


@dataclass
class DecodeRow:
    image: str
    size: str
    bytes: int
    ms: float


def rate(call: Callable[[], object], seconds: float) -> float:
    """Calls per second: median of five slices of `seconds`/5 each."""
    rates = []
    for _ in range(5):
        count, started = 0, time.perf_counter()
        deadline = started + seconds / 5
        while (now := time.perf_counter()) < deadline:
            call()
            count += 1
        rates.append(count / (now - started))
    return statistics.median(rates)


def clear_caches() -> None:
    sod_module._parsed_certificate.cache_clear()
    signature._public_key.cache_clear()
    certificates.clear_signature_cache()


def simulated_files() -> dict[int, bytes]:
    chip = SimulatedChip(Profile.default())
    return {n: chip.files[0x0100 + n].data for n in (1, 2)}


def bench_pa(seconds: float) -> list[PARow]:
    groups = simulated_files()
    files = {f"DG{n}": data for n, data in groups.items()}
    rows = []
    for case, (csca_key, ds_key, scheme, explicit) in CASES.items():
        pki = generate_pki(
            csca_key=csca_key, ds_key=ds_key, scheme=scheme, explicit_parameters=explicit
        )
        raw = build_sod(
            groups,
            signer_key=pki.ds.key,
            signer_cert=pki.ds.certificate,
            signature_algorithm=scheme,
            signing_time=SIGNED_AT,
        )
        trust = TrustStore()
        trust.add_certificate(pki.csca.certificate)

        def once(raw: bytes = raw, trust: TrustStore = trust, case: str = case) -> None:
            report = passive_authentication(
                SODFile.from_bytes(raw), files, trust, issuing_state="UTO"
            )
            if report.outcome.status is not CheckStatus.PASSED:
                raise SystemExit(f"{case}: {report.outcome.reason}")

        def cold(once: Callable[[], None] = once) -> None:
            clear_caches()
            once()

        warm = rate(once, seconds)
        rows.append(PARow(case, warm, rate(cold, seconds), 1e6 / warm))
    return rows


def bench_explicit_curve(seconds: float) -> RatioRow | None:
    """The BSI 2008 SOD's ECDSA-SHA1 signature on brainpoolP224r1: C core vs pure Python."""
    path = shared_data_file("lds", "bsi2008", "EF_SOD.bin")
    if path is None:
        print("shared data absent, skipping the brainpoolP224r1 ratio (BSI 2008 SOD)")
        return None
    sod = SODFile.from_bytes(path.read_bytes())
    native = ec_module.native
    per_call = {}
    try:
        for backend in ("native", "python"):
            ec_module.native = native if backend == "native" else None
            clear_caches()
            if check_signature(sod).status is not CheckStatus.PASSED:
                raise SystemExit("bsi2008 signature does not verify")
            per_call[backend] = 1e6 / rate(lambda: check_signature(sod), seconds)
    finally:
        ec_module.native = native
        clear_caches()
    ratio = per_call["python"] / per_call["native"]
    return RatioRow("ECDSA brainpoolP224r1 (explicit), BSI 2008 SOD", per_call["native"],
                    per_call["python"], ratio)  # fmt: skip


def bench_decode(seconds: float) -> list[DecodeRow]:
    images = {"JPEG (simulated passport)": DG2File.from_bytes(simulated_files()[2]).faces[0]}
    jp2 = shared_data_file("lds", "bsi2008", "Datagroup2.bin")
    if jp2 is not None:
        images["JPEG 2000 JP2 (BSI 2008)"] = DG2File.from_bytes(jp2.read_bytes()).faces[0]
    else:
        print("shared data absent, skipping the JPEG 2000 decode (BSI 2008 DG2)")
    rows = []
    for name, face in images.items():
        per_second = rate(face.decode, seconds)
        rows.append(DecodeRow(name, f"{face.width}x{face.height}", len(face.image),
                              1000 / per_second))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if ec_module.native is None:
        print("bench_passive: the native EC core is not built", file=sys.stderr)
        return 2
    pa = bench_pa(args.seconds)
    explicit = bench_explicit_curve(args.seconds)
    decode = bench_decode(args.seconds)
    print(f"Passive Authentication, one core ({platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()})")  # fmt: skip
    print(f"{'case':<36} {'warm /s':>9} {'cold /s':>9} {'warm µs':>9}")
    for row in pa:
        print(f"{row.case:<36} {row.warm_per_second:>9.0f} {row.cold_per_second:>9.0f} "
              f"{row.warm_us:>9.0f}")  # fmt: skip
    if explicit is not None:
        print(
            f"\n{explicit.case}: C core {explicit.native_us:.0f} µs, pure Python "
            f"{explicit.python_us:.0f} µs per signature check, {explicit.ratio:.1f}x"
        )
    print(f"\n{'face decode':<28} {'size':>9} {'bytes':>7} {'ms':>7}")
    for image in decode:
        print(f"{image.image:<28} {image.size:>9} {image.bytes:>7} {image.ms:>7.2f}")
    if args.json:
        figures = {"passive": [asdict(r) for r in pa],
                   "explicit_curve": asdict(explicit) if explicit is not None else None,
                   "decode": [asdict(r) for r in decode]}  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=2))
    slow = [r.case for r in pa if r.warm_per_second < TARGET_PER_SECOND]
    if args.check and slow:
        print(f"under {TARGET_PER_SECOND:.0f}/s: {', '.join(slow)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
