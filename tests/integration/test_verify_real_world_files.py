"""Files as real documents and dump tools make them (issue 18, items 5-7), made here with a
generated PKI: an EF.SOD encapsulated as id-data, EF.CardSecurity given to `mrtd verify`, and
block-padded files. Each is verified as a dump is, with `verify_files` or `mrtd verify`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import pytest
from asn1crypto import cms
from asn1crypto import parser as asn1_parser

from mrtd.cli import main
from mrtd.crypto.kdf import Cipher
from mrtd.lds.dg1 import build_dg1
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.security.kinds import PACEInfo
from mrtd.lds.security.oids import SECURITY_OBJECT_OID, KeyAgreement, Mapping
from mrtd.lds.sod import LDS_SECURITY_OBJECT_OID, build_sod, sign_content
from mrtd.mrz import MRZFormat, generate_mrz
from mrtd.pipeline.document import Document, verify_files
from mrtd.sim.pki_builder import GeneratedPKI, generate_pki
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.trust import TrustStore

PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
ID_DATA_OID = "1.2.840.113549.1.7.1"  # id-data (RFC 5652)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
TODAY = NOW.date()
DG2 = b"\x75\x04\x7f\x61\x01\x00"


@cache
def pki() -> GeneratedPKI:
    return generate_pki(country="UT", csca_key="ec-P-256", ds_key="ec-P-256")


def trust() -> TrustStore:
    store = TrustStore()
    store.add_certificate(pki().csca.certificate)
    return store


@cache
def dg1() -> bytes:
    mrz = generate_mrz(MRZFormat.TD3, document_code="P", issuing_state="UTO",
                       surname="SPECIMEN", given_names="TEST", document_number="X1234567",
                       nationality="UTO", birth_date=date(1980, 1, 1), sex="F",
                       expiry_date=date(2035, 9, 30))  # fmt: skip
    return build_dg1(mrz)


def sod(content_type: str = LDS_SECURITY_OBJECT_OID) -> bytes:
    """EF.SOD over DG1 and DG2 with `content_type` as eContentType and signed contentType."""
    standard = build_sod({1: dg1(), 2: DG2}, signer_key=pki().ds.key,
                         signer_cert=pki().ds.certificate)  # fmt: skip
    if content_type == LDS_SECURITY_OBJECT_OID:
        return standard
    signed_data = cms.ContentInfo.load(asn1_parser.parse(standard)[4])["content"]
    content = signed_data["encap_content_info"]["content"].__bytes__()
    info = sign_content(content_type, content, signer_key=pki().ds.key,
                        signer_cert=pki().ds.certificate)  # fmt: skip
    return bytes(asn1_parser.emit(1, 1, 23, info))


def verify(files: dict[str, bytes]) -> Document:
    return verify_files(files, trust=trust(), now=NOW, today=TODAY)


# -- item 5: EF.SOD's eContentType id-data ----------------------------------------------------


def test_an_id_data_sod_passes_and_is_reported_as_a_quirk() -> None:
    document = verify({"EF.SOD": sod(ID_DATA_OID), "DG1": dg1(), "DG2": DG2})
    passive = document.passive
    assert passive.outcome.status is PASSED, passive.outcome.reason
    assert passive.quirks == ("eContentType id-data",)
    assert passive.as_dict()["quirks"] == ["eContentType id-data"]


def test_an_id_data_sod_still_catches_a_changed_data_group() -> None:
    changed = dg1()[:-1] + b"<"
    document = verify({"EF.SOD": sod(ID_DATA_OID), "DG1": changed, "DG2": DG2})
    assert document.passive.outcome.status is FAILED
    assert document.passive.data_groups["DG1"].code == "passive.hash_mismatch"


def test_a_standard_sod_has_no_quirk() -> None:
    document = verify({"EF.SOD": sod(), "DG1": dg1(), "DG2": DG2})
    assert document.passive.outcome.status is PASSED
    assert document.passive.quirks == ()
    assert "quirks" not in document.passive.as_dict()


def test_any_other_econtent_type_fails_as_content_type() -> None:
    document = verify({"EF.SOD": sod("1.2.3.4"), "DG1": dg1(), "DG2": DG2})
    assert document.passive.outcome.status is FAILED
    assert document.passive.outcome.code == "passive.content_type"
    assert "passive.content_type" in document.verdict.codes


# -- item 6: EF.CardSecurity in `mrtd verify` -------------------------------------------------


def card_security(*, bad_signature: bool = False) -> bytes:
    infos = SecurityInfos((PACEInfo.build(Mapping.GM, KeyAgreement.ECDH, Cipher.AES128, 13),))
    data = sign_content(SECURITY_OBJECT_OID, infos.to_bytes(), signer_key=pki().ds.key,
                        signer_cert=pki().ds.certificate)  # fmt: skip
    if not bad_signature:
        return data
    info = cms.ContentInfo.load(data)
    signer_info = info["content"]["signer_infos"][0]
    signature = bytearray(signer_info["signature"].native)
    signature[-3] ^= 0x01
    signer_info["signature"] = bytes(signature)
    return bytes(info.dump(force=True))


def dump(tmp_path: Path, card: bytes) -> tuple[Path, Path]:
    folder = tmp_path / "dump"
    folder.mkdir()
    for name, data in (("sod.bin", sod()), ("dg1.bin", dg1()), ("dg2.bin", DG2)):
        (folder / name).write_bytes(data)
    card_path = tmp_path / "card_security.bin"
    card_path.write_bytes(card)
    csca = tmp_path / "csca.der"
    csca.write_bytes(pki().csca.certificate.dump())
    return folder, card_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("padding", [b"", b"\x00" * 37, b"\xff" * 5])
def test_mrtd_verify_takes_card_security_and_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], padding: bytes
) -> None:
    folder, card = dump(tmp_path, card_security() + padding)
    csca = str(tmp_path / "csca.der")
    code, out, err = run(capsys, "verify", str(folder), str(card), "--csca", csca, "--json")
    assert code == 1, err  # the strict default: files cannot prove the chip is no copy
    report = json.loads(out)
    assert "EF.CardSecurity" in report["files"]
    checked = report["verification"]["card_security"]
    assert checked["status"] == "passed", checked
    assert checked["security_infos"] == [
        {"kind": "PACEInfo", "protocol": "0.4.0.127.0.7.2.2.4.2.2"}
    ]
    assert report["verification"]["passive"]["status"] == "passed"
    assert report["verdict"] == "incomplete"

    code, out, _ = run(capsys, "verify", str(folder), str(card), "--csca", csca)
    assert "card security    passed" in out
    assert "PACEInfo" in out


def test_a_card_security_whose_signature_fails_fails_the_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, card = dump(tmp_path, card_security(bad_signature=True))
    csca = str(tmp_path / "csca.der")
    code, out, _ = run(capsys, "verify", str(folder), str(card), "--csca", csca, "--json")
    assert code == 1
    report = json.loads(out)
    checked = report["verification"]["card_security"]
    assert (checked["status"], checked["code"]) == ("failed", "card_security.signature_invalid")
    assert report["verdict"] == "failed"
    assert "card_security.signature_invalid" in report["verdict_codes"]


def test_card_security_without_trust_is_not_checked(tmp_path: Path) -> None:
    document = verify_files({"EF.SOD": sod(), "DG1": dg1(), "DG2": DG2,
                             "EF.CardSecurity": card_security()}, now=NOW)  # fmt: skip
    card = document.passive.card_security
    assert card is not None
    assert (card.outcome.status, card.outcome.code) == (
        CheckStatus.NOT_CHECKED, "card_security.no_trust_store"
    )  # fmt: skip


# -- item 7: block-padded files ---------------------------------------------------------------


@pytest.mark.parametrize("fill", [0x00, 0xFF])
def test_padding_after_the_tlv_is_cut_off_and_reported(fill: int) -> None:
    padded_dg1 = dg1() + bytes([fill]) * (256 - len(dg1()) % 256)
    padded_sod = sod() + bytes([fill]) * 11
    document = verify({"EF.SOD": padded_sod, "DG1": padded_dg1, "DG2": DG2})
    passive = document.passive
    assert passive.outcome.status is PASSED, passive.outcome.reason
    assert passive.data_groups["DG1"].status is PASSED
    count = len(padded_dg1) - len(dg1())
    assert f"DG1: {count} byte(s) of 0x{fill:02X} padding after the TLV" in passive.quirks
    assert f"EF.SOD: 11 byte(s) of 0x{fill:02X} padding after the TLV" in passive.quirks
    assert document.files["DG1"] == dg1()


def test_padded_files_verify_from_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "a").write_bytes(sod())
    (folder / "b").write_bytes(dg1() + b"\xff" * 64)
    (folder / "c").write_bytes(DG2)
    document = verify_files([folder], trust=trust(), now=NOW, today=TODAY)
    assert document.passive.data_groups["DG1"].status is PASSED
    assert document.passive.quirks == ("DG1: 64 byte(s) of 0xFF padding after the TLV",)


def test_mixed_trailing_bytes_are_not_padding() -> None:
    document = verify({"EF.SOD": sod(), "DG1": dg1() + b"\x00\xff\x00", "DG2": DG2})
    assert document.passive.data_groups["DG1"].code == "passive.hash_mismatch"
    assert document.passive.quirks == ()
