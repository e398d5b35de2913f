"""EF.CardSecurity's signature and chain (mrtd.verify.card_security): what PACE-CAM rests on."""

from __future__ import annotations

from datetime import date

import pytest
from asn1crypto import cms

from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.card_security import DocumentFacts, check_card_security, verify_card_security
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.trust import TrustStore

CAM = {"access": ["pace", "bac"], "pace": {"mapping": "CAM"}}


def card_security(fault: str = "") -> bytes:
    faults = {"hostile": fault} if fault else {}
    chip = SimulatedChip(Profile.from_dict({"chip": CAM, "faults": faults}))
    return next(f.data for f in chip.master_files.values() if f.name == "EF.CardSecurity")


def trust() -> TrustStore:
    store = TrustStore(allow_test_pki=True)  # the test CSCA, on purpose
    store.add_bytes(TestPKI().all_csca_pem(), source="test CSCA")
    return store


def unverified(data: bytes, store: TrustStore | None) -> str:
    outcome = check_card_security(data, store)
    assert (outcome.status, outcome.code) == (CheckStatus.NOT_CHECKED, "chip.cam_unverified")
    return outcome.reason


def test_the_test_document_signer_under_a_trusted_csca_passes() -> None:
    assert check_card_security(card_security(), trust()).status is CheckStatus.PASSED


def test_without_a_trust_store_it_is_not_verified() -> None:
    assert "no trust store" in unverified(card_security(), None)


def test_a_self_made_csca_with_the_test_names_is_not_trusted() -> None:
    assert "EF.CardSecurity's signer" in unverified(card_security("card-security-self-signed"),
                                                    trust())  # fmt: skip


def test_no_signer_info_is_not_signed() -> None:
    assert "not signed" in unverified(card_security("card-security-unsigned"), trust())


def test_other_security_infos_under_the_signature_do_not_verify() -> None:
    info = cms.ContentInfo.load(card_security())
    content = bytes(info["content"]["encap_content_info"]["content"].__bytes__())
    other = bytearray(content)
    other[-1] ^= 1  # the last byte of the chip's public key
    info["content"]["encap_content_info"]["content"] = bytes(other)
    assert "message digest" in unverified(info.dump(force=True), trust())


def test_a_wrong_signature_does_not_verify() -> None:
    info = cms.ContentInfo.load(card_security())
    signer_info = info["content"]["signer_infos"][0]
    signature = bytearray(signer_info["signature"].native)
    signature[10] ^= 1
    signer_info["signature"] = bytes(signature)
    assert "does not verify" in unverified(info.dump(force=True), trust())


def test_malformed_input_is_not_verified_and_does_not_raise() -> None:
    for data in (b"", b"\x30\x03\x02\x01\x00", card_security()[:-5], bytes(64)):
        assert "malformed" in unverified(data, trust())


@pytest.mark.parametrize(
    ("facts", "why"),
    [
        (DocumentFacts("D<<", "P", date(2030, 1, 1)), "country"),  # a German document
        (DocumentFacts("UTO", "P", date(2099, 1, 1)), "expir"),  # outlives the signer
    ],
)
def test_the_signer_is_held_to_the_document_it_speaks_for(facts: DocumentFacts, why: str) -> None:
    """EF.CardSecurity's Document Signer is bound to DG1 as EF.SOD's is: a DS of another
    state does not vouch for this document's PACE-CAM key."""
    data = card_security()
    assert check_card_security(data, trust(), document=DocumentFacts("UTO", "P")).status is (
        CheckStatus.PASSED
    )
    assert why in unverified_for(data, facts).lower()


def unverified_for(data: bytes, facts: DocumentFacts) -> str:
    outcome = check_card_security(data, trust(), document=facts)
    assert (outcome.status, outcome.code) == (CheckStatus.NOT_CHECKED, "chip.cam_unverified")
    return outcome.reason


def test_a_signer_info_without_signed_attributes_has_a_card_security_code() -> None:
    info = cms.ContentInfo.load(card_security())
    signer = info["content"]["signer_infos"][0]
    fields = ("version", "sid", "digest_algorithm", "signature_algorithm", "signature")
    info["content"]["signer_infos"] = cms.SignerInfos(
        [cms.SignerInfo({f: signer[f] for f in fields})]
    )
    report = verify_card_security(info.dump(force=True), trust())
    assert (report.outcome.status, report.outcome.code) == (
        CheckStatus.NOT_CHECKED,
        "card_security.unsigned",
    )
