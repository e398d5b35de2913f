"""CSCA master lists (9303-12 §9): the German list (shared data) and a list made here verify and
load; a list whose signature or content is touched is refused whole; the signer must chain to a
CSCA in the list or the store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from asn1crypto import cms
from asn1crypto import parser as asn1_parser

from mrtd.errors import TrustStoreError
from mrtd.lds.sod import LDS_SECURITY_OBJECT_OID, sign_content
from mrtd.verify.certificates import country
from mrtd.verify.master_list import read_master_list
from mrtd.verify.trust import TrustStore
from tests.shared_data import shared_data_path
from tests.trust_pki import csca, issue, master_list


@dataclass(frozen=True)
class Listed:
    """A master list, the CSCA that issued its signer (listed in it too), how many CSCAs it
    holds and the signer's country."""

    data: bytes
    csca: bytes
    count: int
    country: str


def _german() -> Listed:
    pki = shared_data_path("pki")
    data = (pki / "DE_ML_2026-05-28-08-28-45.ml").read_bytes()
    return Listed(data, (pki / "DE_ROOT_CA_CSCA07.cer").read_bytes(), 588, "DE")


def _made_here() -> Listed:
    root = csca("ml-root")
    data = master_list([root, csca("ml-other", country="FR")], issue(root, "ml-signer"))
    return Listed(data, root.der, 2, "UT")


@pytest.fixture(params=["german", "made-here"])
def listed(request: pytest.FixtureRequest) -> Listed:
    return _german() if request.param == "german" else _made_here()


def test_the_german_master_list_verifies_and_loads() -> None:
    german = _german()
    result = read_master_list(german.data)
    assert len(result.certificates) == 588
    assert result.skipped == ()
    assert result.country == "DE"
    # 112 countries; "ro", "al", "gb" and "si" are also written in lower case.
    assert len({country(c.subject) for c in result.certificates}) == 112
    assert result.signing_time is not None
    assert result.signing_time.isoformat() == "2026-05-28T06:28:45+00:00"
    # The signer's issuer is the German root CSCA, which the list also carries.
    assert result.signer_issuer.dump() == german.csca
    assert german.csca in {c.dump() for c in result.certificates}


def test_a_master_list_in_a_store(listed: Listed) -> None:
    trust = TrustStore()
    assert trust.add_master_list(listed.data, "list.ml") == listed.count
    assert len(trust) == listed.count
    (source,) = trust.sources
    assert (source.source, source.kind, source.count) == ("list.ml", "master list", listed.count)
    assert f"signed by {listed.country}" in source.detail
    assert "in the list itself" in source.detail
    assert trust.problems == ()
    # The same CSCA again, and the list again, add nothing.
    assert trust.add_bytes(listed.csca, "csca.cer") == 0
    assert trust.add_bytes(listed.data, "again.ml") == 0
    assert len(trust) == listed.count


def test_a_list_vouched_for_by_a_csca_already_trusted(listed: Listed) -> None:
    trust = TrustStore()
    trust.add_bytes(listed.csca)
    trust.add_master_list(listed.data)
    assert "a CSCA already trusted" in trust.sources[-1].detail


def _flip(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def test_a_changed_certificate_in_the_list_is_refused_whole(listed: Listed) -> None:
    trust = TrustStore()
    where = listed.data.index(listed.csca) + 200  # inside a certificate of the list
    with pytest.raises(TrustStoreError, match="message digest does not match"):
        trust.add_bytes(_flip(listed.data, where), "tampered.ml")
    assert len(trust) == 0
    assert trust.sources == ()


def test_a_changed_signature_is_refused(listed: Listed) -> None:
    signed_data = cms.ContentInfo.load(listed.data)["content"]
    signature = bytes(signed_data["signer_infos"][0]["signature"].native)
    where = listed.data.rindex(signature) + len(signature) // 2
    with pytest.raises(TrustStoreError, match="signature does not verify"):
        read_master_list(_flip(listed.data, where), what="tampered.ml")


def test_a_truncated_list_is_refused(listed: Listed) -> None:
    with pytest.raises(TrustStoreError, match=r"^cut\.ml: malformed master list"):
        read_master_list(listed.data[:-100], what="cut.ml")


def test_a_built_list_with_its_signer_issued_by_a_listed_csca() -> None:
    root = csca("ml-root")
    signer = issue(root, "ml-signer")
    other = csca("ml-other", country="FR")
    result = read_master_list(master_list([root, other], signer))
    assert {c.dump() for c in result.certificates} == {root.der, other.der}
    assert result.signer_issuer.dump() == root.der


def test_a_signer_under_a_trusted_csca_that_is_not_in_the_list() -> None:
    root = csca("ml-root")
    signer = issue(root, "ml-signer")
    listed = csca("ml-listed", country="FR")
    data = master_list([listed], signer)
    with pytest.raises(TrustStoreError, match="not issued by a CSCA in the list or the trust"):
        read_master_list(data)
    trust = TrustStore()
    trust.add_certificate(root.certificate)
    assert trust.add_master_list(data) == 1
    assert "a CSCA already trusted" in trust.sources[-1].detail


def test_a_signer_that_claims_a_listed_csca_but_is_signed_by_another_key() -> None:
    root = csca("ml-root")
    signer = issue(root, "ml-signer", signing_key=csca("ml-forger").key)
    with pytest.raises(TrustStoreError, match="not issued by a CSCA"):
        read_master_list(master_list([root], signer))


def test_entries_that_are_not_ca_certificates_are_skipped() -> None:
    root = csca("ml-root")
    signer = issue(root, "ml-signer")
    trust = TrustStore()
    assert trust.add_master_list(master_list([root, signer], signer), "ml") == 1
    (problem,) = trust.problems  # a SET OF is in DER order: the entry number varies
    assert problem.source == "ml"
    assert problem.reason.endswith(": not a CA certificate")


def test_a_cms_that_is_not_a_master_list() -> None:
    root = csca("ml-root")
    signer = issue(root, "ml-signer")
    sod_like = sign_content(
        LDS_SECURITY_OBJECT_OID, b"\x30\x00", signer_key=signer.key, signer_cert=signer.certificate
    )
    with pytest.raises(TrustStoreError, match="not a CSCA master list"):
        TrustStore().add_bytes(sod_like, "sod.bin")


def test_version_other_than_v0_is_refused() -> None:
    root = csca("ml-root")
    with pytest.raises(TrustStoreError, match="version is not v0"):
        read_master_list(master_list([root], issue(root, "ml-signer"), version=1))


def test_indefinite_length_ber_is_read() -> None:
    root = csca("ml-root")
    der = master_list([root], issue(root, "ml-signer"))
    # Re-encode the outer ContentInfo and its [0] with indefinite lengths (a real quirk).
    inner = asn1_parser.parse(der)[4]  # contentType OID, then [0] { SignedData }
    oid = inner[: 2 + inner[1]]
    signed_data = asn1_parser.parse(inner[len(oid) :])[4]
    ber = b"\x30\x80" + oid + b"\xa0\x80" + signed_data + b"\x00\x00\x00\x00"
    assert hashlib.sha256(ber).digest() != hashlib.sha256(der).digest()
    result = read_master_list(ber)
    assert [c.dump() for c in result.certificates] == [root.der]
    assert TrustStore().add_bytes(ber, "ber.ml") == 1
