"""Property tests for the trust store: any bytes only ever raise TrustStoreError; damaged trust
material and damaged Document Signer certificates never crash the chain check; LDIF folding
round-trips."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrtd.errors import TrustStoreError
from mrtd.verify.certificates import load_certificate
from mrtd.verify.chain import ChainCheck, check_chain
from mrtd.verify.ldif import read_ldif
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.trust import TrustStore
from tests.trust_pki import AT, crl, crl_der, csca, issue, master_list

ROOT = csca("property-root")
SIGNER = issue(ROOT, "property-ds")
TRUST = TrustStore()
TRUST.add_certificate(ROOT.certificate)
TRUST.add_crl(crl(ROOT, [1]))

LDIF = (
    "version: 1\n\ndn: cn=csca\ncACertificate;binary:: "
    + base64.b64encode(ROOT.der).decode()
    + "\n\ndn: cn=ds\nuserCertificate;binary:: "
    + base64.b64encode(SIGNER.der).decode()
    + "\n"
).encode()
VALID = [
    ROOT.der,
    ROOT.pem + SIGNER.pem,
    crl_der(crl(ROOT, [1, 2, 3])),
    master_list([ROOT], issue(ROOT, "property-ml-signer")),
    LDIF,
]
PREFIXES = [
    b"",
    b"\x30",
    b"\x30\x80",
    b"-----BEGIN CERTIFICATE-----\n",
    b"dn: cn=x\n",
    b"version: 1\n",
]


def loads_or_trust_store_error(data: bytes) -> int | None:
    """Anything but a count or TrustStoreError fails the test."""
    try:
        return TrustStore().add_bytes(data, "fuzz")
    except TrustStoreError:
        return None


@settings(max_examples=300)
@given(st.sampled_from(PREFIXES), st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_trust_store_error(prefix: bytes, data: bytes) -> None:
    loads_or_trust_store_error(prefix + data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID), st.data())
def test_damaged_trust_material_raises_only_trust_store_error(
    valid: bytes, data: st.DataObject
) -> None:
    damaged = bytearray(valid)
    for position in data.draw(st.lists(st.integers(0, len(valid) - 1), min_size=1, max_size=4)):
        damaged[position] ^= 1 << data.draw(st.integers(0, 7))
    loads_or_trust_store_error(bytes(damaged))


@given(st.sampled_from(VALID), st.data())
def test_truncated_trust_material_raises_only_trust_store_error(
    valid: bytes, data: st.DataObject
) -> None:
    loads_or_trust_store_error(valid[: data.draw(st.integers(0, len(valid) - 1))])


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_document_signer_never_crashes_the_chain_check(data: st.DataObject) -> None:
    damaged = bytearray(SIGNER.der)
    for position in data.draw(st.lists(st.integers(0, len(damaged) - 1), min_size=1, max_size=3)):
        damaged[position] ^= 1 << data.draw(st.integers(0, 7))
    try:
        certificate = load_certificate(bytes(damaged))
    except TrustStoreError:
        return
    result = check_chain(certificate, TRUST, at=AT, issuing_state="UTO")
    assert isinstance(result, ChainCheck)
    if bytes(damaged) != SIGNER.der:
        assert result.outcome.status is not CheckStatus.PASSED


@given(
    st.lists(st.binary(max_size=300), min_size=1, max_size=5),
    st.integers(2, 80),
)
def test_ldif_folding_round_trips(values: list[bytes], width: int) -> None:
    lines = ["dn: cn=x"] + [
        f"userCertificate;binary:: {base64.b64encode(v).decode()}" for v in values
    ]
    folded = []
    for line in lines:
        folded.append(line[:width])
        folded += [" " + line[i : i + width - 1] for i in range(width, len(line), width - 1)]
    (record,) = read_ldif(("\n".join(folded) + "\n").encode())
    assert record.values("usercertificate") == tuple(values)


def test_a_signature_with_unused_bits_never_verifies() -> None:
    """A DS certificate whose signature BIT STRING claims one unused bit, over a signature whose
    last bit is 0, reads as the same octets in asn1crypto: it verified before (found by the
    property above, for some random keys). DER has whole octets only, so the chain refuses it."""
    signer = next(
        ds
        for ds in (issue(ROOT, f"unused-bits-ds-{n}") for n in range(64))
        if load_certificate(ds.der)["signature_value"].contents[-1] & 1 == 0
    )
    der = bytearray(signer.der)
    bit_string = load_certificate(signer.der)["signature_value"]
    der[len(der) - len(bit_string.contents)] = 0x01  # the signature ends the certificate
    result = check_chain(load_certificate(bytes(der)), TRUST, at=AT, issuing_state="UTO")
    assert result.outcome.status is not CheckStatus.PASSED
    intact = check_chain(load_certificate(signer.der), TRUST, at=AT, issuing_state="UTO")
    assert intact.outcome.status is CheckStatus.PASSED
