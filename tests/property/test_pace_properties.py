"""Hostile bytes on both sides of PACE: the terminal raises only library errors, the simulated
chip answers only with status words."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from mrtd import tlv
from mrtd.access.keys import CANKey
from mrtd.access.pace import pace
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto.domains import STANDARD_DOMAINS
from mrtd.crypto.kdf import Cipher
from mrtd.errors import MRTDError
from mrtd.lds.security.infos import KeyAgreement, Mapping, PACEInfo
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile

KEY = CANKey("123456")
VARIANTS = [
    (PACEInfo.build(Mapping.GM, KeyAgreement.ECDH, Cipher.AES128, 13), 13),
    (PACEInfo.build(Mapping.IM, KeyAgreement.ECDH, Cipher.AES256, 12), 12),
    (PACEInfo.build(Mapping.CAM, KeyAgreement.ECDH, Cipher.AES128, 13), 13),
    (PACEInfo.build(Mapping.GM, KeyAgreement.DH, Cipher.DES3, 0), 0),
]
objects = st.lists(
    st.tuples(st.sampled_from([0x80, 0x81, 0x82, 0x84, 0x86, 0x8A, 0x7C]), st.binary(max_size=80)),
    max_size=4,
)
answers = st.one_of(
    st.binary(max_size=120),
    objects.map(lambda objs: tlv.encode(0x7C, b"".join(tlv.encode(t, v) for t, v in objs))),
).map(lambda data: data + b"\x90\x00")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(VARIANTS), st.lists(answers, min_size=1, max_size=6))
def test_terminal_raises_only_library_errors(
    variant: tuple[PACEInfo, int], replies: list[bytes]
) -> None:
    info, domain_id = variant
    protocol = pace(KEY, info, STANDARD_DOMAINS[domain_id], os.urandom)
    next(protocol)
    try:
        for reply in [b"\x90\x00", *replies]:
            protocol.send(ResponseAPDU.from_bytes(reply))
    except StopIteration:
        raise AssertionError("random answers completed PACE") from None
    except MRTDError:
        pass


GM = {"mapping": "GM", "domain": "brainpoolP256r1", "cipher": "AES-128"}
CHIP = SimulatedChip(Profile.from_dict({"chip": {"access": ["pace"], "can": "123456", "pace": GM}}))
SET_AT = CommandAPDU(0x00, 0x22, 0xC1, 0xA4, bytes.fromhex("800A04007F0007020204020283010284010D"))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0x00, 0x10]), st.binary(max_size=90)), max_size=5))
def test_chip_answers_garbage_with_status_words(steps: list[tuple[int, bytes]]) -> None:
    CHIP.reset()
    assert CHIP.transmit(SET_AT.to_bytes()) == b"\x90\x00"
    for cla, data in steps:
        answer = ResponseAPDU.from_bytes(
            CHIP.transmit(CommandAPDU(cla, 0x86, 0, 0, data, ne=256).to_bytes())
        )
        assert answer.ok or not answer.data
