"""Completing 61xx answers with GET RESPONSE (ISO/IEC 7816-3 §12.2.1, 7816-4 §5.3.4): the
transport's job, shared by the PC/SC reader and the simulated one. Bounded in rounds and size,
since a hostile chip can answer 61xx forever."""

from __future__ import annotations

from collections.abc import Callable

from mrtd.errors import TransportError

__all__ = ["MAX_GET_RESPONSES", "MAX_RESPONSE_BYTES", "get_responses"]

GET_RESPONSE_INS = 0xC0
SW1_MORE_DATA = 0x61
MAX_GET_RESPONSES = 256  # 256 x 256 bytes: more than any extended answer
MAX_RESPONSE_BYTES = 0x10000 + 2


def get_responses(send: Callable[[bytes], bytes], apdu: bytes) -> bytes:
    """Send `apdu`; while the card answers 61xx, fetch the rest with GET RESPONSE.

    Returns the data of all answers joined, with the last status word. Bounded in the number
    of rounds and the total size, since a hostile chip could answer 61xx forever."""
    answer = send(apdu)
    if len(answer) < 2:
        raise TransportError(f"answer of {len(answer)} bytes has no status word")
    data = bytearray(answer[:-2])
    rounds = 0
    while answer[-2] == SW1_MORE_DATA:
        rounds += 1
        if rounds > MAX_GET_RESPONSES or len(data) > MAX_RESPONSE_BYTES:
            raise TransportError("the card keeps answering 61xx: response too long")
        channel = apdu[0] & 0x03  # GET RESPONSE on the same basic logical channel
        answer = send(bytes((channel, GET_RESPONSE_INS, 0x00, 0x00, answer[-1])))
        if len(answer) < 2:
            raise TransportError(f"answer of {len(answer)} bytes has no status word")
        data += answer[:-2]
    return bytes(data) + answer[-2:]
