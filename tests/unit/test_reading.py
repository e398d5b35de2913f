"""The file-reading generator against scripted chip answers (sans I/O)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mrtd import tlv
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.errors import CardStatusError, DecodeError
from mrtd.pipeline.read_binary import (
    ChunkPolicy,
    FileAccessDeniedError,
    FileNotFoundOnChipError,
    read_file,
)

FILE = tlv.encode(0x6B, bytes(range(250)) * 2)  # 504 bytes


def serve(
    policy: ChunkPolicy, answers: Iterator[ResponseAPDU | None]
) -> tuple[bytes, list[CommandAPDU]]:
    """Run read_file; `None` in answers means 'answer from FILE honestly'."""
    sent: list[CommandAPDU] = []
    reader = read_file(0x010B, 0x0B, policy)
    command = next(reader)
    try:
        while True:
            sent.append(command)
            answer = next(answers)
            if answer is None:
                offset = 0 if command.p1 & 0x80 else (command.p1 << 8) | command.p2
                answer = ResponseAPDU(FILE[offset : offset + (command.ne or 256)], 0x9000)
            command = reader.send(answer)
    except StopIteration as done:
        return done.value, sent


def honest() -> Iterator[None]:
    while True:
        yield None


def test_sfi_first_read_then_offsets_in_the_largest_chunks() -> None:
    data, sent = serve(ChunkPolicy(short_max=231), honest())
    assert data == FILE
    assert [(c.p1, c.p2, c.ne) for c in sent] == [(0x8B, 0, 231), (0, 231, 231), (1, 206, 42)]


def test_6cxx_gives_the_le_and_is_remembered() -> None:
    def answers() -> Iterator[ResponseAPDU | None]:
        yield ResponseAPDU(b"", 0x6CE0)
        while True:
            yield None

    policy = ChunkPolicy(short_max=231)
    data, sent = serve(policy, answers())
    assert data == FILE
    assert [c.ne for c in sent] == [231, 0xE0, 0xE0, 504 - 2 * 0xE0]


def test_6700_drops_extended_length_then_shrinks() -> None:
    def answers() -> Iterator[ResponseAPDU | None]:
        yield ResponseAPDU(b"", 0x6700)
        yield ResponseAPDU(b"", 0x6700)
        while True:
            yield None

    policy = ChunkPolicy(short_max=231, extended_max=0xFF00)
    data, sent = serve(policy, answers())
    assert data == FILE
    assert [c.ne for c in sent[:3]] == [0xFF00, 231, 115]
    assert policy.extended_max == 0


def test_shorter_answers_set_the_chunk() -> None:
    def answers() -> Iterator[ResponseAPDU]:
        offset = 0
        while True:
            chunk = FILE[offset : offset + 100]
            offset += len(chunk)
            yield ResponseAPDU(chunk, 0x9000)

    policy = ChunkPolicy(short_max=231)
    data, sent = serve(policy, answers())
    assert data == FILE
    assert policy.learned == 100
    assert [c.ne for c in sent] == [231, 100, 100, 100, 100, 4]


def test_file_shorter_than_its_header() -> None:
    def answers() -> Iterator[ResponseAPDU]:
        yield ResponseAPDU(FILE[:100], 0x6282)

    with pytest.raises(DecodeError, match="shorter than the length in its header"):
        serve(ChunkPolicy(short_max=231), answers())

    def beyond() -> Iterator[ResponseAPDU]:
        yield ResponseAPDU(FILE[:231], 0x9000)
        yield ResponseAPDU(b"", 0x6B00)

    with pytest.raises(DecodeError, match="shorter than the length in its header"):
        serve(ChunkPolicy(short_max=231), beyond())


@pytest.mark.parametrize(
    ("sw", "error"),
    [(0x6982, FileAccessDeniedError), (0x6A82, FileNotFoundOnChipError), (0x6A86, CardStatusError)],
)
def test_refusals(sw: int, error: type[Exception]) -> None:
    def answers() -> Iterator[ResponseAPDU]:
        yield ResponseAPDU(b"", sw)

    with pytest.raises(error):
        serve(ChunkPolicy(short_max=231), answers())


def test_retries_are_bounded() -> None:
    def answers() -> Iterator[ResponseAPDU]:
        while True:
            yield ResponseAPDU(b"", 0x6C10)

    with pytest.raises(CardStatusError):
        serve(ChunkPolicy(short_max=231), answers())
