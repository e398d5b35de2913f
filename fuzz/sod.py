"""Fuzz EF.SOD (CMS SignedData around the LDSSecurityObject) and what Passive Authentication
does with a parsed one: hashes, the DS signature, the chain to a CSCA, the report.

The trust store holds the simulated chip's test CSCAs, and the German root CSCA (explicit EC
parameters) when the shared test data is present (tests/shared_data.py), so the chain check
runs for real: it passes for a SOD the test Document Signer signed and fails for the others.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from harness import FUZZ_DIR, fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__", "asn1crypto"):
    from mrtd.lds.sod import parse_sod
    from mrtd.sim.pki import TestPKI
    from mrtd.verify.passive import passive_authentication
    from mrtd.verify.trust import TrustStore

if str(FUZZ_DIR.parent) not in sys.path:
    sys.path.append(str(FUZZ_DIR.parent))
from tests.shared_data import shared_data_file  # the tests' one lookup

TRUST = TrustStore(allow_test_pki=True)
TRUST.add_bytes(TestPKI().all_csca_pem(), "test CSCAs")
GERMAN_CSCA = shared_data_file("pki", "DE_ROOT_CA_CSCA07.cer")
if GERMAN_CSCA is not None:
    TRUST.add_path(GERMAN_CSCA)
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
