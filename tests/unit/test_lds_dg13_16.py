"""DG13 (opaque), DG8-DG10 (opaque), DG15 (the AA key: the BSI RSA keys, EC named and explicit)
and DG16 (persons to notify)."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from mrtd import tlv
from mrtd.crypto.domains import CURVES_BY_NAME, ECCurve
from mrtd.crypto.spki import DomainEncoding, encode_domain, encode_public_key
from mrtd.errors import DecodeError
from mrtd.lds import (
    DG13File,
    DG15File,
    DG16File,
    OpaqueDataGroup,
    PersonToNotify,
    build_dg13,
    build_dg15,
    build_dg16,
)
from mrtd.lds.opaque import build_opaque
from tests.shared_data import shared_data_path

# -- DG13 and DG8-DG10 --------------------------------------------------------------------------


def test_dg13_keeps_any_content() -> None:
    for content in (b"", tlv.encode(0x5F01, b"issuer"), b"\x00\xff not even TLV"):
        dg13 = DG13File.from_bytes(build_dg13(content))
        assert dg13.content == content
        assert repr(dg13) == f"DG13File({len(content)} bytes)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too few"),
        (b"\x6d", "too few"),
        (tlv.encode(0x6E, b"x"), "DG13 must have tag 6D, not 6E"),
        (tlv.encode(0x6D, b"abc")[:-1], "truncated"),
        (tlv.encode(0x6D, b"abc") + b"\x00", "1 trailing byte"),
        (b"\x6d\x85\x00\x00\x00\x00\x01", "length field"),
        (b"\x6d\x80\x00\x00", "indefinite"),
    ],
)
def test_dg13_malformed(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        DG13File.from_bytes(data)


def test_opaque_data_groups() -> None:
    dg8 = OpaqueDataGroup.from_bytes(build_opaque(8, b"\x01\x02"), 8)
    assert (dg8.number, dg8.content) == (8, b"\x01\x02")
    assert build_opaque(10, b"")[0] == 0x6A
    assert repr(dg8) == "OpaqueDataGroup(DG8, 2 bytes)"
    with pytest.raises(DecodeError, match="DG9 must have tag 69, not 68"):
        OpaqueDataGroup.from_bytes(build_opaque(8, b""), 9)
    with pytest.raises(ValueError, match="no data group 17"):
        build_opaque(17, b"")


# -- DG15 ---------------------------------------------------------------------------------------


def test_bsi2008_rsa_key_with_negative_modulus() -> None:
    data = shared_data_path("lds", "bsi2008", "Datagroup15.bin").read_bytes()
    dg15 = DG15File.from_bytes(data)
    assert (dg15.algorithm, dg15.key_size, dg15.curve) == ("RSA", 1024, None)
    assert dg15.negative_modulus  # the leading 00 of the modulus is missing
    key = dg15.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    numbers = key.public_numbers()
    assert numbers.e == 65537
    assert numbers.n.to_bytes(128, "big").hex().startswith("cf9a8ba6")
    assert dg15.ec_point is None
    assert dg15.to_bytes() == data
    assert repr(dg15) == "DG15File(RSA, 1024 bits)"


def test_bsi_dataset_2_rsa_key() -> None:
    data = shared_data_path("lds", "bsi-dataset-2", "Datagroup15.bin").read_bytes()
    dg15 = DG15File.from_bytes(data)
    assert (dg15.algorithm, dg15.key_size, dg15.negative_modulus) == ("RSA", 1024, False)
    key = dg15.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size == 1024
    assert key.public_numbers().e == 65537
    assert DG15File.from_bytes(build_dg15(dg15.public_key_info.dump())) == dg15
    assert dg15 != DG15File.from_bytes(
        shared_data_path("lds", "bsi2008", "Datagroup15.bin").read_bytes()
    )


def _spki(key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_named_ec_key() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    dg15 = DG15File.from_bytes(build_dg15(_spki(key)))
    assert (dg15.algorithm, dg15.key_size) == ("EC", 256)
    assert dg15.curve == CURVES_BY_NAME["P-256"]
    assert dg15.public_key() == key
    assert dg15.ec_point == key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert repr(dg15) == "DG15File(EC, P-256, 256 bits)"
    assert hash(dg15) == hash(DG15File.from_bytes(build_dg15(_spki(key))))


def test_explicit_parameters_map_to_the_named_curve() -> None:
    key = ec.generate_private_key(ec.BrainpoolP256R1()).public_key()
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    curve = CURVES_BY_NAME["brainpoolP256r1"]
    spki = encode_public_key(curve, DomainEncoding.EXPLICIT, point)
    dg15 = DG15File.from_bytes(build_dg15(spki))
    assert (dg15.algorithm, dg15.key_size, dg15.curve) == ("EC", 256, curve)
    assert dg15.public_key() == key


def test_curve_cryptography_does_not_know() -> None:
    curve = CURVES_BY_NAME["brainpoolP224r1"]
    dg15 = DG15File.from_bytes(
        build_dg15(encode_public_key(curve, DomainEncoding.NAMED, curve.generator))
    )
    assert (dg15.curve, dg15.key_size) == (curve, 224)
    with pytest.raises(DecodeError, match="brainpoolP224r1 \\(curve\\) is not supported"):
        dg15.public_key()


def test_unnamed_explicit_curve() -> None:
    c = CURVES_BY_NAME["P-256"]
    a = c.a + 1
    unnamed = ECCurve("explicit", "", c.p, a, (c.gy**2 - c.gx**3 - a * c.gx) % c.p, c.gx, c.gy, c.n)
    spki = encode_public_key(unnamed, DomainEncoding.EXPLICIT, unnamed.generator)
    dg15 = DG15File.from_bytes(build_dg15(spki))
    assert dg15.curve is not None
    assert (dg15.curve.name, dg15.key_size) == ("explicit", 256)
    with pytest.raises(DecodeError, match="explicit parameters of no named curve"):
        dg15.public_key()


def test_point_off_the_curve() -> None:
    curve = CURVES_BY_NAME["P-256"]
    off = b"\x04" + (1).to_bytes(32, "big") + (1).to_bytes(32, "big")
    dg15 = DG15File.from_bytes(build_dg15(encode_public_key(curve, DomainEncoding.NAMED, off)))
    with pytest.raises(DecodeError, match="not on P-256"):
        dg15.public_key()


def test_point_of_the_wrong_size() -> None:
    curve = CURVES_BY_NAME["P-256"]
    algorithm = encode_domain(curve, DomainEncoding.NAMED)
    spki = tlv.encode(0x30, algorithm + tlv.encode(0x03, b"\x00\x04\x01\x02"))
    with pytest.raises(DecodeError, match="not a point encoding for P-256"):
        DG15File.from_bytes(build_dg15(spki))


def test_other_key_algorithms_are_refused() -> None:
    spki = _spki(ed25519.Ed25519PrivateKey.generate().public_key())
    with pytest.raises(DecodeError, match="key algorithm ed25519 is not RSA or EC"):
        DG15File.from_bytes(build_dg15(spki))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tlv.encode(0x6E, tlv.encode(0x30, b"")), "DG15 must have tag 6F"),
        (tlv.encode(0x6F, b""), "exactly one SubjectPublicKeyInfo"),
        (tlv.encode(0x6F, tlv.encode(0x31, b"")), "exactly one SubjectPublicKeyInfo"),
        (tlv.encode(0x6F, tlv.encode(0x30, b"") * 2), "exactly one SubjectPublicKeyInfo"),
        (tlv.encode(0x6F, tlv.encode(0x30, tlv.encode(0x02, b"\x01"))), "malformed"),
        (tlv.encode(0x6F, bytes(1 << 14)), "more than"),
    ],
)
def test_dg15_malformed(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        DG15File.from_bytes(data)


def test_rsa_key_out_of_range() -> None:
    bad = bytes.fromhex("300d06092a864886f70d0101010500") + tlv.encode(
        0x03, b"\x00" + tlv.encode(0x30, tlv.encode(0x02, b"\x01") + tlv.encode(0x02, b"\x03"))
    )
    with pytest.raises(DecodeError, match="out of range"):
        DG15File.from_bytes(build_dg15(tlv.encode(0x30, bad)))


def test_build_dg15_checks_its_input() -> None:
    with pytest.raises(ValueError, match="SEQUENCE"):
        build_dg15(tlv.encode(0x31, b""))
    with pytest.raises(ValueError, match="not a SubjectPublicKeyInfo"):
        build_dg15(b"\x30\x05")


# -- DG16 ---------------------------------------------------------------------------------------

ALICE = PersonToNotify(
    name="SPECIMEN<<ALICE",
    telephone="+99 123 4567",
    address=("1 SPECIMEN STREET", "UTOPIA CITY"),
    date_recorded_text="20240131",
)
BOB = PersonToNotify(name="SPECIMEN<<BOB", date_recorded_text="20240100")


def test_dg16_round_trip() -> None:
    data = build_dg16([ALICE, BOB])
    outer = tlv.decode_one(data)
    assert [child.tag for child in outer.children()] == [0x02, 0xA1, 0xA2]
    dg16 = DG16File.from_bytes(data)
    assert dg16.persons == (ALICE, BOB)
    assert dg16.persons[0].date_recorded == date(2024, 1, 31)
    assert dg16.persons[1].date_recorded is None  # day unknown
    assert build_dg16(dg16.persons) == data


def test_dg16_bcd_date_and_kept_objects() -> None:
    person = tlv.encode(0xA1, tlv.encode(0x5F50, b"\x20\x24\x01\x31") + tlv.encode(0x5F60, b"x"))
    data = tlv.encode(0x70, tlv.encode(0x02, b"\x01") + person + tlv.encode(0x53, b"y"))
    dg16 = DG16File.from_bytes(data)
    (only,) = dg16.persons
    assert (only.date_recorded, only.name, only.other) == (date(2024, 1, 31), "", ((0x5F60, b"x"),))
    assert dg16.other == ((0x53, b"y"),)


def test_dg16_repr_is_redacted() -> None:
    dg16 = DG16File.from_bytes(build_dg16([ALICE]))
    assert repr(dg16) == "DG16File(1 person(s))"
    assert "ALICE" not in repr(dg16.persons)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tlv.encode(0x6F, b""), "DG16 must have tag 70"),
        (tlv.encode(0x70, tlv.encode(0xA1, b"")), "number of instances"),
        (tlv.encode(0x70, tlv.encode(0x02, b"\x02") + tlv.encode(0xA1, b"")), "does not match"),
        (
            tlv.encode(
                0x70, tlv.encode(0x02, b"\x01") + tlv.encode(0xA1, tlv.encode(0x5F50, b"2024"))
            ),
            "person 1 date recorded",
        ),
    ],
)
def test_dg16_malformed(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        DG16File.from_bytes(data)


def test_dg16_builder_checks() -> None:
    with pytest.raises(ValueError, match="YYYYMMDD"):
        build_dg16([PersonToNotify(date_recorded_text="2024-01-31")])
    with pytest.raises(ValueError, match="1 to 30"):
        build_dg16([BOB] * 31)
