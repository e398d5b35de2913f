"""Property tests for EF.SOD: damaged input only ever raises DecodeError; build -> parse."""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mrtd.errors import DecodeError
from mrtd.lds.sod import HASH_ALGORITHMS, SODFile, build_sod
from mrtd.sim.pki import KINDS, Kind, TestPKI
from tests.shared_data import shared_data_file, shared_data_path

PKI = TestPKI()


def _built(kind: Kind) -> bytes:
    key, certificate = PKI.document_signer(kind)
    groups = {1: b"\x61\x00", 2: b"\x75\x00", 15: b"\x6f\x00"}
    return build_sod(groups, signer_key=key, signer_cert=certificate, lds_version="0108")


REAL = ("bsi2008", "bsi-dataset-2")  # the BSI SODs of the shared data, when it is present


FOUND = [shared_data_file("lds", name, "EF_SOD.bin") for name in REAL]
VALID = [*(path.read_bytes() for path in FOUND if path), _built("rsa"), _built("ecdsa")]
valid_sods = st.sampled_from(VALID)


def test_the_real_sods_are_among_the_samples() -> None:
    for name in REAL:
        assert shared_data_path("lds", name, "EF_SOD.bin").read_bytes() in VALID


def parses_or_decode_error(data: bytes) -> SODFile | None:
    """Anything but a SODFile or DecodeError fails the test; a SODFile must be usable."""
    try:
        sod = SODFile.from_bytes(data)
    except DecodeError:
        return None
    # Everything was parsed in from_bytes: the accessors must not raise now.
    _ = (sod.signature_input, sod.message_digest, sod.signed_content_type, sod.signing_time)
    _ = (sod.encapsulated_content, sod.digest_algorithm, sod.signature, repr(sod))
    _ = sod.signature_algorithm.native
    return sod


@given(valid_sods, st.data())
def test_truncation_is_a_decode_error(sod: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(sod) - 1))
    assert parses_or_decode_error(sod[:cut]) is None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(valid_sods, st.data())
def test_bit_flips_raise_only_decode_error(sod: bytes, data: st.DataObject) -> None:
    damaged = bytearray(sod)
    for position in data.draw(st.lists(st.integers(0, len(sod) - 1), min_size=1, max_size=4)):
        damaged[position] ^= 1 << data.draw(st.integers(0, 7))
    parses_or_decode_error(bytes(damaged))


@settings(max_examples=200)
@given(valid_sods, st.data())
def test_splices_raise_only_decode_error(sod: bytes, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(sod)))
    end = data.draw(st.integers(start, min(len(sod), start + 64)))
    insert = data.draw(st.binary(max_size=64))
    parses_or_decode_error(sod[:start] + insert + sod[end:])


@given(st.binary(max_size=512))
def test_random_bytes_raise_only_decode_error(blob: bytes) -> None:
    parses_or_decode_error(blob)


@given(st.binary(max_size=512))
def test_random_bytes_in_an_sod_envelope_raise_only_decode_error(blob: bytes) -> None:
    length = len(blob)
    header = bytes([0x77, 0x82, length >> 8, length & 0xFF])
    parses_or_decode_error(header + blob)


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(st.integers(1, 16), st.binary(max_size=300), min_size=2, max_size=16),
    st.sampled_from(sorted(HASH_ALGORITHMS)),
    st.sampled_from(KINDS),
)
def test_build_then_parse(groups: dict[int, bytes], hash_algorithm: str, kind: Kind) -> None:
    key, certificate = PKI.document_signer(kind)
    raw = build_sod(groups, signer_key=key, signer_cert=certificate, hash_algorithm=hash_algorithm)
    sod = SODFile.from_bytes(raw)
    assert sod.hash_algorithm == hash_algorithm
    assert dict(sod.data_group_hashes) == {
        n: hashlib.new(hash_algorithm, content).digest() for n, content in groups.items()
    }
    assert sod.message_digest == hashlib.new(hash_algorithm, sod.encapsulated_content).digest()
