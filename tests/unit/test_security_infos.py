"""SecurityInfos: the ICAO/BSI EF.CardAccess vectors, real DG14s, builders, pace_domain and
malformed input (which must give DecodeError or an UnknownSecurityInfo, never anything else)."""

from __future__ import annotations

import dataclasses
import time

import pytest
from asn1crypto import cms

from mrtd import tlv
from mrtd.crypto.domains import (
    CURVES_BY_NAME,
    DH_BY_NAME,
    STANDARD_DOMAINS,
    DHGroup,
    Domain,
    ECCurve,
)
from mrtd.crypto.ec import ECGroup
from mrtd.crypto.kdf import Cipher
from mrtd.crypto.spki import decode_public_key, encode_domain
from mrtd.der import encode_oid
from mrtd.errors import DecodeError
from mrtd.lds.security.infos import (
    MAX_INFOS,
    MAX_SIZE,
    ActiveAuthenticationInfo,
    ChipAuthenticationDomainParameterInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    DomainEncoding,
    KeyAgreement,
    Mapping,
    PACEDomainParameterInfo,
    PACEInfo,
    SecurityInfo,
    SecurityInfos,
    UnknownSecurityInfo,
)
from mrtd.lds.security.oids import SECURITY_OBJECT_OID
from tests.conftest import VECTORS
from tests.shared_data import shared_data_path


def _dg14(source: str) -> bytes:
    """A real DG14: a BSI data set's (shared data), or the real chip trace's of the vectors."""
    if source == "real-trace":
        return bytes.fromhex(VECTORS["ca.real_trace_ecdh_brainpoolP256r1_aes128"]["dg14"])
    return shared_data_path("lds", source, "Datagroup14.bin").read_bytes()


CARD_ACCESS_ECDH = bytes.fromhex(VECTORS["bsi_eac_worked_example.ecdh"]["ef_cardaccess"])
CARD_ACCESS_DH = bytes.fromhex(VECTORS["bsi_eac_worked_example.dh"]["ef_cardaccess"])
KNOWN_TYPES = (
    PACEInfo,
    PACEDomainParameterInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationDomainParameterInfo,
    ChipAuthenticationPublicKeyInfo,
    ActiveAuthenticationInfo,
    UnknownSecurityInfo,
)
BRAINPOOL_256 = CURVES_BY_NAME["brainpoolP256r1"]
MODP_1024 = DH_BY_NAME["MODP-1024-160"]
TA, CARD_INFO_LOCATOR, PRIVILEGED_TERMINAL = (
    "0.4.0.127.0.7.2.2.2",
    "0.4.0.127.0.7.2.2.6",
    "0.4.0.127.0.7.2.2.8",
)


def a_set(*elements: bytes) -> bytes:
    return tlv.encode(0x31, b"".join(elements))


def sequence(*elements: bytes) -> bytes:
    return tlv.encode(0x30, b"".join(elements))


def oid(dotted: str) -> bytes:
    return tlv.encode(0x06, encode_oid(dotted))


def integer(value: int) -> bytes:
    return tlv.encode(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def off_named_curve() -> ECCurve:
    """brainpoolP256r1 with another `a` (and the `b` that keeps G on it): no named curve."""
    c = BRAINPOOL_256
    a = c.a + 1
    b = (c.gy * c.gy - c.gx**3 - a * c.gx) % c.p
    return ECCurve("explicit", "", c.p, a, b, c.gx, c.gy, c.n, c.h)


def off_standard_group() -> DHGroup:
    """MODP-1024-160 with generator g^2: still a group of order q, but not the standard one."""
    g = pow(MODP_1024.g, 2, MODP_1024.p)
    return DHGroup("explicit", MODP_1024.p, g, MODP_1024.q)


def ec_key(curve: ECCurve, scalar: int = 7) -> bytes:
    return ECGroup(curve).mul(scalar)


def dh_key(group: DHGroup, exponent: int = 12345) -> bytes:
    return pow(group.g, exponent, group.p).to_bytes(group.size, "big")


def parses_or_decode_error(data: bytes) -> SecurityInfos | None:
    try:
        infos = SecurityInfos.from_bytes(data)
    except DecodeError:
        return None
    assert all(isinstance(info, KNOWN_TYPES) for info in infos.infos)
    return infos


# -- the vectors ------------------------------------------------------------------------------


def test_icao_appendix_g_pace_info() -> None:
    element = bytes.fromhex(VECTORS["pace.ecdh_gm.brainpoolP256r1"]["ef_cardaccess_paceinfo"])
    infos = SecurityInfos.from_bytes(a_set(element))
    assert infos.infos == (
        PACEInfo("0.4.0.127.0.7.2.2.4.2.2", 2, 13, KeyAgreement.ECDH, Mapping.GM, Cipher.AES128),
    )
    (pace,) = infos.pace
    assert infos.pace_domain(pace) is BRAINPOOL_256
    assert pace.to_bytes() == element
    assert PACEInfo.build(Mapping.GM, KeyAgreement.ECDH, Cipher.AES128, 13) == pace


@pytest.mark.parametrize(
    ("data", "key_agreement", "pace_oid", "ca_oid", "domain"),
    [
        (
            CARD_ACCESS_ECDH,
            KeyAgreement.ECDH,
            "0.4.0.127.0.7.2.2.4.2.2",
            "0.4.0.127.0.7.2.2.3.2.2",
            BRAINPOOL_256,
        ),
        (
            CARD_ACCESS_DH,
            KeyAgreement.DH,
            "0.4.0.127.0.7.2.2.4.1.2",
            "0.4.0.127.0.7.2.2.3.1.2",
            MODP_1024,
        ),
    ],
    ids=["ecdh", "dh"],
)
def test_bsi_worked_example_card_access(
    data: bytes, key_agreement: KeyAgreement, pace_oid: str, ca_oid: str, domain: Domain
) -> None:
    infos = SecurityInfos.from_bytes(data)
    assert [type(info) for info in infos.infos] == [
        UnknownSecurityInfo,
        ChipAuthenticationInfo,
        PACEInfo,
        ChipAuthenticationDomainParameterInfo,
        UnknownSecurityInfo,
        UnknownSecurityInfo,
    ]
    (pace,) = infos.pace
    assert (pace.oid, pace.version, pace.mapping, pace.cipher) == (
        pace_oid,
        2,
        Mapping.GM,
        Cipher.AES128,
    )
    assert pace.key_agreement is key_agreement
    assert infos.pace_domain(pace) is domain
    assert infos.chip_authentication == (
        ChipAuthenticationInfo(ca_oid, 2, 1, key_agreement, Cipher.AES128),
    )
    (ca_domain,) = infos.chip_authentication_domains
    assert (ca_domain.domain, ca_domain.key_id) == (domain, 1)
    assert ca_domain.domain_encoding is DomainEncoding.STANDARDIZED
    assert [(u.oid, u.problem) for u in infos.unknown] == [
        (TA, ""),
        (CARD_INFO_LOCATOR, ""),
        (PRIVILEGED_TERMINAL, ""),
    ]
    assert infos.pace_domains == ()
    assert infos.chip_authentication_keys == ()
    assert infos.active_authentication is None
    assert infos.to_bytes() == data
    assert infos.sorted() == infos  # the worked example is in DER SET OF order


# -- real DG14s -------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["bsi2008", "bsi-dataset-2"])
def test_bsi_dg14(folder: str) -> None:
    data = _dg14(folder)
    infos = SecurityInfos.from_dg14(data)
    (key,) = infos.chip_authentication_keys
    curve = CURVES_BY_NAME["brainpoolP224r1"]
    assert key.oid == "0.4.0.127.0.7.2.2.1.2"
    assert (key.key_agreement, key.domain, key.key_id) == (KeyAgreement.ECDH, curve, None)
    assert key.domain_encoding is DomainEncoding.EXPLICIT
    assert len(key.public_key) == 1 + 2 * 28
    assert ECGroup(curve).check(key.public_key) == key.public_key  # on the curve
    assert infos.chip_authentication == (
        ChipAuthenticationInfo.build(KeyAgreement.ECDH, Cipher.DES3, None, version=1),
    )
    assert [u.oid for u in infos.unknown] == [TA]
    assert infos.active_authentication is None
    assert infos.to_dg14() == data  # explicit parameters re-encode byte for byte
    assert SecurityInfos.from_bytes(tlv.decode_one(data).value) == infos


def test_dg14_key_matches_the_published_public_key() -> None:
    folder = shared_data_path("lds", "bsi-dataset-2")
    (key,) = SecurityInfos.from_dg14(
        (folder / "Datagroup14.bin").read_bytes()
    ).chip_authentication_keys
    domain, encoding, public_key = decode_public_key(
        tlv.decode_one((folder / "DG14_pk.bin").read_bytes())
    )
    assert (domain, encoding, public_key) == (key.domain, key.domain_encoding, key.public_key)


def test_active_authentication_info() -> None:
    aa = ActiveAuthenticationInfo.build("1.2.840.10045.4.3.2")
    assert aa.to_bytes() == sequence(oid("2.23.136.1.1.5"), integer(1), oid("1.2.840.10045.4.3.2"))
    infos = SecurityInfos((aa,))
    assert SecurityInfos.from_dg14(infos.to_dg14()).active_authentication == aa
    with pytest.raises(ValueError, match="dotted"):
        ActiveAuthenticationInfo.build("ecdsa-with-SHA256")


# -- building ---------------------------------------------------------------------------------

VALID_PACE = [
    (mapping, key_agreement, cipher)
    for mapping in Mapping
    for key_agreement in KeyAgreement
    for cipher in Cipher
    if not (mapping is Mapping.CAM and (key_agreement is KeyAgreement.DH or cipher is Cipher.DES3))
]
PROTOCOL_ARC = {
    (KeyAgreement.DH, Mapping.GM): 1,
    (KeyAgreement.ECDH, Mapping.GM): 2,
    (KeyAgreement.DH, Mapping.IM): 3,
    (KeyAgreement.ECDH, Mapping.IM): 4,
    (KeyAgreement.ECDH, Mapping.CAM): 6,
}
CIPHER_ARC = {Cipher.DES3: 1, Cipher.AES128: 2, Cipher.AES192: 3, Cipher.AES256: 4}


@pytest.mark.parametrize(("mapping", "key_agreement", "cipher"), VALID_PACE)
def test_pace_info_build(mapping: Mapping, key_agreement: KeyAgreement, cipher: Cipher) -> None:
    info = PACEInfo.build(mapping, key_agreement, cipher, parameter_id=13)
    arcs = (PROTOCOL_ARC[key_agreement, mapping], CIPHER_ARC[cipher])
    assert info.protocol == f"0.4.0.127.0.7.2.2.4.{arcs[0]}"
    assert info.oid == f"{info.protocol}.{arcs[1]}"
    assert (info.version, info.parameter_id) == (2, 13)
    assert SecurityInfos.from_bytes(SecurityInfos((info,)).to_bytes()).infos == (info,)


def test_pace_info_build_counts() -> None:
    assert len(VALID_PACE) == 4 * 4 + 3  # GM and IM with DH and ECDH, four ciphers; ECDH-CAM AES


@pytest.mark.parametrize(
    ("mapping", "key_agreement", "cipher"),
    [(Mapping.CAM, KeyAgreement.DH, cipher) for cipher in Cipher]
    + [(Mapping.CAM, KeyAgreement.ECDH, Cipher.DES3)],
)
def test_pace_info_build_refuses_undefined(
    mapping: Mapping, key_agreement: KeyAgreement, cipher: Cipher
) -> None:
    with pytest.raises(ValueError, match="CAM"):
        PACEInfo.build(mapping, key_agreement, cipher, parameter_id=None)


def test_constructors_refuse_inconsistent_fields() -> None:
    info = PACEInfo.build(Mapping.GM, KeyAgreement.ECDH, Cipher.AES128, 13)
    with pytest.raises(ValueError, match="not the PACE OID"):
        dataclasses.replace(info, cipher=Cipher.AES256)
    with pytest.raises(ValueError, match="0 to 2"):
        dataclasses.replace(info, parameter_id=-1)
    with pytest.raises(ValueError, match="not the CA OID"):
        ChipAuthenticationInfo("0.4.0.127.0.7.2.2.3.2.2", 1, None, KeyAgreement.DH, Cipher.AES128)
    with pytest.raises(ValueError, match="ECDH protocol"):
        PACEDomainParameterInfo("0.4.0.127.0.7.2.2.4.2", MODP_1024, 32)
    with pytest.raises(ValueError, match="no DH CAM"):
        PACEDomainParameterInfo.build(Mapping.CAM, MODP_1024, 32)


@pytest.mark.parametrize(
    ("domain", "encoding", "key"),
    [
        (BRAINPOOL_256, DomainEncoding.NAMED, ec_key(BRAINPOOL_256)),
        (BRAINPOOL_256, DomainEncoding.STANDARDIZED, ec_key(BRAINPOOL_256)),
        (BRAINPOOL_256, DomainEncoding.EXPLICIT, ec_key(BRAINPOOL_256)),
        (off_named_curve(), DomainEncoding.EXPLICIT, b"\x04" + bytes(range(64))),
        (MODP_1024, DomainEncoding.STANDARDIZED, dh_key(MODP_1024)),
        (MODP_1024, DomainEncoding.EXPLICIT, dh_key(MODP_1024)),
        (off_standard_group(), DomainEncoding.EXPLICIT, dh_key(off_standard_group())),
    ],
)
def test_chip_authentication_key_round_trip(
    domain: Domain, encoding: DomainEncoding, key: bytes
) -> None:
    info = ChipAuthenticationPublicKeyInfo.build(domain, key, key_id=5, domain_encoding=encoding)
    domain_info = ChipAuthenticationDomainParameterInfo.build(domain, 5, encoding)
    infos = SecurityInfos((info, domain_info))
    assert SecurityInfos.from_bytes(infos.to_bytes()) == infos
    assert SecurityInfos.from_dg14(infos.to_dg14()) == infos


def test_dh_key_with_leading_zero_bytes() -> None:
    key = (5).to_bytes(MODP_1024.size, "big")
    info = ChipAuthenticationPublicKeyInfo.build(MODP_1024, key)
    assert SecurityInfos.from_bytes(SecurityInfos((info,)).to_bytes()).infos == (info,)


@pytest.mark.parametrize(
    ("domain", "encoding", "key", "message"),
    [
        (BRAINPOOL_256, DomainEncoding.NAMED, b"\x04" + bytes(63), "point encoding"),
        (BRAINPOOL_256, DomainEncoding.NAMED, b"\x05" + bytes(64), "point encoding"),
        (MODP_1024, DomainEncoding.EXPLICIT, bytes(126) + b"\x05", "must have 128"),
        (MODP_1024, DomainEncoding.EXPLICIT, bytes(127) + b"\x01", "out of range"),
        (MODP_1024, DomainEncoding.NAMED, dh_key(MODP_1024), "not a named curve"),
        (off_named_curve(), DomainEncoding.NAMED, b"\x04" + bytes(64), "not a named curve"),
        (off_named_curve(), DomainEncoding.STANDARDIZED, b"\x04" + bytes(64), "standardized"),
    ],
)
def test_chip_authentication_key_refuses(
    domain: Domain, encoding: DomainEncoding, key: bytes, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ChipAuthenticationPublicKeyInfo.build(domain, key, domain_encoding=encoding)


# -- pace_domain ------------------------------------------------------------------------------


def pace(
    key_agreement: KeyAgreement, parameter_id: int | None, mapping: Mapping = Mapping.GM
) -> PACEInfo:
    return PACEInfo.build(mapping, key_agreement, Cipher.AES128, parameter_id)


def reparsed(*infos: SecurityInfo) -> SecurityInfos:
    return SecurityInfos.from_bytes(SecurityInfos(infos).to_bytes())


@pytest.mark.parametrize("parameter_id", sorted(STANDARD_DOMAINS))
def test_pace_domain_standardized(parameter_id: int) -> None:
    domain = STANDARD_DOMAINS[parameter_id]
    right = KeyAgreement.ECDH if isinstance(domain, ECCurve) else KeyAgreement.DH
    wrong = KeyAgreement.DH if right is KeyAgreement.ECDH else KeyAgreement.ECDH
    infos = SecurityInfos(())
    assert infos.pace_domain(pace(right, parameter_id)) is domain
    assert infos.pace_domain(pace(wrong, parameter_id)) is None


@pytest.mark.parametrize("parameter_id", [3, 4, 5, 6, 7, 19, 31])
def test_pace_domain_reserved_ids(parameter_id: int) -> None:
    explicit = PACEDomainParameterInfo.build(Mapping.GM, BRAINPOOL_256, parameter_id)
    infos = SecurityInfos((explicit,))
    assert infos.pace_domain(pace(KeyAgreement.ECDH, parameter_id)) is None


def test_pace_domain_explicit_brainpool_is_the_named_curve() -> None:
    explicit = PACEDomainParameterInfo.build(Mapping.GM, BRAINPOOL_256, 32)
    assert b"\x06\x07\x2a\x86\x48\xce\x3d\x02\x01" in explicit.to_bytes()  # id-ecPublicKey
    assert BRAINPOOL_256.generator in explicit.to_bytes()  # spelled out
    infos = reparsed(pace(KeyAgreement.ECDH, 32), explicit)
    assert infos.pace_domains[0].domain_encoding is DomainEncoding.EXPLICIT
    assert infos.pace_domain(infos.pace[0]) is BRAINPOOL_256


def test_pace_domain_explicit_unnamed_curve() -> None:
    curve = off_named_curve()
    infos = reparsed(
        pace(KeyAgreement.ECDH, 40, Mapping.IM),
        PACEDomainParameterInfo.build(Mapping.IM, curve, 40),
    )
    domain = infos.pace_domain(infos.pace[0])
    assert isinstance(domain, ECCurve)
    assert (domain.name, domain.oid) == ("explicit", "")
    assert domain.same_parameters(curve)


def test_pace_domain_explicit_dh_groups() -> None:
    infos = reparsed(
        pace(KeyAgreement.DH, 32),
        pace(KeyAgreement.DH, 33),
        PACEDomainParameterInfo.build(Mapping.GM, DH_BY_NAME["MODP-2048-224"], 32),
        PACEDomainParameterInfo.build(Mapping.GM, off_standard_group(), 33),
    )
    assert infos.pace_domain(infos.pace[0]) is DH_BY_NAME["MODP-2048-224"]
    assert infos.pace_domain(infos.pace[1]) == off_standard_group()


def test_pace_domain_without_parameter_id() -> None:
    gm = PACEDomainParameterInfo.build(Mapping.GM, BRAINPOOL_256, None)
    im = PACEDomainParameterInfo.build(Mapping.IM, BRAINPOOL_256, None)
    info = pace(KeyAgreement.ECDH, None)
    assert SecurityInfos((info, gm, im)).pace_domain(info) is BRAINPOOL_256  # one GM domain
    assert SecurityInfos((info, gm, gm)).pace_domain(info) is None  # ambiguous
    assert SecurityInfos((info, im)).pace_domain(info) is None  # not for this protocol
    assert SecurityInfos((info,)).pace_domain(info) is None


def test_pace_domain_proprietary_id_must_match() -> None:
    info = pace(KeyAgreement.ECDH, 40)
    other = PACEDomainParameterInfo.build(Mapping.GM, BRAINPOOL_256, 41)
    same = PACEDomainParameterInfo.build(Mapping.GM, off_named_curve(), 40)
    assert SecurityInfos((info, other)).pace_domain(info) is None
    assert SecurityInfos((info, other, same)).pace_domain(info) == off_named_curve()
    assert SecurityInfos((info, same, same)).pace_domain(info) is None


# -- EF.CardSecurity --------------------------------------------------------------------------


def card_security(content: bytes, content_type: str = SECURITY_OBJECT_OID) -> bytes:
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": content_type, "content": content},
            "signer_infos": [],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def test_card_security() -> None:
    data = card_security(CARD_ACCESS_ECDH)
    assert SecurityInfos.from_card_security(data) == SecurityInfos.from_bytes(CARD_ACCESS_ECDH)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (card_security(CARD_ACCESS_ECDH, "2.23.136.1.1.1"), "id-SecurityObject"),
        (card_security(CARD_ACCESS_ECDH[:-1]), "truncated|runs"),
        (bytes(cms.ContentInfo({"content_type": "data", "content": b"x"}).dump()), "SignedData"),
        (CARD_ACCESS_ECDH, "malformed CMS"),
        (b"\x30\x03\x06\x01", "malformed CMS"),
        (b"", "malformed CMS"),
        (bytes(1 << 18) + b"\0", "more than"),
    ],
)
def test_card_security_malformed(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        SecurityInfos.from_card_security(data)


def test_card_security_every_truncation() -> None:
    data = card_security(CARD_ACCESS_DH)
    for end in range(len(data)):
        with pytest.raises(DecodeError):
            SecurityInfos.from_card_security(data[:end])


# -- malformed input --------------------------------------------------------------------------


def test_every_truncation_is_a_decode_error() -> None:
    for end in range(len(CARD_ACCESS_ECDH)):
        with pytest.raises(DecodeError):
            SecurityInfos.from_bytes(CARD_ACCESS_ECDH[:end])


@pytest.mark.parametrize("data", [CARD_ACCESS_ECDH, CARD_ACCESS_DH], ids=["ecdh", "dh"])
def test_every_bit_flip(data: bytes) -> None:
    outcomes = {"error": 0, "problem": 0, "parsed": 0}
    for position in range(len(data) * 8):
        damaged = bytearray(data)
        damaged[position // 8] ^= 1 << position % 8
        infos = parses_or_decode_error(bytes(damaged))
        if infos is None:
            outcomes["error"] += 1
        elif any(u.problem for u in infos.unknown):
            outcomes["problem"] += 1
        else:
            outcomes["parsed"] += 1
    assert all(outcomes.values()), outcomes  # each outcome happens


@pytest.mark.parametrize("source", ["bsi2008", "real-trace"])
def test_every_bit_flip_in_dg14(source: str) -> None:
    data = _dg14(source)
    for position in range(len(data) * 8):
        damaged = bytearray(data)
        damaged[position // 8] ^= 1 << position % 8
        try:
            infos = SecurityInfos.from_dg14(bytes(damaged))
        except DecodeError:
            continue
        assert all(isinstance(info, KNOWN_TYPES) for info in infos.infos)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no data"),
        (CARD_ACCESS_ECDH + b"\x00", "trailing"),
        (b"\x30" + CARD_ACCESS_ECDH[1:], "must be a SET"),
        (b"\x31\x84\xff\xff\xff\xff", "exceeds the limit"),
        (b"\x31\x83\x01\x00\x00" + bytes(0x10000), "more than"),
        (b"\x31\x80\x00\x00", "indefinite"),
        (b"\x11\x00", "not constructed"),
        (a_set(integer(1)), "SecurityInfo 0 is not a SEQUENCE"),
        (a_set(sequence()), "does not start with a protocol OID"),
        (a_set(sequence(integer(1), oid("1.2.3"))), "does not start with a protocol OID"),
        (a_set(sequence(tlv.encode(0x06, b"\x2a\x80"))), "SecurityInfo 0: OBJECT IDENTIFIER"),
        (a_set(*[sequence(oid("1.2.3"))] * (MAX_INFOS + 1)), "more than the 64"),
        (a_set(sequence(oid("1.2.3"))) + b"\x00\x00", "trailing"),
    ],
)
def test_structure_errors_are_fatal(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        SecurityInfos.from_bytes(data)


def test_deep_nesting() -> None:
    nested = oid("1.2.3")
    for _ in range(200):
        nested = sequence(nested)
    with pytest.raises(DecodeError, match="nesting deeper"):
        SecurityInfos.from_bytes(a_set(nested))


@pytest.mark.parametrize("source", ["bsi2008", "real-trace"])
def test_dg14_errors(source: str) -> None:
    content = tlv.decode_one(_dg14(source)).value
    with pytest.raises(DecodeError, match="tag 6E"):
        SecurityInfos.from_dg14(tlv.encode(0x6F, content))
    with pytest.raises(DecodeError, match="exactly one SET"):
        SecurityInfos.from_dg14(tlv.encode(0x6E, content + content))
    with pytest.raises(DecodeError, match="exactly one SET"):
        SecurityInfos.from_dg14(tlv.encode(0x6E, b""))


PACE_OID = oid("0.4.0.127.0.7.2.2.4.2.2")
PK_OID = oid("0.4.0.127.0.7.2.2.1.2")
STANDARDIZED = oid("0.4.0.127.0.7.1.2")
EC_PUBLIC_KEY = oid("1.2.840.10045.2.1")


def spki(algorithm: bytes, key: bytes) -> bytes:
    return sequence(algorithm, tlv.encode(0x03, b"\x00" + key))


@pytest.mark.parametrize(
    ("element", "problem"),
    [
        (sequence(PACE_OID), "PACEInfo has 1 fields"),
        (sequence(PACE_OID, tlv.encode(0x04, b"\x02")), "version is not an INTEGER"),
        (sequence(PACE_OID, tlv.encode(0x02, b"\xff")), "negative"),
        (sequence(PACE_OID, tlv.encode(0x02, b"")), "empty INTEGER"),
        (sequence(PACE_OID, integer(2), tlv.encode(0x02, bytes([1] * 9))), "longer than 8"),
        (sequence(PACE_OID, integer(2), integer(13), integer(1)), "PACEInfo has 4 fields"),
        (sequence(oid("0.4.0.127.0.7.2.2.4.2"), integer(2)), "AlgorithmIdentifier is not"),
        (
            sequence(oid("0.4.0.127.0.7.2.2.4.2"), sequence(STANDARDIZED, integer(5))),
            "id 5 is reserved",
        ),
        (
            sequence(oid("0.4.0.127.0.7.2.2.4.2"), sequence(STANDARDIZED, integer(0))),
            "ECDH protocol with the domain MODP",
        ),
        (
            sequence(PK_OID, spki(sequence(EC_PUBLIC_KEY, oid("1.3.132.0.10")), b"\x04")),
            "named curve 1.3.132.0.10 is not supported",
        ),
        (
            sequence(PK_OID, spki(sequence(EC_PUBLIC_KEY, b"\x05\x00"), b"\x04")),
            "implicitlyCA",
        ),
        (
            sequence(PK_OID, spki(sequence(oid("1.2.840.113549.1.1.1"), b"\x05\x00"), b"")),
            "1.2.840.113549.1.1.1 is not supported",
        ),
        (
            sequence(PK_OID, spki(sequence(STANDARDIZED, integer(13)), bytes(65))),
            "not a point encoding",
        ),
        (
            sequence(
                PK_OID,
                sequence(sequence(STANDARDIZED, integer(13)), tlv.encode(0x03, b"\x01\x04")),
            ),
            "whole number of bytes",
        ),
        (
            sequence(
                oid("0.4.0.127.0.7.2.2.1.1"),
                spki(sequence(STANDARDIZED, integer(0)), b"\x02\x01\x00"),
            ),
            "out of range",
        ),
        (
            sequence(
                oid("0.4.0.127.0.7.2.2.1.1"),
                spki(sequence(STANDARDIZED, integer(0)), b"\x04\x01\x05"),
            ),
            "DH public key is not an INTEGER",
        ),
        (sequence(oid("0.4.0.127.0.7.2.2.3.2.2"), sequence()), "ChipAuthenticationInfo version"),
        (sequence(oid("0.4.0.127.0.7.2.2.3.2"), sequence(STANDARDIZED)), "has 1 fields"),
        (sequence(oid("2.23.136.1.1.5"), integer(1)), "ActiveAuthenticationInfo has 2 fields"),
        (sequence(oid("2.23.136.1.1.5"), integer(1), integer(1)), "signatureAlgorithm"),
    ],
)
def test_malformed_known_info_is_kept(element: bytes, problem: str) -> None:
    infos = SecurityInfos.from_bytes(a_set(element, sequence(oid("1.2.3"))))
    first = infos.infos[0]
    assert isinstance(first, UnknownSecurityInfo)
    assert problem in first.problem
    assert first.raw == element
    assert infos.infos[1] == UnknownSecurityInfo("1.2.3", sequence(oid("1.2.3")))
    assert infos.to_bytes() == a_set(element, sequence(oid("1.2.3")))


def explicit_curve_info(curve_fields: list[bytes]) -> bytes:
    parameters = sequence(*curve_fields)
    return sequence(PK_OID, spki(sequence(EC_PUBLIC_KEY, parameters), ec_key(BRAINPOOL_256)))


def curve_fields(**changes: bytes | None) -> list[bytes]:
    c = BRAINPOOL_256
    fields: dict[str, bytes | None] = {
        "version": integer(1),
        "field": sequence(oid("1.2.840.10045.1.1"), integer(c.p)),
        "curve": sequence(
            tlv.encode(0x04, c.a.to_bytes(32, "big")), tlv.encode(0x04, c.b.to_bytes(32, "big"))
        ),
        "base": tlv.encode(0x04, c.generator),
        "order": integer(c.n),
        "cofactor": integer(1),
    }
    fields.update(changes)
    return [value for value in fields.values() if value is not None]


def test_explicit_curve_encoding_matches_the_builder() -> None:
    spelled = sequence(EC_PUBLIC_KEY, sequence(*curve_fields()))
    assert spelled == encode_domain(BRAINPOOL_256, DomainEncoding.EXPLICIT)
    without_cofactor = explicit_curve_info(curve_fields(cofactor=None))
    (key,) = SecurityInfos.from_bytes(a_set(without_cofactor)).chip_authentication_keys
    assert key.domain is BRAINPOOL_256  # cofactor derived from p and n


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"version": integer(2)}, "version is not 1"),
        ({"field": sequence(oid("1.2.840.10045.1.2"), integer(5))}, "not a prime field"),
        ({"field": sequence(oid("1.2.840.10045.1.1"), integer(4))}, "odd number"),
        ({"field": sequence(oid("1.2.840.10045.1.1"), integer(1 << 700))}, "longer than 80"),
        ({"curve": sequence(tlv.encode(0x04, b""), tlv.encode(0x04, b"\1"))}, "coefficient a"),
        (
            {"curve": sequence(tlv.encode(0x04, b"\1"), tlv.encode(0x04, b"\xff" * 32))},
            "coefficient b",
        ),
        ({"base": tlv.encode(0x04, BRAINPOOL_256.generator[:-1])}, "uncompressed point"),
        ({"base": tlv.encode(0x04, BRAINPOOL_256.generator[:-1] + b"\0")}, "not on the curve"),
        ({"order": integer(1)}, "order is less than 2"),
        ({"cofactor": integer(0)}, "cofactor is less than 1"),
        ({"cofactor": None, "order": None}, "ECParameters has 4 fields"),
    ],
)
def test_explicit_curve_problems(changes: dict[str, bytes | None], problem: str) -> None:
    (info,) = SecurityInfos.from_bytes(a_set(explicit_curve_info(curve_fields(**changes)))).infos
    assert isinstance(info, UnknownSecurityInfo)
    assert problem in info.problem


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ((MODP_1024.p, MODP_1024.g), "has 2 fields"),
        ((MODP_1024.p, 1, MODP_1024.q), "out of range"),
        ((MODP_1024.p + 1, MODP_1024.g, MODP_1024.q), "out of range"),
        ((MODP_1024.p, MODP_1024.g, MODP_1024.p), "out of range"),
        ((1 << 8200, 2, 3), "longer than 1024"),
    ],
)
def test_explicit_dh_problems(fields: tuple[int, ...], problem: str) -> None:
    algorithm = sequence(oid("1.2.840.10046.2.1"), sequence(*(integer(v) for v in fields)))
    element = sequence(oid("0.4.0.127.0.7.2.2.4.1"), algorithm)
    (info,) = SecurityInfos.from_bytes(a_set(element)).infos
    assert isinstance(info, UnknownSecurityInfo)
    assert problem in info.problem


def test_dh_domain_parameters_with_j_and_validation() -> None:
    group = MODP_1024
    parameters = sequence(
        *(integer(v) for v in (group.p, group.g, group.q, 7)), sequence(tlv.encode(0x03, b"\0"))
    )
    element = sequence(
        oid("0.4.0.127.0.7.2.2.4.1"), sequence(oid("1.2.840.10046.2.1"), parameters), integer(40)
    )
    (info,) = SecurityInfos.from_bytes(a_set(element)).pace_domains
    assert (info.domain, info.parameter_id) == (group, 40)


def test_big_input_is_fast() -> None:
    element = sequence(
        oid("0.4.0.127.0.7.2.2.4.1"),
        sequence(oid("1.2.840.10046.2.1"), sequence(*(integer((1 << 8190) + 1) for _ in range(3)))),
    )
    data = a_set(*[element] * 7)
    assert len(data) < MAX_SIZE
    start = time.perf_counter()
    infos = SecurityInfos.from_bytes(data)
    assert time.perf_counter() - start < 1.0
    assert all(isinstance(info, UnknownSecurityInfo) for info in infos.infos)


def test_unknown_info_repr_has_no_content() -> None:
    info = UnknownSecurityInfo("1.2.3", sequence(oid("1.2.3"), tlv.encode(0x04, b"secret")))
    assert "secret" not in repr(info)
    assert "1.2.3" in repr(info)
