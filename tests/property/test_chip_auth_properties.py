"""Hostile bytes on both sides of Chip Authentication: the terminal ends with a result or
`ChipAuthError`, never another exception; the simulated chip answers only with status words;
any chip key and any terminal key agree on one channel."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mrtd import tlv
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.errors import ChipAuthError
from mrtd.lds.security.infos import (
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    SecurityInfos,
)
from mrtd.sim.chip_auth_chip import ChipChipAuthentication
from mrtd.sm import SecureChannel
from mrtd.verify.chip_auth import chip_authentication, choose_chip_authentication, set_at

CHIPS = [
    ChipChipAuthentication.from_spec(spec, b"property")
    for spec in ("ecdh-brainpoolP256r1-aes128", "ecdh-P-256-3des", "dh-1024-aes256")
]
Pair = tuple[ChipAuthenticationInfo, ChipAuthenticationPublicKeyInfo]


def advertised(chip: ChipChipAuthentication) -> Pair:
    """What a terminal picks from the chip's DG14."""
    dg14 = SecurityInfos(chip.security_infos()).to_dg14()
    pair = choose_chip_authentication(SecurityInfos.from_dg14(dg14))
    assert pair is not None
    return pair


PAIRS = [advertised(chip) for chip in CHIPS]
status_words = st.one_of(st.just(0x9000), st.integers(0, 0xFFFF))
objects = st.lists(
    st.tuples(st.sampled_from([0x80, 0x81, 0x82, 0x84, 0x91, 0x7C]), st.binary(max_size=80)),
    max_size=4,
)
data = st.one_of(
    st.binary(max_size=120),
    objects.map(lambda objs: tlv.encode(0x7C, b"".join(tlv.encode(t, v) for t, v in objs))),
)
answers = st.builds(ResponseAPDU, data, status_words)
HEADERS = [(0x22, 0x41, 0xA4), (0x22, 0x41, 0xA6), (0x22, 0xC1, 0xA4), (0x86, 0x00, 0x00)]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PAIRS), st.lists(answers, min_size=2, max_size=2))
def test_terminal_ends_with_a_result_or_chip_auth_error(
    pair: Pair, replies: list[ResponseAPDU]
) -> None:
    protocol = chip_authentication(*pair)
    next(protocol)
    consumed = []
    try:
        for reply in replies:
            consumed.append(reply)
            protocol.send(reply)
    except StopIteration:
        assert all(reply.ok for reply in consumed)
    except ChipAuthError:
        pass
    else:
        raise AssertionError("Chip Authentication wanted more than two answers")


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(CHIPS),
    st.lists(
        st.tuples(
            st.sampled_from(HEADERS),
            st.sampled_from([0x00, 0x10]),
            data,
        ),
        max_size=5,
    ),
)
def test_chip_answers_garbage_with_status_words(
    chip: ChipChipAuthentication, commands: list[tuple[tuple[int, int, int], int, bytes]]
) -> None:
    chip.reset()
    assert chip.mse(set_at(chip.info.oid, None)).ok  # so GENERAL AUTHENTICATE gets parsed
    for (ins, p1, p2), cla, body in commands:
        command = CommandAPDU(cla, ins, p1, p2, body, 256 if ins == 0x86 else None)
        handler = chip.mse if ins == 0x22 else chip.general_authenticate
        answer = handler(command)
        assert answer.ok or not answer.data
    chip.take_new_channel()


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=1, max_size=16), st.integers(1, (1 << 256) - 1))
def test_any_keys_agree(seed: bytes, terminal_private: int) -> None:
    chip = ChipChipAuthentication.from_spec("ecdh-brainpoolP256r1-aes128", seed)
    order = chip.domain.n  # type: ignore[union-attr]
    protocol = chip_authentication(
        *advertised(chip), ephemeral_private=terminal_private % (order - 1) + 1
    )
    set_at = next(protocol)
    general_authenticate = protocol.send(chip.mse(set_at))
    try:
        protocol.send(chip.general_authenticate(general_authenticate))
    except StopIteration as done:
        terminal: SecureChannel = done.value.channel
    chip_channel = chip.take_new_channel()
    assert chip_channel is not None
    assert (terminal.k_enc, terminal.k_mac) == (chip_channel.k_enc, chip_channel.k_mac)
