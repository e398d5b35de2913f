"""Hostile bytes on both sides of Active Authentication: the terminal turns any answer into an
outcome (never an exception, never a pass), the simulated chip answers any command with a
status word, and ISO/IEC 9796-2 representatives round-trip."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import iso9796
from mrtd.crypto.domains import CURVES_BY_NAME
from mrtd.crypto.ec import ECGroup
from mrtd.crypto.spki import DomainEncoding, encode_public_key
from mrtd.errors import DecodeError
from mrtd.lds.dg15 import DG15File, build_dg15
from mrtd.lds.security.kinds import ActiveAuthenticationInfo
from mrtd.sim.active_auth_chip import ChipActiveAuthentication
from mrtd.verify.active import active_authentication, check_active_authentication
from mrtd.verify.outcome import CheckStatus
from tests.shared_data import shared_data_file, shared_data_path

BSI_DG15 = ("lds", "bsi-dataset-2", "Datagroup15.bin")  # RSA-1024 (shared data, when present)
REAL_KEYS = [
    (DG15File.from_bytes(path.read_bytes()), None) for path in [shared_data_file(*BSI_DG15)] if path
]
RSA_CHIP = ChipActiveAuthentication.from_spec("rsa-1024-sha256", b"property")
EC_CHIP = ChipActiveAuthentication.from_spec("ecdsa-P-256-sha256", b"property")
_P224 = CURVES_BY_NAME["brainpoolP224r1"]
EXPLICIT_DG15 = DG15File.from_bytes(
    build_dg15(encode_public_key(_P224, DomainEncoding.EXPLICIT, ECGroup(_P224).mul(12345)))
)
KEYS = [
    *REAL_KEYS,
    (DG15File.from_bytes(RSA_CHIP.dg15()), None),
    (DG15File.from_bytes(EC_CHIP.dg15()), EC_CHIP.security_info()),
    (DG15File.from_bytes(EC_CHIP.dg15()), None),
    (DG15File.from_bytes(EC_CHIP.dg15()), ActiveAuthenticationInfo.build("1.2.840.10045.4.3.2")),
    (EXPLICIT_DG15, ActiveAuthenticationInfo.build("0.4.0.127.0.7.1.1.4.1.2")),
]
keys = st.sampled_from(KEYS)


def test_the_real_key_is_among_the_keys() -> None:
    dg15 = DG15File.from_bytes(shared_data_path(*BSI_DG15).read_bytes())
    assert (dg15, None) in KEYS


signatures = st.one_of(
    st.binary(max_size=600),
    st.sampled_from([56, 64, 128]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
)


@settings(max_examples=300, deadline=None)
@given(keys, st.binary(min_size=8, max_size=8), signatures)
def test_random_signatures_fail(
    key: tuple[DG15File, ActiveAuthenticationInfo | None], challenge: bytes, signature: bytes
) -> None:
    dg15, info = key
    outcome = check_active_authentication(dg15, info, challenge, signature)
    assert outcome.status is CheckStatus.FAILED
    assert outcome.reason == "Active Authentication signature does not verify"


@settings(max_examples=150, deadline=None)
@given(keys, st.binary(max_size=300), st.integers(0, 0xFFFF))
def test_any_answer_is_an_outcome(
    key: tuple[DG15File, ActiveAuthenticationInfo | None], data: bytes, sw: int
) -> None:
    protocol = active_authentication(*key)
    next(protocol)
    with pytest.raises(StopIteration) as done:
        protocol.send(ResponseAPDU(data, sw))
    assert done.value.value.status is CheckStatus.FAILED


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([1024, 1028, 1030, 1536, 1792, 2047, 2048]),
    st.sampled_from(sorted(iso9796.HASH_IDS)),
    st.data(),
    st.binary(max_size=16),
)
def test_iso9796_representatives_round_trip(
    key_bits: int, hash_algorithm: str, data: st.DataObject, m2: bytes
) -> None:
    most = iso9796.recoverable_length(key_bits, hash_algorithm)
    m1 = data.draw(st.binary(max_size=most))
    f = iso9796.message_representative(m1, m2, key_bits, hash_algorithm)
    assert len(f) == (key_bits + 7) // 8
    recovered = iso9796.recover(int.from_bytes(f, "big"), key_bits)
    assert (recovered.m1, recovered.hash_algorithm) == (m1, hash_algorithm)
    assert recovered.matches(m2)


@st.composite
def representatives(draw: st.DrawFn, key_bits: int) -> int:
    """Half framed (header, padding, trailer around random nibbles), half any integer."""
    if draw(st.booleans()):
        return draw(st.integers(0, 1 << (key_bits + 2)))
    pad = draw(st.sampled_from(["a", "ba", "bbba", "b", "", "c"]))
    trailer = draw(st.sampled_from(["bc", "33cc", "34cc", "35cc", "38cc", "39cc", "cc", "c"]))
    off_by = draw(st.sampled_from([0, 0, 0, -2, -1, 1]))
    size = max(0, key_bits // 4 - 1 - len(pad) - len(trailer) + off_by)
    body = draw(st.text("0123456789abcdef", min_size=size, max_size=size))
    return int("6" + pad + body + trailer, 16)


@settings(max_examples=400, deadline=None)
@given(st.data(), st.sampled_from([1024, 1026, 1028, 1200]))
def test_iso9796_recover_raises_only_decode_errors(data: st.DataObject, key_bits: int) -> None:
    representative = data.draw(representatives(key_bits))
    with contextlib.suppress(DecodeError):
        recovered = iso9796.recover(representative, key_bits)
        assert recovered.hash_algorithm in iso9796.HASH_IDS
        assert len(recovered.digest) == len(hashlib.new(recovered.hash_algorithm).digest())


commands = st.builds(
    CommandAPDU,
    st.sampled_from([0x00, 0x0C, 0x80]),
    st.sampled_from([0x88, 0x84, 0xB0]),
    st.sampled_from([0x00, 0x01]),
    st.sampled_from([0x00, 0x80]),
    st.one_of(st.binary(min_size=8, max_size=8), st.binary(max_size=20)),
    st.one_of(st.none(), st.integers(1, 65536)),
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([RSA_CHIP, EC_CHIP]), commands)
def test_chip_answers_any_command_with_a_status_word(
    card: ChipActiveAuthentication, command: CommandAPDU
) -> None:
    answer = card.answer(command)
    assert answer.sw in (0x9000, 0x6700, 0x6A86, 0x6D00)
    if answer.ok:
        assert len(answer.data) == card.signature_size
        dg15 = DG15File.from_bytes(card.dg15())
        outcome = check_active_authentication(dg15, card.security_info(), command.data, answer.data)
        assert outcome.status is CheckStatus.PASSED
    else:
        assert answer.data == b""
