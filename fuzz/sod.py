"""Fuzz EF.SOD (CMS SignedData around the LDSSecurityObject) and what Passive Authentication
does with a parsed one: hashes, the DS signature, the chain to a CSCA, the report.

The trust store holds the fixture CSCA, so the chain check runs (and fails) for real.
"""

from __future__ import annotations

from datetime import UTC, datetime

from harness import FUZZ_DIR, fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__", "asn1crypto"):
    from mrtd.lds.sod import parse_sod
    from mrtd.verify.passive import passive_authentication
    from mrtd.verify.trust import TrustStore

TRUST = TrustStore.from_paths([FUZZ_DIR.parent / "fixtures" / "pki" / "DE_ROOT_CA_CSCA07.cer"])
FILES = {"DG1": b"\x61\x03\x5f\x1f\x00", "DG2": b"\x75\x00", "DG14": b"\x6e\x00"}
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def check_sod(data: bytes) -> None:
    sod = parse_sod(data)
    repr(sod)
    report = passive_authentication(sod, FILES, TRUST, issuing_state="D", now=NOW)
    report.as_dict()


test_one_input = rejecting(check_sod)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=8192, dictionary="asn1")
