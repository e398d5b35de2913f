"""EF.SOD: build -> parse round trips, the real BSI SODs (shared data), BER quirks and malformed
input."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos, cms, core, x509
from asn1crypto import parser as asn1_parser
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from mrtd.errors import DecodeError
from mrtd.lds.sod import (
    LDS_SECURITY_OBJECT_OID,
    MAX_SOD_SIZE,
    LDSSecurityObject,
    SODFile,
    build_sod,
)
from mrtd.sim.pki import Kind, TestPKI
from tests.shared_data import shared_data_path

PKI = TestPKI()
DATA_GROUPS = {1: b"\x61\x03\x5f\x1f\x00", 2: b"\x75\x02\x7f\x61", 14: b"\x6e\x00", 15: b"\x6f\x00"}
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

# RFC 5639 brainpoolP224r1: the BSI 2008 DS certificate spells it out as explicit parameters,
# and pyca/cryptography has no brainpoolP224r1: the test checks the parameters and verifies
# the signature with textbook ECDSA.
P224 = {
    "p": 0xD7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF,
    "a": 0x68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43,
    "b": 0x2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B,
    "gx": 0x0D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D,
    "gy": 0x58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD,
    "n": 0xD7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F,
}

# -- helpers ----------------------------------------------------------------------------------


def explicit_brainpool_p224r1_point(certificate: x509.Certificate) -> bytes | None:
    """The public point if the key is EC with explicit parameters (which must be P224r1)."""
    info = certificate.public_key
    parameters = info["algorithm"]["parameters"]
    if info["algorithm"]["algorithm"].native != "ec" or parameters.name != "specified":
        return None
    spec = parameters.chosen
    base = spec["base"].native
    found = {
        "p": spec["field_id"]["parameters"].native,
        "a": int.from_bytes(spec["curve"]["a"].native),
        "b": int.from_bytes(spec["curve"]["b"].native),
        "gx": int.from_bytes(base[1:29]) if base[:1] == b"\x04" else None,
        "gy": int.from_bytes(base[29:]),
        "n": spec["order"].native,
    }
    assert found == P224
    point: bytes = info["public_key"].native
    return point


Point = tuple[int, int] | None


def ecdsa_verify_p224r1(point: bytes, signature: bytes, digest: bytes) -> None:
    """Textbook ECDSA verification (SEC 1 §4.1.4) on brainpoolP224r1, which pyca/cryptography
    lacks; slow affine arithmetic is fine for one test signature."""
    p, a, b, n = P224["p"], P224["a"], P224["b"], P224["n"]

    def decode(encoded: bytes) -> tuple[int, int]:
        assert encoded[0] == 4
        assert len(encoded) == 57
        x, y = int.from_bytes(encoded[1:29]), int.from_bytes(encoded[29:])
        assert (y * y - x * x * x - a * x - b) % p == 0, "point not on the curve"
        return x, y

    def add(first: Point, second: Point) -> Point:
        if first is None or second is None:
            return second if first is None else first
        (x1, y1), (x2, y2) = first, second
        if x1 == x2 and (y1 + y2) % p == 0:
            return None
        if first == second:
            slope = (3 * x1 * x1 + a) * pow(2 * y1, -1, p) % p
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, p) % p
        x3 = (slope * slope - x1 - x2) % p
        return x3, (slope * (x1 - x3) - y1) % p

    def multiply(k: int, base: Point) -> Point:
        result: Point = None
        while k:
            if k & 1:
                result = add(result, base)
            base, k = add(base, base), k >> 1
        return result

    values = algos.DSASignature.load(signature).native
    r, s = values["r"], values["s"]
    assert 0 < r < n
    assert 0 < s < n
    e = int.from_bytes(digest) >> max(0, 8 * len(digest) - n.bit_length())
    w = pow(s, -1, n)
    total = add(multiply(e * w % n, (P224["gx"], P224["gy"])), multiply(r * w % n, decode(point)))
    if total is None or total[0] % n != r:
        raise InvalidSignature


def verify_signature(sod: SODFile) -> None:
    """The DS signature over the signed attributes, checked with pyca/cryptography (or the
    textbook ECDSA above for the explicit-parameter BSI 2008 key)."""
    assert sod.signer_certificate is not None
    algorithm = sod.signature_algorithm
    digest = HASHES[sod.digest_algorithm]()
    point = explicit_brainpool_p224r1_point(sod.signer_certificate)
    if point is not None:
        assert algorithm.signature_algo == "ecdsa"
        message_hash = hashlib.new(sod.digest_algorithm, sod.signature_input).digest()
        ecdsa_verify_p224r1(point, sod.signature, message_hash)
        return
    key = serialization.load_der_public_key(sod.signer_certificate.public_key.dump())
    if algorithm.signature_algo == "ecdsa":
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(sod.signature, sod.signature_input, ec.ECDSA(digest))
        return
    assert isinstance(key, rsa.RSAPublicKey)
    if algorithm.signature_algo == "rsassa_pss":
        params = algorithm["parameters"]
        pss_hash = HASHES[params["hash_algorithm"]["algorithm"].native]()
        mgf_hash = HASHES[params["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
        pss = padding.PSS(padding.MGF1(mgf_hash), params["salt_length"].native)
        key.verify(sod.signature, sod.signature_input, pss, pss_hash)
    else:
        assert algorithm.signature_algo == "rsassa_pkcs1v15"
        key.verify(sod.signature, sod.signature_input, padding.PKCS1v15(), digest)


def content_digest(sod: SODFile) -> bytes:
    return hashlib.new(sod.digest_algorithm, sod.encapsulated_content).digest()


def build(kind: Kind = "rsa", **kwargs: Any) -> bytes:
    key, certificate = PKI.document_signer(kind)
    groups = kwargs.pop("data_groups", DATA_GROUPS)
    return build_sod(groups, signer_key=key, signer_cert=certificate, **kwargs)


def mutate(sod: bytes, change: Callable[[Any], None]) -> bytes:
    """`sod` with its SignedData changed by `change`, re-encoded (signature left stale)."""
    content_info = cms.ContentInfo.load(asn1_parser.parse(sod)[4])
    change(content_info["content"])
    return bytes(asn1_parser.emit(1, 1, 23, content_info.dump(force=True)))


def with_lds_object(lso: dict[str, Any] | bytes) -> bytes:
    encoded = lso if isinstance(lso, bytes) else LDSSecurityObject(lso).dump()

    def change(signed_data: Any) -> None:
        signed_data["encap_content_info"]["content"] = encoded

    return mutate(build(), change)


def lds_object(**changes: Any) -> dict[str, Any]:
    lso: dict[str, Any] = {
        "version": 0,
        "hash_algorithm": {"algorithm": "sha256"},
        "data_group_hash_values": [
            {"data_group_number": n, "data_group_hash_value": bytes(32)} for n in (1, 2)
        ],
    }
    lso.update(changes)
    return lso


def indefinite(data: bytes, depth: int = 0) -> bytes:
    """Re-encode the CMS envelope the way streaming BER encoders do: every constructed value
    down to the eContent with indefinite length, and the eContent OCTET STRING as a constructed
    string of 7-byte chunks. Certificates and SignerInfos (signed as DER) stay as they are."""
    out = b""
    pos = 0
    while pos < len(data):
        class_, method, tag, header, contents, trailer = asn1_parser.parse(data[pos:])
        pos += len(header) + len(contents) + len(trailer)
        identifier = asn1_parser.emit(class_, method, tag, b"")[:-1]
        keep_inside = depth == 4 and identifier in (b"\xa0", b"\x31")
        if method == 1 and depth < 6:
            inner = contents if keep_inside else indefinite(contents, depth + 1)
            out += identifier + b"\x80" + inner + b"\x00\x00"
        elif identifier == b"\x04" and depth == 6:
            chunks = [contents[i : i + 7] for i in range(0, len(contents), 7)]
            out += b"\x24\x80" + b"".join(asn1_parser.emit(0, 0, 4, c) for c in chunks)
            out += b"\x00\x00"
        else:
            out += header + contents + trailer
    return out


# -- build -> parse ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rsa", "ecdsa"])
@pytest.mark.parametrize("hash_algorithm", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_round_trip(kind: Kind, hash_algorithm: str) -> None:
    raw = build(kind, hash_algorithm=hash_algorithm)
    sod = SODFile.from_bytes(raw)

    assert raw[0] == 0x77
    assert sod.raw == raw
    assert sod.hash_algorithm == hash_algorithm
    assert sod.lds_version is None
    assert dict(sod.data_group_hashes) == {
        n: hashlib.new(hash_algorithm, dg).digest() for n, dg in DATA_GROUPS.items()
    }
    assert list(sod.data_group_hashes) == sorted(DATA_GROUPS)
    assert sod.signed_data["version"].native == "v3"
    assert sod.digest_algorithm == hash_algorithm
    assert sod.signed_content_type == LDS_SECURITY_OBJECT_OID
    assert sod.message_digest == hashlib.new(hash_algorithm, sod.encapsulated_content).digest()
    assert sod.signing_time is None
    assert sod.signer_certificate is not None
    assert sod.signer_certificate.dump() == PKI.document_signer(kind)[1].dump()
    verify_signature(sod)


@pytest.mark.parametrize(
    ("kind", "scheme", "algorithm"),
    [
        ("rsa", None, "rsassa_pss"),
        ("rsa", "rsassa_pss", "rsassa_pss"),
        ("rsa", "rsassa_pkcs1v15", "sha256_rsa"),
        ("ecdsa", None, "sha256_ecdsa"),
        ("ecdsa", "ecdsa", "sha256_ecdsa"),
    ],
)
def test_signature_algorithms(kind: Kind, scheme: str | None, algorithm: str) -> None:
    sod = SODFile.from_bytes(build(kind, signature_algorithm=scheme))
    assert sod.signature_algorithm["algorithm"].native == algorithm
    verify_signature(sod)


def test_pss_parameters_name_the_hash_and_salt() -> None:
    sod = SODFile.from_bytes(build("rsa", hash_algorithm="sha384"))
    params = sod.signature_algorithm["parameters"].native
    assert params["hash_algorithm"]["algorithm"] == "sha384"
    assert params["mask_gen_algorithm"]["parameters"]["algorithm"] == "sha384"
    assert params["salt_length"] == 48


def test_pkcs1v15_is_deterministic() -> None:
    first = build("rsa", signature_algorithm="rsassa_pkcs1v15")
    assert first == build("rsa", signature_algorithm="rsassa_pkcs1v15")


def test_tampered_signed_attributes_fail_verification() -> None:
    sod = SODFile.from_bytes(build("ecdsa"))
    forged = SODFile.from_bytes(
        mutate(sod.raw, lambda sd: sd["signer_infos"][0].__setitem__("signature", b"\x30\x00"))
    )
    with pytest.raises(InvalidSignature):
        verify_signature(forged)


def test_lds_version_1() -> None:
    sod = SODFile.from_bytes(build(lds_version="0108", unicode_version="040000"))
    lso = LDSSecurityObject.load(sod.encapsulated_content)
    assert lso["version"].native == 1
    assert lso["lds_version_info"].native == {"lds_version": "0108", "unicode_version": "040000"}
    assert sod.lds_version == "0108"


def test_signing_time() -> None:
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    sod = SODFile.from_bytes(build(signing_time=when))
    assert sod.signing_time == when
    verify_signature(sod)


def test_signed_attributes_are_der_sorted() -> None:
    sod = SODFile.from_bytes(build(signing_time=datetime(2026, 3, 1, tzinfo=UTC)))
    attributes = sod.signed_attributes
    encodings = [attribute.dump() for attribute in attributes]
    assert encodings == sorted(encodings)
    assert sod.signature_input[0] == 0x31
    assert sod.signature_input == cms.CMSAttributes.load(sod.signature_input).dump(force=True)


def test_signer_found_by_subject_key_identifier() -> None:
    certificate = PKI.document_signer("rsa")[1]

    def use_ski(signed_data: Any) -> None:
        signer_info = signed_data["signer_infos"][0]
        signer_info["version"] = "v3"
        signer_info["sid"] = cms.SignerIdentifier(
            name="subject_key_identifier", value=certificate.key_identifier
        )

    sod = SODFile.from_bytes(mutate(build(), use_ski))
    assert sod.signer_certificate is not None
    assert sod.signer_certificate.dump() == certificate.dump()


def test_no_signer_certificate_when_absent_or_not_named() -> None:
    def drop_certificates(signed_data: Any) -> None:
        signed_data["certificates"] = None

    def other_certificate(signed_data: Any) -> None:
        signed_data["certificates"] = [PKI.csca_certificate("rsa")]

    assert SODFile.from_bytes(mutate(build(), drop_certificates)).signer_certificate is None
    assert SODFile.from_bytes(mutate(build(), other_certificate)).signer_certificate is None


def test_repr_shows_no_bytes() -> None:
    sod = SODFile.from_bytes(build())
    text = repr(sod)
    assert "b'" not in text
    assert 'b"' not in text
    assert all(h.hex() not in text.lower() for h in sod.data_group_hashes.values())
    assert "sha256" in text
    assert "[1, 2, 14, 15]" in text
    assert len(text) < 200


def test_equality_is_by_raw_bytes() -> None:
    raw = build("rsa", signature_algorithm="rsassa_pkcs1v15")
    first, second = SODFile.from_bytes(raw), SODFile.from_bytes(bytearray(raw))
    assert first == second
    assert hash(first) == hash(second)
    assert first != SODFile.from_bytes(build("ecdsa"))
    with pytest.raises(TypeError):
        first.data_group_hashes[1] = b""  # type: ignore[index]


# -- build_sod refuses misuse -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"hash_algorithm": "md5"}, ValueError),
        ({"data_groups": {1: b"x"}}, ValueError),
        ({"data_groups": dict.fromkeys(range(1, 18), b"x")}, ValueError),
        ({"data_groups": {0: b"x", 1: b"y"}}, ValueError),
        ({"signature_algorithm": "ecdsa"}, ValueError),
        ({"signature_algorithm": "rsa"}, ValueError),
    ],
)
def test_build_refuses(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        build("rsa", **kwargs)


def test_build_refuses_a_key_that_is_not_the_certificates() -> None:
    key = PKI.document_signer("rsa")[0]
    with pytest.raises(ValueError, match="does not belong"):
        build_sod(DATA_GROUPS, signer_key=key, signer_cert=PKI.document_signer("ecdsa")[1])


def test_build_wants_an_asn1crypto_certificate() -> None:
    key, certificate = PKI.document_signer("rsa")
    with pytest.raises(TypeError):
        build_sod(DATA_GROUPS, signer_key=key, signer_cert=certificate.dump())


def test_build_refuses_an_unsupported_key_type() -> None:
    certificate = PKI.document_signer("rsa")[1]
    with pytest.raises(TypeError):
        build_sod(DATA_GROUPS, signer_key=object(), signer_cert=certificate)  # type: ignore[arg-type]


# -- real SODs (BSI specimen data) ------------------------------------------------------------

REAL = {
    "bsi2008": ("sha1", [1, 2, 3, 14], "ecdsa", "CN=DS"),
    "bsi-dataset-2": ("sha256", [1, 2, 3, 4, 14], "rsassa_pss", "HJP PB DS"),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_sod(name: str) -> None:
    hash_algorithm, groups, scheme, signer = REAL[name]
    folder = shared_data_path("lds", name)
    sod = SODFile.from_bytes((folder / "EF_SOD.bin").read_bytes())

    assert sod.hash_algorithm == hash_algorithm
    assert list(sod.data_group_hashes) == groups
    for number, value in sod.data_group_hashes.items():
        content = (folder / f"Datagroup{number}.bin").read_bytes()
        assert hashlib.new(hash_algorithm, content).digest() == value, f"DG{number}"
    assert sod.message_digest == content_digest(sod)
    assert sod.signed_content_type == LDS_SECURITY_OBJECT_OID
    assert sod.signature_algorithm.signature_algo == scheme
    assert sod.signer_certificate is not None
    assert signer.split("=")[-1] in sod.signer_certificate.subject.human_friendly
    verify_signature(sod)


def test_textbook_ecdsa_rejects_a_wrong_message() -> None:
    sod = SODFile.from_bytes(shared_data_path("lds", "bsi2008", "EF_SOD.bin").read_bytes())
    assert sod.signer_certificate is not None
    point = explicit_brainpool_p224r1_point(sod.signer_certificate)
    assert point is not None
    right = hashlib.sha1(sod.signature_input).digest()
    ecdsa_verify_p224r1(point, sod.signature, right)
    with pytest.raises(InvalidSignature):
        ecdsa_verify_p224r1(point, sod.signature, hashlib.sha1(right).digest())


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_sod_data_groups_detect_a_change(name: str) -> None:
    folder = shared_data_path("lds", name)
    sod = SODFile.from_bytes((folder / "EF_SOD.bin").read_bytes())
    content = bytearray((folder / "Datagroup1.bin").read_bytes())
    content[-1] ^= 1
    assert hashlib.new(sod.hash_algorithm, content).digest() != sod.data_group_hashes[1]


# -- indefinite-length BER (a documented real-world quirk) ------------------------------------


def sod_sources() -> list[tuple[str, Callable[[], bytes]]]:
    def real(name: str) -> Callable[[], bytes]:
        return lambda: shared_data_path("lds", name, "EF_SOD.bin").read_bytes()

    return [
        ("bsi2008", real("bsi2008")),
        ("bsi-dataset-2", real("bsi-dataset-2")),
        ("built-rsa", lambda: build("rsa")),
        ("built-ecdsa", lambda: build("ecdsa")),
    ]


@pytest.mark.parametrize(("name", "source"), sod_sources(), ids=[n for n, _ in sod_sources()])
def test_indefinite_length_ber_parses(name: str, source: Callable[[], bytes]) -> None:
    der = source()
    ber = indefinite(der)
    assert ber != der
    assert ber[:2] == b"\x77\x80"
    assert b"\x24\x80\x04\x07" in ber  # the eContent really is chunked

    sod, reference = SODFile.from_bytes(ber), SODFile.from_bytes(der)
    assert sod.raw == ber
    assert sod.data_group_hashes == reference.data_group_hashes
    assert sod.encapsulated_content == reference.encapsulated_content
    assert sod.signature_input == reference.signature_input
    assert sod.message_digest == content_digest(sod)
    verify_signature(sod)


# -- malformed input --------------------------------------------------------------------------


def valid() -> bytes:
    return build("ecdsa")


MALFORMED: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "one byte": lambda: b"\x77",
    "garbage": lambda: bytes(range(256)) * 4,
    "zeros": lambda: bytes(100),
    "wrong outer tag": lambda: b"\x60" + valid()[1:],
    "universal sequence": lambda: asn1_parser.parse(valid())[4],
    "primitive 0x57": lambda: b"\x57" + valid()[1:],
    "truncated header": lambda: valid()[:3],
    "truncated half": lambda: valid()[: len(valid()) // 2],
    "truncated by one": lambda: valid()[:-1],
    "trailing data": lambda: valid() + b"\x00",
    "outer length too long": lambda: b"\x77\x84\x7f\xff\xff\xff" + valid()[4:],
    "content not a ContentInfo": lambda: bytes(asn1_parser.emit(1, 1, 23, b"\x02\x01\x00")),
    "not signed data": lambda: bytes(
        asn1_parser.emit(1, 1, 23, cms.ContentInfo({"content_type": "data"}).dump())
    ),
    "wrong eContentType": lambda: mutate(
        valid(), lambda sd: sd["encap_content_info"].__setitem__("content_type", "1.2.3.4")
    ),
    "eContent absent": lambda: mutate(
        valid(), lambda sd: sd["encap_content_info"].__setitem__("content", None)
    ),
    "eContent not an LDSSecurityObject": lambda: with_lds_object(b"\x04\x00"),
    "eContent with trailing data": lambda: with_lds_object(
        LDSSecurityObject(lds_object()).dump() + b"\x00"
    ),
    "no signer info": lambda: mutate(valid(), lambda sd: sd.__setitem__("signer_infos", [])),
    "no signed attributes": lambda: mutate(
        valid(), lambda sd: sd["signer_infos"][0].__setitem__("signed_attrs", None)
    ),
    "no message digest": lambda: mutate(valid(), _drop_attribute("message_digest")),
    "no content type": lambda: mutate(valid(), _drop_attribute("content_type")),
    "two message digests": lambda: mutate(valid(), _double_attribute("message_digest")),
    "lso version 2": lambda: with_lds_object(lds_object(version=2)),
    "lso version -1": lambda: with_lds_object(lds_object(version=-1)),
    "lso v1 without version info": lambda: with_lds_object(lds_object(version=1)),
    "lso v0 with version info": lambda: with_lds_object(
        lds_object(lds_version_info={"lds_version": "0108", "unicode_version": "040000"})
    ),
    "lso md5": lambda: with_lds_object(lds_object(hash_algorithm={"algorithm": "md5"})),
    "lso unknown hash": lambda: with_lds_object(lds_object(hash_algorithm={"algorithm": "1.2.3"})),
    "lso one data group": lambda: with_lds_object(lds_object(data_group_hash_values=_hashes(1))),
    "lso dg 0": lambda: with_lds_object(lds_object(data_group_hash_values=_hashes(0, 1))),
    "lso dg 17": lambda: with_lds_object(lds_object(data_group_hash_values=_hashes(1, 17))),
    "lso duplicate dg": lambda: with_lds_object(lds_object(data_group_hash_values=_hashes(2, 2))),
    "lso 17 hashes": lambda: with_lds_object(
        lds_object(data_group_hash_values=_hashes(*range(1, 17), 1))
    ),
    "lso short hash": lambda: with_lds_object(
        lds_object(data_group_hash_values=_hashes(1, 2, size=20))
    ),
    "deep indefinite nesting": lambda: b"\x77\x80" + b"\x30\x80" * 2000 + b"\x00\x00" * 2001,
}


def _hashes(*numbers: int, size: int = 32) -> list[dict[str, Any]]:
    return [{"data_group_number": n, "data_group_hash_value": bytes(size)} for n in numbers]


def _drop_attribute(name: str) -> Callable[[Any], None]:
    def change(signed_data: Any) -> None:
        signer_info = signed_data["signer_infos"][0]
        kept = [a for a in signer_info["signed_attrs"] if a["type"].native != name]
        signer_info["signed_attrs"] = cms.CMSAttributes(kept)

    return change


def _double_attribute(name: str) -> Callable[[Any], None]:
    def change(signed_data: Any) -> None:
        signer_info = signed_data["signer_infos"][0]
        attributes = list(signer_info["signed_attrs"])
        attributes += [a for a in attributes if a["type"].native == name]
        signer_info["signed_attrs"] = cms.CMSAttributes(attributes)

    return change


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_raises_decode_error(name: str) -> None:
    data = MALFORMED[name]()
    started = time.perf_counter()
    with pytest.raises(DecodeError, match=r"^EF\.SOD: "):
        SODFile.from_bytes(data)
    assert time.perf_counter() - started < 1.0


def test_types_asn1crypto_cannot_make_native_are_a_decode_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # asn1crypto 1.5 raises AttributeError on `.native` of REAL: a REAL as the value of an
    # unknown signed attribute must still come out as DecodeError. REAL is made to lack
    # `.native` here, so that mrtd's handling is tested whether or not the installed
    # asn1crypto has one.
    def no_native(self: core.Real) -> object:
        raise AttributeError(f"'{type(self).__name__}' object has no attribute 'native'")

    monkeypatch.setattr(core.Real, "native", property(no_native), raising=False)
    marker = bytes.fromhex("deadbeeffeedface")

    def add_attribute(signed_data: Any) -> None:
        signer_info = signed_data["signer_infos"][0]
        extra = cms.CMSAttribute({"type": "1.2.3.4", "values": [core.OctetString(marker)]})
        signer_info["signed_attrs"] = cms.CMSAttributes([*signer_info["signed_attrs"], extra])

    placeholder = mutate(valid(), add_attribute)
    assert placeholder.count(b"\x04\x08" + marker) == 1
    with pytest.raises(DecodeError, match=r"unsupported ASN\.1 type"):
        SODFile.from_bytes(placeholder.replace(b"\x04\x08" + marker, b"\x09\x08" + marker))


def test_oversized_input_is_refused_before_parsing() -> None:
    blob = b"\x77\x83\x20\x00\x00" + bytes(2 * 1024 * 1024)
    started = time.perf_counter()
    with pytest.raises(DecodeError, match="allowed"):
        SODFile.from_bytes(blob)
    assert time.perf_counter() - started < 0.05
    assert len(blob) > MAX_SOD_SIZE


def test_non_bytes_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        SODFile.from_bytes("7782")  # type: ignore[arg-type]


def test_decode_error_chains_the_asn1crypto_cause() -> None:
    with pytest.raises(DecodeError) as caught:
        SODFile.from_bytes(valid()[:-1])
    assert caught.value.__cause__ is not None


def test_shared_folder_documents_its_provenance() -> None:
    lds = shared_data_path("lds")
    text = (lds.parent / "PROVENANCE.md").read_text()
    for folder in REAL:
        assert f"lds/{folder}/" in text
        assert Path(lds / folder / "EF_SOD.bin").is_file()
