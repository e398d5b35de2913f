"""ICAO PKD LDIF (RFC 2849): folded base64 values, comments, change records; CSCA certificates,
CRLs and master lists become trust material, Document Signer certificates are kept apart."""

from __future__ import annotations

import base64
import re

import pytest

from mrtd.errors import TrustStoreError
from mrtd.verify.ldif import LDIFRecord, looks_like_ldif, read_ldif
from mrtd.verify.trust import TrustStore
from tests.trust_pki import crl, crl_der, csca, issue, master_list


def fold(line: str, width: int = 76) -> str:
    """RFC 2849 folding: continuation lines start with one space."""
    parts = [line[:width]] + [
        " " + line[i : i + width - 1] for i in range(width, len(line), width - 1)
    ]
    return "\n".join(parts)


def attribute(name: str, value: bytes) -> str:
    return fold(f"{name}:: {base64.b64encode(value).decode()}")


def entry(dn: str, *lines: str) -> str:
    return "\n".join([fold(f"dn: {dn}"), *lines]) + "\n"


def test_records_unfold_and_decode() -> None:
    text = (
        "version: 1\n"
        "# a comment\n"
        "#  that continues\n"
        + entry(
            "cn=one,o=CSCA,c=UT,dc=data,dc=download,dc=pkd,dc=icao,dc=int",
            "objectClass: top",
            attribute("cACertificate;binary", bytes(range(200))),
            "sn: 1",
        )
        + "\n"
        + entry("cn=two", "changetype: add", "description:  leading space kept? no")
        + "\n"
        + entry("cn=three", "changetype: delete")
        + "\r\n"
        + entry("cn=four", "changetype: modify", "replace: sn", "sn: 2", "-")
    )
    records = list(read_ldif(text.encode()))
    assert [r.dn for r in records] == [
        "cn=one,o=CSCA,c=UT,dc=data,dc=download,dc=pkd,dc=icao,dc=int",
        "cn=two",
    ]
    assert records[0].values("cacertificate") == (bytes(range(200)),)
    assert records[0].values("objectclass") == (b"top",)
    assert records[1] == LDIFRecord("cn=two", (("description", b"leading space kept? no"),))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dn: cn=x\nnot an attribute\n", "line 2: not 'attribute: value'"),
        ("dn: cn=x\ncACertificate;binary:: ***\n", "line 2: cACertificate;binary is not base64"),
        ("dn: cn=x\njpegPhoto:< file:///etc/passwd\n", "line 2: values by URL are not supported"),
        ("version: 2\ndn: cn=x\n", "line 1: LDIF version is not 1"),
        ("version: 1\n\nsn: x\n", "line 3: an entry must start with dn"),
        (" continued\n", "line 1: a continuation of nothing"),
        ("dn: cn=x\nsn: 1\n-\n", "line 1: '-' outside a modify record"),
    ],
)
def test_malformed_ldif(text: str, message: str) -> None:
    with pytest.raises(TrustStoreError, match="^pkd\\.ldif: " + re.escape(message)):
        list(read_ldif(text.encode(), "pkd.ldif"))


def test_not_utf8() -> None:
    with pytest.raises(TrustStoreError, match="not UTF-8"):
        list(read_ldif(b"dn: cn=\xff\n"))


def test_sniffing() -> None:
    assert looks_like_ldif(b"\xef\xbb\xbf# PKD\n\nversion: 1\n")
    assert looks_like_ldif(b"DN: cn=x\n")
    assert not looks_like_ldif(b"-----BEGIN CERTIFICATE-----\n")
    assert not looks_like_ldif(b"# only a comment\n")


def test_a_pkd_ldif_in_the_trust_store() -> None:
    root = csca("ldif-root")
    other = csca("ldif-other", country="FR")
    signer = issue(root, "ldif-ds")
    list_signer = issue(other, "ldif-ml-signer")
    third = csca("ldif-third", country="DE")
    text = (
        "version: 1\n\n"
        + entry("cn=csca,o=csca,c=UT", attribute("cACertificate;binary", root.der))
        + "\n"
        + entry(
            "cn=crl,o=crl,c=UT",
            attribute("certificateRevocationList;binary", crl_der(crl(root, [9]))),
        )
        + "\n"
        + entry("cn=ds,o=dsc,c=UT", attribute("userCertificate;binary", signer.der))
        + "\n"
        + entry(
            "cn=ml,o=ml,c=FR",
            attribute("pkdMasterListContent", master_list([other, third], list_signer)),
        )
        + "\n"
        + entry("cn=bad,o=dsc,c=UT", attribute("userCertificate;binary", b"\x30\x03\x02\x01\x00"))
    )
    trust = TrustStore()
    assert trust.add_bytes(text.encode(), "icaopkd.ldif") == 4
    assert {c.dump() for c in trust.certificates} == {root.der, other.der, third.der}
    assert len(trust.crls) == 1
    assert [c.dump() for c in trust.document_signers] == [signer.der]
    (source,) = trust.sources
    assert (source.source, source.kind, source.count) == ("icaopkd.ldif", "LDIF", 4)
    assert source.detail == "1 master lists, 1 Document Signer certificates"
    (problem,) = trust.problems
    assert problem.source == "icaopkd.ldif"
    assert problem.reason.startswith("icaopkd.ldif entry 5: not an X.509 certificate")


def test_a_master_list_with_a_bad_signature_inside_ldif_adds_nothing_from_it() -> None:
    root = csca("ldif-root")
    data = bytearray(master_list([root], issue(root, "ldif-ml-signer")))
    data[-10] ^= 0x01  # inside the signature
    text = entry("cn=ml", attribute("pkdMasterListContent", bytes(data)))
    trust = TrustStore()
    assert trust.add_bytes(text.encode(), "ml.ldif") == 0
    assert len(trust) == 0
    assert "signature does not verify" in trust.problems[0].reason


def test_an_ldif_without_trust_material_is_refused() -> None:
    with pytest.raises(TrustStoreError, match="LDIF without certificates, CRLs or master lists"):
        TrustStore().add_bytes(entry("cn=x", "sn: 1").encode(), "people.ldif")


def test_an_ldif_malformed_at_the_end_adds_nothing() -> None:
    text = entry("cn=csca", attribute("cACertificate;binary", csca("ldif-root").der))
    trust = TrustStore()
    with pytest.raises(TrustStoreError, match="not 'attribute: value'"):
        trust.add_bytes((text + "\ndn: cn=y\nbroken\n").encode(), "cut.ldif")
    assert len(trust) == 0
