"""Fuzz trust material (DER certificates and CRLs, PEM, CSCA master lists, PKD LDIF) as
`TrustStore.add_bytes` recognises and loads it, then chain checks against what it loaded.

The whole input is one blob. After loading, the simulated chip's RSA Document Signer, and any
Document Signer the LDIF brought, are checked against the store, so anchors and CRLs that
load are used too (the simulated CSCA and its CRLs make good seeds).
"""

from __future__ import annotations

from datetime import UTC, datetime

from harness import fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__", "asn1crypto"):
    from mrtd.sim.pki import TestPKI
    from mrtd.verify.chain import check_chain
    from mrtd.verify.trust import TrustStore

NOW = datetime(2026, 11, 21, tzinfo=UTC)
SIMULATED_SIGNER = TestPKI().document_signer("rsa")[1]


def check_trust_store(data: bytes) -> None:
    store = TrustStore(allow_test_pki=True)
    store.add_bytes(data, "fuzz")
    repr(store)
    for signer in (SIMULATED_SIGNER, *store.document_signers):
        check_chain(signer, store, at=NOW, issuing_state="UTO").as_dict()


test_one_input = rejecting(check_trust_store)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=16384, dictionary="asn1")
