"""Malformed EF.SOD, by hand and by hypothesis: every cut, flipped byte, lying length, deep
nesting and unterminated indefinite length makes SODFile.from_bytes raise DecodeError, and
nothing else (no RecursionError, MemoryError, or asn1crypto's ValueError), quickly.

Mutations are structure-aware where it matters: a SOD is split into its TLV tree, one node is
changed, and every enclosing length is recomputed, so the damage reaches deep into the CMS, the
certificate and the LDSSecurityObject instead of failing at the outer header.

The samples: the two real BSI SODs (shared data; skipped without it) and SODs made here in
their image (ECDSA with SHA-1 like bsi2008's, RSASSA-PSS with SHA-256 like bsi-dataset-2's),
plus one whose certificate has explicit brainpool parameters.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import pytest
from asn1crypto import parser as asn1_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrtd.errors import DecodeError
from mrtd.lds.sod import MAX_SOD_SIZE, SODFile, build_sod
from mrtd.sim.pki import TestPKI
from mrtd.sim.pki_builder import generate_pki
from tests.shared_data import shared_data_file, shared_data_path

DEEP = 10_000
SECONDS = 2.0  # far above any real parse (about 1 ms): only a hang or a blow-up exceeds it


def _explicit_sod() -> bytes:
    pki = generate_pki(
        csca_key="ec-brainpoolP384r1", ds_key="ec-brainpoolP256r1", explicit_parameters=True
    )
    groups = {1: b"\x61\x03\x5f\x1f\x00", 2: b"\x75\x02\x7f\x61", 14: b"\x6e\x00"}
    return build_sod(groups, signer_key=pki.ds.key, signer_cert=pki.ds.certificate)


def _built_sod(kind: str, scheme: str, hash_algorithm: str) -> bytes:
    key, certificate = TestPKI().document_signer(kind)  # type: ignore[arg-type]
    groups = {1: b"\x61\x03\x5f\x1f\x00", 2: b"\x75\x02\x7f\x61", 3: b"\x63\x00", 14: b"\x6e\x00"}
    return build_sod(
        groups,
        signer_key=key,
        signer_cert=certificate,
        hash_algorithm=hash_algorithm,
        signature_algorithm=scheme,
    )


REAL = ("bsi2008", "bsi-dataset-2")  # shared data: lds/<name>/EF_SOD.bin
BUILT: dict[str, Callable[[], bytes]] = {
    "built-sha1": lambda: _built_sod("ecdsa", "ecdsa", "sha1"),  # like bsi2008
    "built-pss": lambda: _built_sod("rsa", "rsassa_pss", "sha256"),  # like bsi-dataset-2
    "explicit-brainpool": _explicit_sod,
}
SHA1_SAMPLES = ["bsi2008", "built-sha1"]
PSS_SAMPLES = ["bsi-dataset-2", "built-pss"]


@cache
def sample(name: str) -> bytes:
    """A sample SOD by name: a real one skips the test (or fails it) without the shared data."""
    if name in BUILT:
        return BUILT[name]()
    return shared_data_path("lds", name, "EF_SOD.bin").read_bytes()


def available_samples() -> list[str]:
    """The samples hypothesis draws from: the built ones, and the real ones when present."""
    real = [name for name in REAL if shared_data_file("lds", name, "EF_SOD.bin")]
    return sorted([*real, *BUILT])


def parses_or_decode_error(data: bytes) -> SODFile | None:
    """A SODFile (whose accessors then work) or DecodeError, within SECONDS; nothing else."""
    started = time.perf_counter()
    try:
        sod = SODFile.from_bytes(data)
    except DecodeError:
        sod = None
    assert time.perf_counter() - started < SECONDS
    if sod is not None:
        _ = (sod.signature_input, sod.message_digest, sod.signed_content_type, sod.signing_time)
        _ = (sod.encapsulated_content, sod.digest_algorithm, sod.signature, repr(sod))
    return sod


def decode_error(data: bytes) -> DecodeError:
    started = time.perf_counter()
    with pytest.raises(DecodeError, match=r"^EF\.SOD: ") as caught:
        SODFile.from_bytes(data)
    assert time.perf_counter() - started < SECONDS
    return caught.value


# -- a DER tree, to damage one node and re-encode the rest --------------------------------------


@dataclass
class Node:
    identifier: bytes  # tag bytes; b"" marks raw bytes taken as they are
    content: bytes | list[Node]  # primitive octets, or children of a constructed value
    declared: bytes | None = None  # a length field to write instead of the true one

    def inner(self) -> bytes:
        if isinstance(self.content, bytes):
            return self.content
        return b"".join(child.encode() for child in self.content)

    def encode(self) -> bytes:
        inner = self.inner()
        if not self.identifier:
            return inner
        declared = length(len(inner)) if self.declared is None else self.declared
        return self.identifier + declared + inner


def raw_node(data: bytes) -> Node:
    return Node(b"", data)


def length(size: int) -> bytes:
    if size < 0x80:
        return bytes((size,))
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(octets),)) + octets


def tree(data: bytes) -> list[Node]:
    nodes: list[Node] = []
    while data:
        class_, method, tag, header, contents, trailer = asn1_parser.parse(data)
        identifier = bytes(asn1_parser.emit(class_, method, tag, b""))[:-1]
        nodes.append(Node(identifier, tree(contents) if method == 1 else contents))
        data = data[len(header) + len(contents) + len(trailer) :]
    return nodes


def walk(nodes: list[Node]) -> Iterator[Node]:
    for node in nodes:
        yield node
        if isinstance(node.content, list):
            yield from walk(node.content)


def damaged(name: str, index: int, change: Callable[[Node], None]) -> bytes:
    """sample(name) with its `index`th node (pre-order) changed, lengths recomputed."""
    (root,) = tree(sample(name))
    change(list(walk([root]))[index])
    return root.encode()


@cache
def node_count(name: str) -> int:
    return len(list(walk(tree(sample(name)))))


@pytest.mark.parametrize("name", sorted([*REAL, *BUILT]))
def test_samples_are_der_and_parse(name: str) -> None:
    raw = sample(name)
    (root,) = tree(raw)
    assert root.encode() == raw
    assert parses_or_decode_error(raw) is not None


# -- by hand ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted([*REAL, *BUILT]))
def test_every_truncation(name: str) -> None:
    raw = sample(name)
    body = asn1_parser.parse(raw)[4]
    for cut in range(len(raw)):
        decode_error(raw[:cut])
    for cut in range(len(body)):  # the 0x77 length fits the cut: the damage is inside
        decode_error(bytes(asn1_parser.emit(1, 1, 23, body[:cut])))


@pytest.mark.parametrize("name", SHA1_SAMPLES)
def test_every_byte_flipped(name: str) -> None:
    raw = sample(name)
    for at in range(len(raw)):
        changed = bytearray(raw)
        changed[at] ^= 0xFF
        parses_or_decode_error(bytes(changed))


LIES: dict[str, Callable[[int], bytes]] = {
    "one more": lambda size: length(size + 1),
    "one less": lambda size: length(max(size - 1, 0)) if size else b"\x01",
    "zero": lambda size: b"\x00" if size else b"\x01",
    "4 GiB": lambda size: b"\x84\xff\xff\xff\xff",
    "one more in 8 octets": lambda size: b"\x88" + (size + 1).to_bytes(8, "big"),
    "reserved 0xFF": lambda size: b"\xff",
    "indefinite, never ended": lambda size: b"\x80",
}


@pytest.mark.parametrize("lie", sorted(LIES))
@pytest.mark.parametrize("name", [*PSS_SAMPLES, "explicit-brainpool"])
def test_every_length_lying(name: str, lie: str) -> None:
    """Each node in turn declares a false length (or an indefinite one that never ends); its
    parents keep their true lengths."""
    (root,) = tree(sample(name))
    for node in walk([root]):
        node.declared = LIES[lie](len(node.inner()))
        lying = root.encode()
        node.declared = None
        if node is root or lie in ("4 GiB", "reserved 0xFF"):
            decode_error(lying)
        else:
            parses_or_decode_error(lying)


@pytest.mark.parametrize("name", PSS_SAMPLES)
def test_a_4_gib_length_allocates_nothing_big(name: str) -> None:
    raw = sample(name)
    tracemalloc.start()
    try:
        decode_error(b"\x77\x84\xff\xff\xff\xff" + raw[4:])
        decode_error(raw[:4] + b"\x30\x84\xff\xff\xff\xf0" + raw[8:])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_SOD_SIZE


def nested(depth: int, identifier: bytes = b"\x30", leaf: bytes = b"\x05\x00") -> bytes:
    """`depth` definite-length values, each the only content of the one outside it."""
    headers: list[bytes] = []
    size = len(leaf)
    for _ in range(depth):  # from the inside out
        header = identifier + length(size)
        headers.append(header)
        size += len(header)
    return b"".join(reversed(headers)) + leaf


def indefinite(depth: int, identifier: bytes = b"\x30", *, ended: bool = True) -> bytes:
    end = b"\x00\x00" * depth if ended else b""
    return identifier[:1] + b"\x80" + (identifier + b"\x80") * (depth - 1) + b"\x05\x00" + end


def sod_with(body: bytes) -> bytes:
    return bytes(asn1_parser.emit(1, 1, 23, body))


def replaced(name: str, path: tuple[int, ...], content: bytes | list[Node]) -> bytes:
    """sample(name) with the node at `path` (child indexes from the root) given `content`."""
    (root,) = tree(sample(name))
    node = root
    for index in path:
        assert isinstance(node.content, list)
        node = node.content[index]
    node.content = content
    return root.encode()


def appended(name: str, path: tuple[int, ...], extra: bytes) -> bytes:
    """sample(name) with the raw TLV `extra` added after the children of the node at `path`."""
    (root,) = tree(sample(name))
    node = root
    for index in path:
        assert isinstance(node.content, list)
        node = node.content[index]
    assert isinstance(node.content, list)
    node.content.append(raw_node(extra))
    return root.encode()


# Paths into a SOD: 0x77 > ContentInfo > [0] > SignedData > fields.
CONTENT_INFO, SIGNED_DATA = (0,), (0, 1, 0)
ENCAP_CONTENT = (0, 1, 0, 2, 1)  # EncapsulatedContentInfo > [0] eContent
SIGNER_INFO = (0, 1, 0, 4, 0)
# Each case gets the names of a SHA-1 and an RSASSA-PSS sample: the real pair, or the built one.
DeepCase = Callable[[str, str], bytes]
DEEP_CASES: dict[str, DeepCase] = {
    "sequences as the whole body": lambda sha1, pss: sod_with(nested(DEEP)),
    "sets as the whole body": lambda sha1, pss: sod_with(nested(DEEP, b"\x31")),
    "context tags as the whole body": lambda sha1, pss: sod_with(nested(DEEP, b"\xa0")),
    "application 0x77 in 0x77": lambda sha1, pss: nested(DEEP, b"\x77"),
    "indefinite sequences, ended": lambda sha1, pss: sod_with(indefinite(DEEP)),
    "indefinite sequences, never ended": lambda sha1, pss: (
        b"\x77\x80" + indefinite(DEEP, ended=False)
    ),
    "indefinite 0x77, never ended": lambda sha1, pss: b"\x77\x80" * DEEP,
    "as the ContentInfo content": lambda sha1, pss: replaced(
        sha1, (*CONTENT_INFO, 1), [raw_node(nested(DEEP))]
    ),
    "as the eContent, constructed octet strings": lambda sha1, pss: replaced(
        sha1, ENCAP_CONTENT, [raw_node(nested(DEEP, b"\x24", b"\x04\x00"))]
    ),
    "as the eContent, indefinite octet strings": lambda sha1, pss: replaced(
        sha1, ENCAP_CONTENT, [raw_node(indefinite(DEEP, b"\x24"))]
    ),
    "as a signed attribute value": lambda sha1, pss: appended(
        pss,
        (*SIGNER_INFO, 3),
        b"\x30" + length(len(_attribute(nested(DEEP)))) + _attribute(nested(DEEP)),
    ),
    "as an unsigned attribute value": lambda sha1, pss: appended(
        pss,
        SIGNER_INFO,
        b"\xa1" + length(len(_unsigned(nested(DEEP)))) + _unsigned(nested(DEEP)),
    ),
    "as a certificate": lambda sha1, pss: appended(
        "explicit-brainpool", (*SIGNED_DATA, 3), nested(DEEP)
    ),
    "as the LDSSecurityObject": lambda sha1, pss: replaced(
        "explicit-brainpool",
        ENCAP_CONTENT,
        [raw_node(b"\x04" + length(len(nested(DEEP))) + nested(DEEP))],
    ),
}
ON_SAMPLES = {  # the cases that damage the SHA-1 or PSS sample: run on the real and the built
    "as the ContentInfo content",
    "as the eContent, constructed octet strings",
    "as the eContent, indefinite octet strings",
    "as a signed attribute value",
    "as an unsigned attribute value",
}
DEEP_PARAMS = [
    pytest.param(name, *pair, id=name if pair[0] in REAL else f"{name} (built)")
    for name in sorted(DEEP_CASES)
    for pair in zip(SHA1_SAMPLES, PSS_SAMPLES, strict=True)
    if name in ON_SAMPLES or pair[0] in REAL
]


def _attribute(value: bytes) -> bytes:
    """Attribute { 1.2.3.4, SET { value } } without its outer SEQUENCE header."""
    values = b"\x31" + length(len(value)) + value
    return b"\x06\x03\x2a\x03\x04" + values


def _unsigned(value: bytes) -> bytes:
    attribute = _attribute(value)
    return b"\x30" + length(len(attribute)) + attribute


@pytest.mark.parametrize(("name", "sha1", "pss"), DEEP_PARAMS)
def test_deep_nesting(name: str, sha1: str, pss: str) -> None:
    data = DEEP_CASES[name](sha1, pss)
    assert len(data) <= MAX_SOD_SIZE
    decode_error(data)


def unsigned_attribute_nested(name: str, depth: int) -> bytes:
    """A PSS sample with an unsigned attribute whose value nests `depth` SEQUENCEs."""
    attribute = _unsigned(nested(depth))
    return appended(name, SIGNER_INFO, b"\xa1" + length(len(attribute)) + attribute)


@pytest.mark.parametrize(("pss", "sha1"), list(zip(PSS_SAMPLES, SHA1_SAMPLES, strict=True)))
def test_nesting_depth_is_bounded_before_asn1crypto_recurses(pss: str, sha1: str) -> None:
    # 0x77, ContentInfo, [0], SignedData, SET, SignerInfo, [1], Attribute, SET: the value
    # starts at level 10, so 9 + 23 = 32 levels is the deepest accepted. Deeper fails the same
    # way whatever the caller's stack depth (asn1crypto alone would parse until Python's
    # recursion limit, which depends on it).
    assert parses_or_decode_error(unsigned_attribute_nested(pss, 23)) is not None
    for depth in (24, 200, 900, 5_000, DEEP):
        error = decode_error(unsigned_attribute_nested(pss, depth))
        assert "nested more than 32" in str(error)
    assert SODFile.from_bytes(sample(sha1)).hash_algorithm == "sha1"


# -- hypothesis ---------------------------------------------------------------------------------

samples = st.sampled_from(available_samples())
# INTEGER, OCTET STRING, NULL, OID, PrintableString, UTCTime; constructed OCTET STRING,
# SEQUENCE, SET, [0], [1], and EF.SOD's own 0x77.
IDENTIFIERS = [
    bytes((tag,))
    for tag in (0x02, 0x04, 0x05, 0x06, 0x13, 0x17, 0x24, 0x30, 0x31, 0xA0, 0xA1, 0x77)
]


@st.composite
def tlv_trees(draw: st.DrawFn, depth: int = 4) -> bytes:
    """Random BER: primitive or constructed, definite or indefinite, sometimes lying."""
    identifier = draw(st.sampled_from(IDENTIFIERS))
    if identifier[0] & 0x20 and depth > 0:
        inner = b"".join(draw(st.lists(tlv_trees(depth - 1), max_size=4)))
    else:
        inner = draw(st.binary(max_size=24))
    form = draw(st.sampled_from(["definite", "definite", "indefinite", "lying"]))
    if form == "indefinite" and identifier[0] & 0x20:
        return identifier + b"\x80" + inner + draw(st.sampled_from([b"\x00\x00", b""]))
    if form == "lying":
        return identifier + length(draw(st.integers(0, 1 << 20))) + inner
    return identifier + length(len(inner)) + inner


@settings(max_examples=200, deadline=None)
@given(tlv_trees())
def test_random_ber_in_an_sod_envelope(blob: bytes) -> None:
    parses_or_decode_error(sod_with(blob))
    parses_or_decode_error(blob)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples, st.data())
def test_one_node_replaced_by_random_ber(name: str, data: st.DataObject) -> None:
    index = data.draw(st.integers(1, node_count(name) - 1))
    blob = data.draw(tlv_trees(depth=3))

    def change(node: Node) -> None:
        node.content = blob if isinstance(node.content, bytes) else [raw_node(blob)]

    parses_or_decode_error(damaged(name, index, change))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples, st.data())
def test_one_node_retagged_or_refilled(name: str, data: st.DataObject) -> None:
    """One node gets another tag, or random content of its own kind, lengths kept true."""
    index = data.draw(st.integers(1, node_count(name) - 1))
    identifier = data.draw(st.binary(min_size=1, max_size=2))
    filler = data.draw(st.binary(max_size=40))

    def change(node: Node) -> None:
        if data.draw(st.booleans()):
            node.identifier = identifier
        elif isinstance(node.content, bytes):
            node.content = filler
        else:
            node.content = node.content[: data.draw(st.integers(0, len(node.content)))]

    parses_or_decode_error(damaged(name, index, change))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples, st.data())
def test_one_node_duplicated_or_dropped(name: str, data: st.DataObject) -> None:
    raw = sample(name)
    (root,) = tree(raw)
    parents = [n for n in walk([root]) if isinstance(n.content, list) and n.content]
    parent = data.draw(st.sampled_from(parents))
    assert isinstance(parent.content, list)
    at = data.draw(st.integers(0, len(parent.content) - 1))
    if data.draw(st.booleans()):
        parent.content.insert(at, parent.content[at])
    else:
        del parent.content[at]
    parses_or_decode_error(root.encode())
