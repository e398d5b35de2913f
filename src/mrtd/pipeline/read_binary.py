"""Reading one elementary file, sans I/O (ICAO 9303-10 §3, ISO 7816-4 READ BINARY).

The generator learns the file's length from its TLV header in the first chunk, reads in the
largest chunks the chip gives, and adapts to what the chip says: a shorter answer sets the
chunk size, 6Cxx gives the right Le, 6700 drops extended length, 6282 / 6B00 mark the end.
The secure channel (and so the SSC) is the session's business: every exchange here is one
command and one response, whatever its status word.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass

from mrtd import tlv
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.errors import CardStatusError, DecodeError

MAX_FILE = 1 << 20  # no LDS file is near 1 MB; a chip claiming more is refused
MAX_RETRIES = 8
# Real chips answer READ BINARY in pieces of 32 bytes or more (most 200+); a chip that drips a
# file out a few bytes at a time (forcing tiny Les with 6700s, or just answering short) would
# take a million APDUs for a 1 MB claim. This many tiny pieces in one file end the read.
TINY_PIECE = 16
MAX_TINY_PIECES = 32
OFFSET_LIMIT_B0 = 0x7FFF  # READ BINARY B0 addresses 15 bits; beyond, odd INS B1 (DO'54')

SW_OK, SW_EOF, SW_WRONG_LENGTH, SW_OFFSET = 0x9000, 0x6282, 0x6700, 0x6B00
SW_DENIED, SW_NOT_FOUND = 0x6982, 0x6A82
# SELECT by file ID asks for no answer data (P2 = 0C, as 9303-10 has it); a chip that refuses
# that P2 (wrong P1-P2, function not supported, Nc or Le inconsistent) is asked again for its
# FCI (P2 = 00) or FCP (P2 = 04), and the P2 it takes is kept for the session (ChunkPolicy).
SELECT_P2 = (0x0C, 0x00, 0x04)
SELECT_P2_REFUSALS = frozenset({0x6A86, 0x6B00, 0x6A81, 0x6A87, 0x6700, 0x6D00})
_log = logging.getLogger(__name__)


class FileAccessDeniedError(CardStatusError):
    """The chip refuses this file (DG3/DG4 need Extended Access Control)."""


class FileNotFoundOnChipError(CardStatusError):
    """The chip has no such file."""


class EmptyFileError(DecodeError):
    """The chip has the file but it holds no bytes: the first READ BINARY gave no data (6282
    or 9000 with nothing, or 6B00 at offset 0). Real chips list such data groups in EF.COM; a
    read records the file as empty and goes on."""


class FileChangedError(DecodeError):
    """The chip gave one file twice in one session, with different bytes.

    A session reads each file once (`mrtd.pipeline.session`); where it must read one again (a
    PACE-CAM chip's EF.CardSecurity after access was opened anew) the bytes must be the ones
    read before, because checks already ran on those: a chip that serves another copy the
    second time (a clone's key first, the genuine file after) ends the read with this error,
    the first copy kept in the partial result."""


@dataclass
class ChunkPolicy:
    """How much to ask for per READ BINARY; shared by all files of one session, because the
    chip's limits are the chip's, not the file's."""

    short_max: int  # the largest Le whose protected answer fits a short APDU
    extended_max: int = 0  # 0: no extended length
    learned: int = 0  # the chip answered this much when asked for more
    select_p2: int = 0x0C  # the P2 of SELECT by file ID the chip takes (SELECT_P2)

    def next_ne(self, remaining: int | None) -> int:
        limit = self.extended_max or self.short_max
        if self.learned:
            limit = min(limit, self.learned)
        return limit if remaining is None else max(1, min(limit, remaining))

    def drop_extended(self) -> bool:
        had = bool(self.extended_max)
        self.extended_max = 0
        return had


Reader = Generator[CommandAPDU, ResponseAPDU, bytes]


def read_file(
    fid: int,
    sfi: int | None,
    policy: ChunkPolicy,
    *,
    progress: Callable[[int, int | None], None] | None = None,
    max_size: int = MAX_FILE,
    into: bytearray | None = None,
) -> Reader:
    """Read a whole EF; returns its bytes. Raises FileAccessDeniedError /
    FileNotFoundOnChipError / EmptyFileError / CardStatusError / DecodeError.

    Verified chunks are appended to `into` as they arrive, so a read cut short (the card left
    the field) can go on later from there: pass the same bytearray again."""
    data = into if into is not None else bytearray()
    total = _file_length(bytes(data), max_size) if data else None
    retries = 0
    ne_override: int | None = None
    tiny = 0
    use_sfi = sfi is not None and not data
    if not use_sfi:
        yield from _select(fid, policy)
    while total is None or len(data) < total:
        offset = len(data)
        remaining = None if total is None else total - offset
        ne = ne_override or policy.next_ne(remaining)
        ne_override = None
        answer = yield _read_command(offset, ne, sfi if use_sfi and offset == 0 else None)
        if answer.sw >> 8 == 0x6C and answer.sw & 0xFF and retries < MAX_RETRIES:
            retries += 1
            ne_override = answer.sw & 0xFF
            policy.learned = min(policy.learned or ne_override, ne_override)
            _log.debug("READ BINARY %04X: chip asks for Le %d", answer.sw, ne_override)
            continue
        if answer.sw == SW_WRONG_LENGTH and retries < MAX_RETRIES:
            retries += 1
            if not policy.drop_extended():
                policy.learned = max(1, min(policy.learned or ne, ne) // 2)
            _log.debug("READ BINARY 6700: chunks of at most %d bytes now", policy.next_ne(None))
            continue
        if answer.sw == SW_OFFSET and (total is not None or offset == 0):
            raise _no_more(offset, total)
        _check_status(answer, "READ BINARY")
        # Bytes past Le were not asked for (ISO/IEC 7816-4 §5.1: at most Ne come back): a chip
        # that sends them anyway does not get them into the file.
        chunk = _payload(answer.data, odd=offset > OFFSET_LIMIT_B0)[:ne]
        if not chunk:
            raise _no_more(offset, None)
        data += chunk
        if total is None:
            total = _file_length(bytes(data), max_size)
        unfinished = len(data) < (total or len(data) + 1)  # the header may be incomplete
        tiny = _tiny_pieces(tiny, chunk, unfinished=unfinished)
        if answer.sw == SW_EOF and len(data) < (total or 0):
            raise DecodeError("file is shorter than the length in its header")
        if answer.sw == SW_OK and len(chunk) < ne and unfinished:
            policy.learned = len(chunk)
        retries = 0
        if progress is not None:
            progress(min(len(data), total or len(data)), total)
    if total is None:
        raise DecodeError("file ended inside its TLV header")
    return bytes(data[:total])


def _select(fid: int, policy: ChunkPolicy) -> Generator[CommandAPDU, ResponseAPDU, None]:
    """SELECT the EF by its file ID with the P2 the chip takes; its FCI or FCP is not used."""
    tried = [policy.select_p2, *(p2 for p2 in SELECT_P2 if p2 != policy.select_p2)]
    for p2 in tried:
        ne = None if p2 == 0x0C else 256
        answer = yield CommandAPDU(0x00, 0xA4, 0x02, p2, fid.to_bytes(2, "big"), ne=ne)
        if answer.sw not in SELECT_P2_REFUSALS or p2 == tried[-1]:
            break
        _log.debug("SELECT %04X with P2 %02X refused (%04X)", fid, p2, answer.sw)
    _check_status(answer, "SELECT")
    if p2 != policy.select_p2:
        _log.info("the chip takes SELECT by file ID with P2 %02X only", p2)
        policy.select_p2 = p2


def _no_more(offset: int, total: int | None) -> DecodeError:
    """The chip gave no data at `offset`: an empty file at 0, else one cut short."""
    if offset == 0:
        return EmptyFileError("the file is empty (0 bytes)")
    if total is not None:
        return DecodeError("file is shorter than the length in its header")
    return DecodeError("chip returned no data before the end of the file")


def _tiny_pieces(count: int, chunk: bytes, *, unfinished: bool) -> int:
    """The count of tiny pieces so far, with this one; DecodeError past MAX_TINY_PIECES."""
    if len(chunk) >= TINY_PIECE or not unfinished:
        return count
    if count >= MAX_TINY_PIECES:
        raise DecodeError(f"chip answers READ BINARY in pieces of fewer than {TINY_PIECE} bytes")
    return count + 1


def _read_command(offset: int, ne: int, sfi: int | None) -> CommandAPDU:
    if sfi is not None:  # the first read selects the file by its short identifier
        return CommandAPDU(0x00, 0xB0, 0x80 | sfi, 0x00, ne=ne)
    if offset <= OFFSET_LIMIT_B0:
        return CommandAPDU(0x00, 0xB0, offset >> 8, offset & 0xFF, ne=ne)
    do54 = tlv.encode(0x54, offset.to_bytes(3 if offset > 0xFFFF else 2, "big"))
    return CommandAPDU(0x00, 0xB1, 0x00, 0x00, do54, ne=ne + 4)  # room for DO'53' header


def _payload(data: bytes, *, odd: bool) -> bytes:
    if not odd:
        return data
    wrapped = tlv.decode_one(data)
    if wrapped.tag != 0x53:
        raise DecodeError("odd-INS READ BINARY answer is not a DO'53'")
    return wrapped.value


def _file_length(prefix: bytes, max_size: int) -> int | None:
    try:
        header = tlv.header(prefix, max_length=max_size)
    except DecodeError as exc:
        raise DecodeError(f"file header refused: {exc}") from None
    if header is None:
        return None
    _, header_length, value_length = header
    total = header_length + value_length
    if total > max_size:
        raise DecodeError(f"chip claims a file of {total} bytes; at most {max_size} accepted")
    return total


def _check_status(answer: ResponseAPDU, step: str) -> None:
    if answer.sw in (SW_OK, SW_EOF):
        return
    if answer.sw == SW_DENIED:
        raise FileAccessDeniedError(answer.sw, step)
    if answer.sw == SW_NOT_FOUND:
        raise FileNotFoundOnChipError(answer.sw, step)
    raise CardStatusError(answer.sw, step)
