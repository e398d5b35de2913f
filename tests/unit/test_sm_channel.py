"""The secure channel in both roles, and status words the chip sends without SM."""

from __future__ import annotations

import pytest

from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.errors import CardStatusError, MACError, SecureMessagingError
from mrtd.sm import SecureChannel
from mrtd.sm.channel import protected_response_size


def pair(algorithm: SMAlgorithm) -> tuple[SecureChannel, SecureChannel]:
    size = 8 if algorithm is SMAlgorithm.DES3 else 16
    keys = bytes(range(16)), bytes(range(16, 32))
    ssc = bytes(size - 1) + b"\x05"
    return SecureChannel(algorithm, *keys, ssc), SecureChannel(algorithm, *keys, ssc)


@pytest.mark.parametrize("algorithm", list(SMAlgorithm))
@pytest.mark.parametrize("odd", [False, True])
def test_terminal_and_chip_round_trip(algorithm: SMAlgorithm, odd: bool) -> None:
    terminal, chip = pair(algorithm)
    command = CommandAPDU(0x00, 0xB1 if odd else 0xB0, 0x01, 0x02, b"\x54\x01\x00", ne=200)
    received = chip.unprotect_command(terminal.protect(command))
    assert received == command
    answer = terminal.unprotect(chip.protect_response(ResponseAPDU(b"x" * 200, 0x9000), odd=odd))
    assert answer == ResponseAPDU(b"x" * 200, 0x9000)
    assert terminal.ssc == chip.ssc


def test_unprotected_error_means_the_command_was_not_counted() -> None:
    terminal, chip = pair(SMAlgorithm.DES3)
    before = terminal.ssc
    terminal.protect(CommandAPDU(0, 0xB0, 0, 0, ne=300))  # the chip refuses it unread
    with pytest.raises(CardStatusError) as caught:
        terminal.unprotect(ResponseAPDU(b"", 0x6700))
    assert caught.value.sw == 0x6700
    assert terminal.ssc == before == chip.ssc
    # ...and the next exchange is in step.
    chip.unprotect_command(terminal.protect(CommandAPDU(0, 0xB0, 0, 0, ne=4)))
    answer = terminal.unprotect(chip.protect_response(ResponseAPDU(b"abcd", 0x9000)))
    assert answer.data == b"abcd"


@pytest.mark.parametrize("sw", [0x6987, 0x6988])
def test_sm_errors_end_the_session(sw: int) -> None:
    terminal, _ = pair(SMAlgorithm.AES)
    with pytest.raises(SecureMessagingError, match="session ended"):
        terminal.unprotect(ResponseAPDU(b"", sw))


def test_plain_9000_under_sm_is_refused() -> None:
    with pytest.raises(SecureMessagingError, match="without secure messaging"):
        pair(SMAlgorithm.DES3)[0].unprotect(ResponseAPDU(b"", 0x9000))


def test_status_word_outside_must_match_do99() -> None:
    terminal, chip = pair(SMAlgorithm.DES3)
    chip.unprotect_command(terminal.protect(CommandAPDU(0, 0xB0, 0, 0, ne=4)))
    body = chip.protect_response(ResponseAPDU(b"abcd", 0x9000)).data
    with pytest.raises(SecureMessagingError, match="differs from DO'99'"):
        terminal.unprotect(ResponseAPDU(body, 0x6282))


def test_tampered_response_is_a_mac_error() -> None:
    terminal, chip = pair(SMAlgorithm.DES3)
    chip.unprotect_command(terminal.protect(CommandAPDU(0, 0xB0, 0, 0, ne=4)))
    body = bytearray(chip.protect_response(ResponseAPDU(b"abcd", 0x9000)).data)
    body[3] ^= 0x80
    with pytest.raises(MACError):
        terminal.unprotect(ResponseAPDU(bytes(body), 0x9000))


def test_largest_short_le() -> None:
    assert pair(SMAlgorithm.DES3)[0].max_short_ne() == 231
    assert pair(SMAlgorithm.AES)[0].max_short_ne() == 223
    assert protected_response_size(0, 8) == 14
    assert protected_response_size(223, 16) == 4 + 10 + 3 + 1 + 224
    assert "redacted" in repr(pair(SMAlgorithm.AES)[0])
