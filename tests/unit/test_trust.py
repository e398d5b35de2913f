"""The trust store: material recognised by content (DER, PEM bundles, master lists, CRLs),
folders with problems recorded, and hostile or wrong input refused with the file's name."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from asn1crypto import x509

from mrtd.errors import TrustStoreError
from mrtd.sim.pki import TestPKI
from mrtd.verify import trust as trust_module
from mrtd.verify.trust import TrustProblem, TrustSource, TrustStore
from tests.shared_data import shared_data_path
from tests.trust_pki import crl, crl_der, csca, issue


@pytest.fixture(params=["german", "made-here"])
def csca_file(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DER CSCA certificate file of over 1000 bytes, in a folder of files over 1000 bytes:
    the German root CSCA (shared data; explicit EC parameters) beside the German master list,
    or the simulated chip's RSA CSCA alone."""
    if request.param == "german":
        return shared_data_path("pki", "DE_ROOT_CA_CSCA07.cer")
    path = tmp_path_factory.mktemp("csca") / "UT_CSCA.cer"
    path.write_bytes(TestPKI().csca_certificate("rsa").dump())
    return path


def test_a_der_certificate_file(csca_file: Path) -> None:
    trust = TrustStore(allow_test_pki=True)
    assert trust.add_path(csca_file) == 1
    assert len(trust) == 1
    assert trust.certificates[0].dump() == csca_file.read_bytes()
    assert trust.sources == (TrustSource(str(csca_file), "certificate", 1),)
    assert trust.add_path(str(csca_file)) == 0  # already there
    assert len(trust) == 1


def test_a_pem_bundle_with_certificates_and_a_crl() -> None:
    first, second = csca("pem-a"), csca("pem-b", country="FR")
    revocations = crl(first, [7])
    text = b"a CA bundle\n" + first.pem + second.pem
    text += (
        b"-----BEGIN X509 CRL-----\n"
        + base64.encodebytes(crl_der(revocations))
        + b"-----END X509 CRL-----\n"
    )
    trust = TrustStore()
    assert trust.add_bytes(text, "bundle.pem") == 3
    assert {c.dump() for c in trust.certificates} == {first.der, second.der}
    assert [c.dump() for c in trust.crls] == [crl_der(revocations)]
    assert trust.sources == (TrustSource("bundle.pem", "PEM", 3),)
    assert trust.problems == ()


def test_the_test_pki_is_refused_unless_allowed() -> None:
    """mrtd's test CSCAs, whose private keys ship in the package, are never trusted by
    accident (issue 17, finding 13): refused into `problems`, with the way to allow them."""
    trust = TrustStore()
    assert trust.add_bytes(TestPKI().all_csca_pem(), "sim.pem") == 2  # the CRLs only
    assert len(trust) == 0
    assert [p.source for p in trust.problems] == ["mrtd's test PKI"] * 2
    assert "allow_test_pki=True" in trust.problems[0].reason
    relinked = TestPKI().csca_certificate("rsa")  # the same key under any certificate
    trust.add_certificate(relinked, "again")
    assert len(trust) == 0


def test_the_simulated_chips_csca_pem_loads() -> None:
    trust = TrustStore(allow_test_pki=True)
    assert trust.add_bytes(TestPKI().all_csca_pem(), "sim.pem") == 4  # 2 CSCAs, their CRLs
    assert len(trust.crls) == 2


def test_a_pem_block_that_is_not_trust_material_is_a_problem() -> None:
    root = csca("pem-a")
    key_block = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    trust = TrustStore()
    assert trust.add_bytes(key_block + root.pem, "mixed.pem") == 1
    assert trust.problems == (
        TrustProblem("mixed.pem", "mixed.pem block 1: PRIVATE KEY is not a certificate or CRL"),
    )
    with pytest.raises(TrustStoreError, match=r"^key\.pem: PEM without a CA certificate or CRL"):
        TrustStore().add_bytes(key_block, "key.pem")


def test_a_der_crl_file(tmp_path: Path) -> None:
    root = csca()
    path = tmp_path / "csca.crl"
    path.write_bytes(crl_der(crl(root, [1, 2])))
    trust = TrustStore()
    assert trust.add_path(path) == 1
    assert len(trust) == 0
    assert len(trust.crls) == 1
    assert trust.sources[0].kind == "CRL"
    assert trust.revocation_lists(root.certificate.subject)[0].revoked.keys() == {1, 2}


def test_a_document_signer_certificate_is_not_an_anchor(tmp_path: Path) -> None:
    signer = issue(csca(), "ds")
    path = tmp_path / "ds.cer"
    path.write_bytes(signer.der)
    with pytest.raises(TrustStoreError, match=r"ds\.cer: not a CA certificate \(C=UT\)"):
        TrustStore().add_path(path)
    with pytest.raises(TrustStoreError, match="not a CA certificate"):
        TrustStore().add_certificate(signer.certificate)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"\x30\x03\x02\x01\x00", b"\x30\x80\x06\x00\x00\x00", b"\x00" * 100],
)
def test_bytes_that_are_not_trust_material(data: bytes) -> None:
    with pytest.raises(TrustStoreError, match=r"^junk\.bin: "):
        TrustStore().add_bytes(data, "junk.bin")


def test_a_single_file_that_is_not_trust_material_fails(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a certificate\n")
    with pytest.raises(TrustStoreError, match=r"notes\.txt: not a certificate, CRL, master list"):
        TrustStore().add_path(path)
    with pytest.raises(TrustStoreError, match="cannot be read"):
        TrustStore().add_path(tmp_path / "missing.cer")


def test_a_folder_is_read_recursively_and_skips_what_it_cannot_use(tmp_path: Path) -> None:
    first, second = csca("folder-a"), csca("folder-b", country="FR")
    (tmp_path / "a.cer").write_bytes(first.der)
    (tmp_path / "deeper" / "still").mkdir(parents=True)
    (tmp_path / "deeper" / "still" / "b.pem").write_bytes(second.pem)
    (tmp_path / "deeper" / "README.md").write_text("# CSCAs\n")
    (tmp_path / ".hidden").write_bytes(b"junk")
    trust = TrustStore()
    assert trust.add_path(tmp_path) == 2
    assert {c.dump() for c in trust.certificates} == {first.der, second.der}
    assert [s.kind for s in trust.sources] == ["certificate", "PEM"]
    (problem,) = trust.problems
    assert problem.source == str(tmp_path / "deeper" / "README.md")
    assert problem.reason.startswith("not a certificate, CRL, master list")


def test_a_symbolic_link_loop_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "a.cer").write_bytes(csca("loop").der)
    os.symlink(tmp_path, tmp_path / "loop")
    trust = TrustStore()
    assert trust.add_path(tmp_path) == 1
    assert trust.problems == ()


def test_a_fifo_in_a_folder_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    trust = TrustStore()
    assert trust.add_path(tmp_path) == 0
    assert trust.problems == (TrustProblem(str(tmp_path / "pipe"), "not a regular file"),)


def test_from_paths(tmp_path: Path, csca_file: Path) -> None:
    (tmp_path / "a.cer").write_bytes(csca("paths").der)
    trust = TrustStore.from_paths([tmp_path, csca_file], allow_test_pki=True)
    assert len(trust) == 2


def test_files_over_the_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, csca_file: Path
) -> None:
    monkeypatch.setattr(trust_module, "MAX_FILE_SIZE", 1000)
    with pytest.raises(TrustStoreError, match="more than 1000"):
        TrustStore().add_path(csca_file)
    with pytest.raises(TrustStoreError, match="more than 1000"):
        TrustStore().add_bytes(csca_file.read_bytes())
    trust = TrustStore()
    trust.add_path(csca_file.parent)
    assert len(trust) == 0
    assert {p.reason.endswith("more than 1000") for p in trust.problems} == {True}


def test_issuers_match_names_and_key_identifiers() -> None:
    root = csca()
    same_name_other_key = issue(csca("other"), "other", subject=root.crypto.subject, ca=True)
    trust = TrustStore()
    trust.add_certificate(root.certificate)
    trust.add_certificate(same_name_other_key.certificate)
    signer = issue(root, "ds")
    assert trust.issuers(signer.certificate) == (root.certificate,)
    assert len(trust.named(root.certificate.subject)) == 2


def test_names_compare_by_rfc5280_rules_not_bytes() -> None:
    # The same name with other string types and letter case is the same issuer.
    root = csca()
    signer = issue(root, "ds")
    rewritten = x509.Name.build(
        {
            "country_name": "ut",
            "organization_name": "UTOPIA",
            "common_name": "csca  CSCA",
        },
        use_printable=True,
    )
    assert rewritten.dump() != root.certificate.subject.dump()
    issuer = signer.certificate.issuer
    trust = TrustStore()
    trust.add_certificate(root.certificate)
    assert trust.named(rewritten) == trust.named(issuer) == (root.certificate,)


def test_type_errors() -> None:
    with pytest.raises(TypeError):
        TrustStore().add_bytes("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TrustStore().add_certificate(b"\x30\x00")
    assert repr(TrustStore()) == "TrustStore(certificates=0, crls=0)"
