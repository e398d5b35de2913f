"""The APDUs of PACE (9303-11 §4.4.4): MSE:Set AT and the chained GENERAL AUTHENTICATE steps.

GENERAL AUTHENTICATE carries Dynamic Authentication Data, tag 7C, whose context tags are:
80 encrypted nonce, 81/82 mapping data (terminal/chip), 83/84 ephemeral public keys, 85/86
authentication tokens, 8A encrypted chip authentication data (CAM).
"""

from __future__ import annotations

from mrtd import tlv
from mrtd.apdu import SHORT_MAX_NE, CommandAPDU
from mrtd.der import encode_oid
from mrtd.errors import DecodeError, PACEError

DYNAMIC_AUTHENTICATION_DATA = 0x7C
ENCRYPTED_NONCE, TERMINAL_MAPPING, CHIP_MAPPING = 0x80, 0x81, 0x82
TERMINAL_KEY, CHIP_KEY, TERMINAL_TOKEN, CHIP_TOKEN = 0x83, 0x84, 0x85, 0x86
CHIP_AUTHENTICATION_DATA = 0x8A
CHAINING = 0x10  # CLA bit: more GENERAL AUTHENTICATE commands follow (ISO/IEC 7816-4)
MAX_NONCE = 64  # 9303-11 nonces are 16 or 32 bytes (l = 128 or 256 bits)
MAX_OBJECT = 2048  # a public value of the largest group (DH 2048) plus room; more is hostile


def set_at(oid: str, password: int, parameter_id: int | None) -> CommandAPDU:
    """MSE:Set AT for PACE: mechanism (80), password (83), domain parameter id (84)."""
    data = tlv.encode(0x80, encode_oid(oid)) + tlv.encode(0x83, bytes((password,)))
    if parameter_id is not None:
        data += tlv.encode(0x84, bytes((parameter_id,)))
    return CommandAPDU(0x00, 0x22, 0xC1, 0xA4, data)


def general_authenticate(
    objects: dict[int, bytes], *, last: bool = False, public_size: int = 0
) -> CommandAPDU:
    """One step; `public_size` is the size of the public values the answer may carry: over
    about 250 bytes (DH-2048) the answer needs an extended Le, as the command extended Lc."""
    body = b"".join(tlv.encode(tag, value) for tag, value in objects.items())
    ne = 65536 if public_size + 8 > SHORT_MAX_NE else SHORT_MAX_NE
    return CommandAPDU(0x00 if last else CHAINING, 0x86, 0x00, 0x00, tlv.encode(0x7C, body), ne)


def parse_dynamic_data(data: bytes, step: str) -> dict[int, bytes]:
    """The objects of a 7C template, each tag once, primitive and of bounded size."""
    try:
        outer = tlv.decode_one(data, max_depth=2, max_length=4 * MAX_OBJECT)
        if outer.tag != DYNAMIC_AUTHENTICATION_DATA:
            raise DecodeError("not Dynamic Authentication Data (7C)")
        objects: dict[int, bytes] = {}
        for child in outer.children():
            if child.constructed or child.tag in objects or len(child.value) > MAX_OBJECT:
                raise DecodeError("unexpected data object")
            objects[child.tag] = child.value
    except DecodeError as exc:
        raise PACEError(f"{step}: malformed answer ({exc})") from None
    return objects


def require(objects: dict[int, bytes], tag: int, step: str) -> bytes:
    value = objects.get(tag)
    if not value:
        raise PACEError(f"{step}: the answer lacks data object {tag:02X}")
    return value
