"""Property tests for SecurityInfos: generated sets round-trip through every file form, and
damaged or arbitrary bytes only ever give DecodeError or SecurityInfos of the known kinds."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from mrtd import tlv
from mrtd.crypto.domains import CURVES, DH_GROUPS, DHGroup, Domain, ECCurve
from mrtd.crypto.kdf import Cipher
from mrtd.crypto.spki import DomainEncoding, check_encodable
from mrtd.der import decode_oid, encode_oid
from mrtd.errors import DecodeError
from mrtd.lds.security.infos import (
    ActiveAuthenticationInfo,
    ChipAuthenticationDomainParameterInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    KeyAgreement,
    Mapping,
    PACEDomainParameterInfo,
    PACEInfo,
    SecurityInfo,
    SecurityInfos,
    UnknownSecurityInfo,
)
from mrtd.lds.security.oids import AA_OID, CA_BY_OID, PACE_BY_OID, PACE_DOMAIN_BY_OID, PK_BY_OID
from tests.conftest import VECTORS
from tests.shared_data import shared_data_file, shared_data_path

KNOWN_OIDS = {*PACE_BY_OID, *PACE_DOMAIN_BY_OID, *CA_BY_OID, *PK_BY_OID, AA_OID}
KINDS = (
    PACEInfo,
    PACEDomainParameterInfo,
    ChipAuthenticationInfo,
    ChipAuthenticationDomainParameterInfo,
    ChipAuthenticationPublicKeyInfo,
    ActiveAuthenticationInfo,
    UnknownSecurityInfo,
)


def _unnamed_curve() -> ECCurve:
    c = CURVES[5]
    a = c.a + 1
    return ECCurve("explicit", "", c.p, a, (c.gy**2 - c.gx**3 - a * c.gx) % c.p, c.gx, c.gy, c.n)


def _unnamed_group() -> DHGroup:
    g = DH_GROUPS[0]
    return DHGroup("explicit", g.p, pow(g.g, 3, g.p), g.q)


DOMAINS: list[Domain] = [*CURVES, *DH_GROUPS, _unnamed_curve(), _unnamed_group()]
small = st.integers(0, (1 << 63) - 1)
optional_small = st.none() | small
arcs = st.integers(0, 1 << 40)
oids = st.builds(
    lambda first, second, rest: ".".join(map(str, (first, second, *rest))),
    st.integers(0, 2),
    st.integers(0, 39),
    st.lists(arcs, max_size=8),
)
ciphers = st.sampled_from(Cipher)


@st.composite
def domains(draw: st.DrawFn) -> tuple[Domain, DomainEncoding]:
    domain = draw(st.sampled_from(DOMAINS))
    encodings = []
    for encoding in DomainEncoding:
        try:
            check_encodable(domain, encoding)
        except ValueError:
            continue
        encodings.append(encoding)
    return domain, draw(st.sampled_from(encodings))


@st.composite
def public_keys(draw: st.DrawFn, domain: Domain) -> bytes:
    if isinstance(domain, ECCurve):
        if draw(st.booleans()):
            return b"\x04" + draw(st.binary(min_size=2 * domain.size, max_size=2 * domain.size))
        prefix = draw(st.sampled_from([b"\x02", b"\x03"]))
        return prefix + draw(st.binary(min_size=domain.size, max_size=domain.size))
    return draw(st.integers(2, domain.p - 2)).to_bytes(domain.size, "big")


@st.composite
def pace_infos(draw: st.DrawFn) -> PACEInfo:
    mapping = draw(st.sampled_from(Mapping))
    key_agreement = (
        KeyAgreement.ECDH if mapping is Mapping.CAM else draw(st.sampled_from(KeyAgreement))
    )
    cipher = draw(ciphers.filter(lambda c: mapping is not Mapping.CAM or c is not Cipher.DES3))
    return PACEInfo.build(mapping, key_agreement, cipher, draw(optional_small), draw(small))


@st.composite
def pace_domain_infos(draw: st.DrawFn) -> PACEDomainParameterInfo:
    domain, encoding = draw(domains())
    mappings = [Mapping.GM, Mapping.IM] + ([Mapping.CAM] if isinstance(domain, ECCurve) else [])
    mapping = draw(st.sampled_from(mappings))
    return PACEDomainParameterInfo.build(mapping, domain, draw(optional_small), encoding)


@st.composite
def ca_key_infos(draw: st.DrawFn) -> ChipAuthenticationPublicKeyInfo:
    domain, encoding = draw(domains())
    key = draw(public_keys(domain))
    return ChipAuthenticationPublicKeyInfo.build(domain, key, draw(optional_small), encoding)


@st.composite
def ca_domain_infos(draw: st.DrawFn) -> ChipAuthenticationDomainParameterInfo:
    domain, encoding = draw(domains())
    return ChipAuthenticationDomainParameterInfo.build(domain, draw(optional_small), encoding)


@st.composite
def unknown_infos(draw: st.DrawFn) -> UnknownSecurityInfo:
    oid = draw(oids.filter(lambda o: o not in KNOWN_OIDS))
    content = draw(st.lists(st.binary(max_size=40), max_size=3))
    raw = tlv.encode(
        0x30, tlv.encode(0x06, encode_oid(oid)) + b"".join(tlv.encode(0x04, c) for c in content)
    )
    return UnknownSecurityInfo(oid, raw)


security_info: st.SearchStrategy[SecurityInfo] = st.one_of(
    pace_infos(),
    pace_domain_infos(),
    st.builds(
        ChipAuthenticationInfo.build,
        st.sampled_from(KeyAgreement),
        st.none() | ciphers,
        optional_small,
        small,
    ),
    ca_domain_infos(),
    ca_key_infos(),
    st.builds(ActiveAuthenticationInfo.build, oids, small),
    unknown_infos(),
)
security_infos = st.builds(SecurityInfos, st.lists(security_info, max_size=6).map(tuple))


@given(security_infos)
def test_round_trip(infos: SecurityInfos) -> None:
    assert SecurityInfos.from_bytes(infos.to_bytes()) == infos
    assert SecurityInfos.from_dg14(infos.to_dg14()) == infos
    ordered = infos.sorted()
    assert ordered.sorted() == ordered
    assert SecurityInfos.from_bytes(ordered.to_bytes()) == ordered
    assert [i.to_bytes() for i in ordered.infos] == sorted(i.to_bytes() for i in infos.infos)


@given(oids)
def test_oid_round_trip(oid: str) -> None:
    assert decode_oid(encode_oid(oid)) == oid


def _parses_or_decode_error(data: bytes) -> None:
    for reader in (SecurityInfos.from_bytes, SecurityInfos.from_dg14):
        try:
            infos = reader(data)
        except DecodeError:
            continue
        assert all(isinstance(info, KINDS) for info in infos.infos)
        infos.to_bytes()  # whatever parsed can be written again


@given(st.binary(max_size=400))
def test_arbitrary_bytes(data: bytes) -> None:
    _parses_or_decode_error(data)
    _parses_or_decode_error(tlv.encode(0x31, data))
    with contextlib.suppress(DecodeError):
        SecurityInfos.from_card_security(data)


primitive_values = st.one_of(
    st.builds(
        lambda n: tlv.encode(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True)),
        st.integers(-(1 << 70), 1 << 70),
    ),
    st.builds(lambda b: tlv.encode(0x04, b), st.binary(max_size=70)),
    st.builds(lambda b: tlv.encode(0x03, b), st.binary(max_size=70)),
    st.builds(
        lambda o: tlv.encode(0x06, encode_oid(o)), oids | st.sampled_from(sorted(KNOWN_OIDS))
    ),
    st.just(b"\x05\x00"),
)
der_values = st.recursive(
    primitive_values,
    lambda children: st.lists(children, max_size=6).map(lambda c: tlv.encode(0x30, b"".join(c))),
    max_leaves=12,
)


@given(
    st.lists(st.binary(max_size=60) | st.lists(der_values, max_size=4).map(b"".join), max_size=5)
)
def test_arbitrary_elements(contents: list[bytes]) -> None:
    """Known OIDs followed by junk or by well-formed DER of the wrong shape reach the readers."""
    known = sorted(KNOWN_OIDS)
    elements = [
        tlv.encode(0x30, tlv.encode(0x06, encode_oid(known[i % len(known)])) + content)
        for i, content in enumerate(contents)
    ]
    _parses_or_decode_error(tlv.encode(0x31, b"".join(elements)))


BSI_DG14 = ("lds", "bsi2008", "Datagroup14.bin")  # shared data, when present
REAL = [
    bytes.fromhex(VECTORS["bsi_eac_worked_example.ecdh"]["ef_cardaccess"]),
    bytes.fromhex(VECTORS["bsi_eac_worked_example.dh"]["ef_cardaccess"]),
    tlv.decode_one(
        bytes.fromhex(VECTORS["ca.real_trace_ecdh_brainpoolP256r1_aes128"]["dg14"])
    ).value,
    *(tlv.decode_one(path.read_bytes()).value for path in [shared_data_file(*BSI_DG14)] if path),
]


def test_the_bsi_dg14_is_among_the_real_files() -> None:
    assert tlv.decode_one(shared_data_path(*BSI_DG14).read_bytes()).value in REAL


@given(st.sampled_from(REAL), st.data())
def test_damaged_real_files(original: bytes, data: st.DataObject) -> None:
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(damaged) - 1))
        action = data.draw(st.sampled_from(["set", "insert", "delete"]))
        if action == "set":
            damaged[position] = data.draw(st.integers(0, 255))
        elif action == "insert":
            damaged.insert(position, data.draw(st.integers(0, 255)))
        elif len(damaged) > 1:
            del damaged[position]
    _parses_or_decode_error(bytes(damaged))
