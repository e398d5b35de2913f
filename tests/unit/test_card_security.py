"""EF.CardSecurity's signature and chain (mrtd.verify.card_security): what PACE-CAM rests on."""

from __future__ import annotations

from asn1crypto import cms

from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.card_security import check_card_security
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
