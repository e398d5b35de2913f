"""The Document Signer -> CSCA chain (9303-11 §5.1): anchors, key rollover and link
certificates, the Document Signer profile, validity at the time of verification, CRLs, and the
issuing state against the CSCA country."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from asn1crypto import x509

from mrtd.lds.sod import SODFile
from mrtd.mrz.codes import ISO_3166_ALPHA3, country_alpha2
from mrtd.sim.pki_builder import generate_pki
from mrtd.verify.certificates import clear_signature_cache
from mrtd.verify.chain import ChainCheck, check_chain
from mrtd.verify.master_list import read_master_list
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.trust import TrustStore
from tests.shared_data import shared_data_path
from tests.trust_pki import AT, UTC, Issued, crl, csca, issue, name

PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
NOT_CHECKED = CheckStatus.NOT_CHECKED


def store(*certificates: Issued) -> TrustStore:
    trust = TrustStore()
    for issued in certificates:
        trust.add_certificate(issued.certificate)
    return trust


def check(signer: Issued | x509.Certificate, trust: TrustStore, **kwargs: object) -> ChainCheck:
    certificate = signer.certificate if isinstance(signer, Issued) else signer
    return check_chain(certificate, trust, at=AT, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("csca_kind", "ds_kind", "pss"),
    [
        ("ecdsa", "ecdsa", False),
        ("rsa", "rsa", False),
        ("rsa", "ecdsa", True),
        ("brainpool", "rsa", False),
    ],
)
def test_a_good_chain_passes(csca_kind: str, ds_kind: str, pss: bool) -> None:
    root = csca(f"good-{csca_kind}", kind=csca_kind)
    signer = issue(root, f"ds-{ds_kind}", kind=ds_kind, pss=pss)
    result = check(signer, store(root), issuing_state="UTO")
    assert result.outcome.status is PASSED, result.outcome
    assert result.revocation.status is NOT_CHECKED
    assert result.revocation.reason == "no CRL from this CSCA"
    assert result.path == (signer.certificate, root.certificate)
    assert result.csca is root.certificate


def test_as_dict_is_json_without_the_document_signer_name() -> None:
    root = csca()
    signer = issue(root, "ds")
    document = json.loads(json.dumps(check(signer, store(root)).as_dict()))
    assert document["status"] == "passed"
    assert document["revocation"]["status"] == "not_checked"
    ds, anchor = document["path"]
    assert (ds["role"], ds["country"], anchor["role"]) == ("document_signer", "UT", "csca")
    assert "subject" not in ds
    assert "CSCA csca" in anchor["subject"]
    assert ds["serial"] == f"{signer.certificate.serial_number:X}"
    assert len(anchor["sha256"]) == 64


def test_an_empty_store_is_not_checked() -> None:
    root = csca()
    result = check(issue(root, "ds"), TrustStore())
    assert result.outcome.status is NOT_CHECKED
    assert result.path == ()
    assert result.csca is None


def test_an_unknown_csca_fails_naming_country_and_serial() -> None:
    signer = issue(csca("stranger", country="FR"), "ds-fr")
    result = check(signer, store(csca()))
    assert result.outcome.status is FAILED
    assert "no trusted CSCA for this Document Signer" in result.outcome.reason
    assert "C=FR" in result.outcome.reason
    assert f"0x{signer.certificate.serial_number:X}" in result.outcome.reason
    assert "Utopia" not in result.outcome.reason  # names no subject
    assert result.path == ()


def test_a_document_signer_signed_by_another_key_fails() -> None:
    root = csca()
    forged = issue(root, "ds", signing_key=csca("forger").key)
    result = check(forged, store(root))
    assert result.outcome.status is FAILED
    assert "does not verify" in result.outcome.reason
    assert result.path == ()


def test_a_csca_of_that_name_with_another_key_identifier_is_not_a_candidate() -> None:
    root = csca()
    impostor = issue(csca("other"), "impostor", subject=root.crypto.subject, ca=True)
    signer = issue(root, "ds")
    result = check(signer, store(impostor))
    assert result.outcome.status is FAILED
    assert "another key identifier" in result.outcome.reason


def test_key_rollover_tries_every_csca_of_that_name() -> None:
    old = csca("rollover-old")
    new = issue(old, "rollover-new", subject=old.crypto.subject, ca=True)
    signer = issue(new, "ds-after-rollover")
    old_signer = issue(old, "ds-before-rollover")
    trust = store(old, new)
    assert check(signer, trust).csca is new.certificate
    assert check(old_signer, trust).csca is old.certificate
    assert check(signer, trust).outcome.status is PASSED


def test_a_link_certificate_is_an_anchor() -> None:
    old = csca("link-old")
    new_subject = name("CSCA link-new")
    link = issue(old, "link-new", subject=new_subject, ca=True)
    new_self_signed = issue(link, "link-new", subject=new_subject, ca=True)
    signer = issue(new_self_signed, "ds-link")
    result = check(signer, store(old, link))
    assert result.outcome.status is PASSED, result.outcome
    assert result.csca is link.certificate
    assert check(signer, store(old)).outcome.status is FAILED


def test_the_csca_must_be_valid_at_verification_time() -> None:
    expired = csca("expired", not_after=dt.datetime(2025, 1, 1, tzinfo=UTC))
    result = check(issue(expired, "ds-of-expired"), store(expired))
    assert result.outcome.status is FAILED
    assert result.outcome.reason.startswith("CSCA expired at 2026-06-01")
    assert result.outcome.code == "passive.csca_not_valid_now"
    assert result.csca is expired.certificate
    future = csca("future", not_before=dt.datetime(2027, 1, 1, tzinfo=UTC))
    assert "CSCA not yet valid" in check(issue(future, "ds-f"), store(future)).outcome.reason


def test_the_document_signer_must_be_valid_at_verification_time() -> None:
    root = csca()
    early = issue(root, "ds-early", not_before=dt.datetime(2026, 7, 1, tzinfo=UTC))
    result = check(early, store(root))
    assert result.outcome.status is FAILED
    assert result.outcome.reason.startswith("Document Signer not yet valid at 2026-06-01")
    assert result.outcome.code == "passive.ds_not_valid_now"
    late = issue(root, "ds-late", not_after=dt.datetime(2026, 5, 1, tzinfo=UTC))
    assert "Document Signer expired" in check(late, store(root)).outcome.reason
    # Expired since signing: the signing time is the signer's claim and validates nothing (the
    # old rule checked the chain at the signing time and passed this one).
    since = issue(root, "ds-since", not_after=dt.datetime(2026, 5, 1, tzinfo=UTC))
    signed = dt.datetime(2026, 1, 1, tzinfo=UTC)
    result = check(since, store(root), signing_time=signed)
    assert (result.outcome.status, result.outcome.code) == (FAILED, "passive.ds_not_valid_now")
    valid = issue(root, "ds-valid", not_after=dt.datetime(2036, 1, 1, tzinfo=UTC))
    assert check(valid, store(root), signing_time=signed).outcome.status is PASSED


def test_a_revoked_document_signer_fails() -> None:
    root = csca()
    signer = issue(root, "ds")
    trust = store(root)
    trust.add_crl(crl(root, [signer.certificate.serial_number, 12345]))
    result = check(signer, trust)
    assert result.revocation.status is FAILED
    assert result.outcome.status is FAILED
    assert result.outcome.reason.startswith("Document Signer revoked on 2026-03-01")
    assert result.csca is root.certificate


def test_a_crl_that_does_not_list_the_document_signer_passes_revocation() -> None:
    root = csca()
    trust = store(root)
    trust.add_crl(crl(root, [12345]))
    result = check(issue(root, "ds"), trust)
    assert (result.outcome.status, result.revocation.status) == (PASSED, PASSED)
    assert result.revocation.reason == ""


def test_a_stale_crl_does_not_pass_revocation_but_still_revokes() -> None:
    # The old rule passed revocation on a stale CRL (with a note); now it proves nothing about
    # the time of verification. A Document Signer it lists is still revoked.
    root = csca()
    signer = issue(root, "ds")
    stale = {
        "this_update": dt.datetime(2025, 1, 1, tzinfo=UTC),
        "next_update": dt.datetime(2025, 2, 1, tzinfo=UTC),
    }
    trust = store(root)
    trust.add_crl(crl(root, **stale))  # type: ignore[arg-type]
    result = check(signer, trust)
    assert result.revocation.status is NOT_CHECKED
    assert result.revocation.code == "passive.crl_stale"
    assert result.revocation.reason == "the CRL is stale (next update was due 2025-02-01)"
    assert result.outcome.status is PASSED  # a missing answer, not a failure
    trust.add_crl(crl(root, [signer.certificate.serial_number], **stale))  # type: ignore[arg-type]
    revoked = check(signer, trust)
    assert (revoked.revocation.status, revoked.revocation.code) == (FAILED, "passive.ds_revoked")
    assert revoked.outcome.status is FAILED


def test_a_crl_dated_in_the_future_does_not_pass_revocation() -> None:
    root = csca()
    signer = issue(root, "ds")
    ahead = {
        "this_update": dt.datetime(2026, 7, 1, tzinfo=UTC),
        "next_update": dt.datetime(2026, 10, 1, tzinfo=UTC),
    }
    trust = store(root)
    trust.add_crl(crl(root, **ahead))  # type: ignore[arg-type]
    result = check(signer, trust)
    assert result.revocation.status is NOT_CHECKED
    assert result.revocation.code == "passive.crl_not_yet_valid"
    assert "dated in the future" in result.revocation.reason
    trust.add_crl(crl(root, [signer.certificate.serial_number], **ahead))  # type: ignore[arg-type]
    assert check(signer, trust).revocation.status is FAILED


def test_a_current_crl_passes_revocation_beside_a_stale_one() -> None:
    root = csca()
    trust = store(root)
    old = {
        "this_update": dt.datetime(2025, 1, 1, tzinfo=UTC),
        "next_update": dt.datetime(2025, 2, 1, tzinfo=UTC),
    }
    trust.add_crl(crl(root, **old))  # type: ignore[arg-type]
    trust.add_crl(crl(root))  # 2026-01-01 to 2027-01-01: current at AT
    result = check(issue(root, "ds"), trust)
    assert (result.revocation.status, result.revocation.code) == (PASSED, "")


def test_a_crl_with_a_bad_signature_is_ignored() -> None:
    root = csca()
    signer = issue(root, "ds")
    trust = store(root)
    trust.add_crl(crl(root, [signer.certificate.serial_number], signing_key=csca("forger").key))
    result = check(signer, trust)
    assert result.outcome.status is PASSED
    assert result.revocation.status is NOT_CHECKED
    assert "ignored" in result.revocation.reason


def test_a_crl_signed_by_the_new_key_of_a_rolled_over_csca_counts() -> None:
    old = csca("crl-old")
    new = issue(old, "crl-new", subject=old.crypto.subject, ca=True)
    signer = issue(old, "ds-crl")
    trust = store(old, new)
    trust.add_crl(crl(new, [signer.certificate.serial_number]))
    assert check(signer, trust).revocation.status is FAILED


@pytest.mark.parametrize(
    ("country", "state", "status"),
    [
        ("DE", "D", PASSED),
        ("DE", "D<<", PASSED),
        ("DE", "DEU", PASSED),
        ("UT", "UTO", PASSED),
        ("GB", "GBN", PASSED),
        ("FR", "DEU", FAILED),
        ("DE", "UTO", FAILED),
    ],
)
def test_the_issuing_state_must_match_the_csca_country(
    country: str, state: str, status: CheckStatus
) -> None:
    root = csca(f"country-{country}", country=country)
    result = check(issue(root, f"ds-{country}"), store(root), issuing_state=state)
    assert result.outcome.status is status, result.outcome
    if status is FAILED:
        expected = f"issuing state {state} does not match CSCA country {country}"
        assert result.outcome.reason == expected


def test_mrz_codes_to_certificate_countries() -> None:
    assert len(ISO_3166_ALPHA3) == 249
    assert all(len(country_alpha2(code) or "") == 2 for code in ISO_3166_ALPHA3)
    expected: dict[str, str | None] = {
        "DEU": "DE",
        "D": "DE",
        "D<<": "DE",
        "GBR": "GB",
        "GBO": "GB",
        "UTO": "UT",
    }
    expected |= {"NLD": "NL", "CHE": "CH", "KOR": "KR", "XKX": None, "EUE": None, "XXA": None}
    assert {code: country_alpha2(code) for code in expected} == expected


@pytest.mark.parametrize(
    ("state", "country", "status", "code"),
    [
        ("UNO", "UN", PASSED, ""),  # the UN laissez-passer under the United Nations CSCA
        ("EUE", "EU", PASSED, ""),  # the EU laissez-passer under the EU Laissez Passer CSCA
        ("RKS", "KS", PASSED, ""),
        ("UNO", "UT", FAILED, "passive.country_mismatch"),
        ("EUE", "UT", FAILED, "passive.country_mismatch"),
        ("XPO", "UT", FAILED, "passive.country_unmapped"),
        ("XXA", "UT", FAILED, "passive.country_unmapped"),
        ("ZZZ", "UT", FAILED, "passive.country_unmapped"),
    ],
)
def test_an_organisation_is_bound_to_its_csca_country(
    state: str, country: str, status: CheckStatus, code: str
) -> None:
    # The old rule passed any Document Signer for an issuing state that is no country, with a
    # note ("organisations pass with a note"): a Utopian DS could sign a UN laissez-passer.
    root = csca(f"org-{country}", country=country)
    result = check(issue(root, f"ds-org-{country}"), store(root), issuing_state=state)
    assert (result.outcome.status, result.outcome.code) == (status, code), result.outcome


def test_the_document_signer_country_must_match_its_csca() -> None:
    root = csca()
    result = check(issue(root, "ds-abroad", country="FR"), store(root))
    assert result.outcome.status is FAILED
    assert "Document Signer country FR does not match CSCA country UT" in result.outcome.reason


def test_results_are_cached_and_the_cache_can_be_cleared() -> None:
    root = csca()
    signer = issue(root, "ds")
    trust = store(root)
    first = check(signer, trust)
    reloaded = x509.Certificate.load(signer.der)  # a new object, the same certificate
    assert check(reloaded, trust) == ChainCheck(
        first.outcome, first.revocation, (reloaded, root.certificate)
    )
    clear_signature_cache()
    assert check(signer, trust).outcome.status is PASSED


def test_at_must_be_timezone_aware() -> None:
    root = csca()
    with pytest.raises(ValueError, match="timezone-aware"):
        check_chain(issue(root, "ds").certificate, store(root), at=dt.datetime(2026, 6, 1))


def test_the_german_master_list_signer_chains_to_the_german_csca() -> None:
    # Real data: explicit EC parameters on both certificates (brainpool).
    raw = shared_data_path("pki", "DE_ML_2026-05-28-08-28-45.ml").read_bytes()
    master_list = read_master_list(raw)
    trust = TrustStore()
    trust.add_certificate(master_list.signer_issuer)
    assert master_list.signing_time is not None
    result = check_chain(
        master_list.signer,
        trust,
        at=master_list.signing_time,
        issuing_state="D",
        document_signer=False,  # a Master List Signer: not a Document Signer's profile
    )
    assert result.outcome.status is PASSED, result.outcome
    later = check_chain(
        master_list.signer, trust, at=dt.datetime(2030, 1, 1, tzinfo=UTC), document_signer=False
    )
    assert later.outcome.reason.startswith("Document Signer expired")


def test_a_master_list_signer_with_explicit_parameters_chains_to_its_csca() -> None:
    # Made here like the German list: explicit brainpool parameters on both certificates.
    generated = generate_pki(
        csca_key="ec-brainpoolP384r1", ds_key="ec-brainpoolP256r1", explicit_parameters=True
    )
    data, _ = generated.master_list(signer_key="ec-brainpoolP256r1")
    master_list = read_master_list(data)
    for certificate in (master_list.signer, master_list.signer_issuer):
        assert certificate.public_key["algorithm"]["parameters"].name == "specified"
    trust = TrustStore()
    trust.add_certificate(master_list.signer_issuer)
    result = check_chain(
        master_list.signer, trust, at=AT, issuing_state="UTO", document_signer=False
    )
    assert result.outcome.status is PASSED, result.outcome
    assert check_chain(master_list.signer, trust, at=AT).outcome.code == "passive.ds_profile"
    later = check_chain(
        master_list.signer, trust, at=dt.datetime(2037, 1, 1, tzinfo=UTC), document_signer=False
    )
    assert later.outcome.reason.startswith("Document Signer expired")


def test_the_bsi_specimen_document_signer_is_not_in_the_german_master_list() -> None:
    trust = TrustStore()
    trust.add_path(shared_data_path("pki", "DE_ML_2026-05-28-08-28-45.ml"))
    sod = SODFile.from_bytes(shared_data_path("lds", "bsi2008", "EF_SOD.bin").read_bytes())
    assert sod.signer_certificate is not None
    result = check_chain(sod.signer_certificate, trust, at=AT, issuing_state="D")
    assert result.outcome.status is FAILED
    assert "no trusted CSCA" in result.outcome.reason
    # Its issuer, "CN=CSCA BDR TEST 19.09.07", has no country.
    assert result.outcome.reason.endswith("issuer without a country, DS serial 0x1267")
