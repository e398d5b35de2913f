"""Strict, bounded BER-TLV as the LDS uses it (ICAO 9303-10 §4; ISO/IEC 7816-4; X.690 §8.1).

Chips are hostile input, so decoding is iterative (no recursion), linear in the input, bounded
in nesting depth and in every declared length, and checks the whole tree before returning.
Every failure is a `DecodeError` naming the offset and the problem, never the data.

Accepted and flagged: long-form lengths that a shorter form could carry (`81 05`, `82 00 05`;
`TLV.non_minimal_length`). Refused unless the caller opts in: indefinite lengths (`80`, ended
by `00 00`), a known quirk of some SODs. Always refused: tags of more than 3 bytes, tag bytes
`00`/`FF`, length fields of more than 4 bytes, and anything truncated or trailing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from mrtd.errors import DecodeError

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_LENGTH",
    "TLV",
    "decode",
    "decode_one",
    "decode_tags",
    "encode",
    "encode_length",
    "encode_tag",
    "header",
]

DEFAULT_MAX_DEPTH = 16
DEFAULT_MAX_LENGTH = 1 << 24  # 16 MiB: far above any LDS file (DG2 is ~20-100 kB)
HARD_MAX_DEPTH = 64  # ceiling for any caller-chosen max_depth
MAX_TAG_BYTES = 3  # ISO/IEC 7816-4 BER-TLV tags have 1 to 3 bytes
MAX_LENGTH_BYTES = 4  # ISO/IEC 7816-4: a length field is at most 84 + 4 bytes
_INDEFINITE = -1
_EOC = b"\0\0"  # end-of-contents of an indefinite length (X.690 §8.1.5)


@dataclass(frozen=True, slots=True, repr=False)
class TLV:
    """One data object. `value` excludes the header (and, for indefinite length, the `00 00`).

    Its repr shows the tag and size only: values carry personal data (DG1, DG2, DG11...).
    """

    tag: int
    value: bytes
    constructed: bool
    non_minimal_length: bool = False
    indefinite_length: bool = False
    _allow_indefinite: bool = field(default=False, compare=False, kw_only=True)

    def children(self) -> tuple[TLV, ...]:
        """The data objects inside a constructed value (X.690 §8.1.1)."""
        if not self.constructed:
            raise DecodeError(f"tag {self.tag:X} is primitive; it has no children")
        return tuple(
            _decode(
                self.value,
                max_depth=HARD_MAX_DEPTH,
                max_length=len(self.value),
                allow_indefinite=self._allow_indefinite,
            )
        )

    def find(self, tag: int) -> TLV | None:
        """The first direct child with `tag`, or None."""
        return next((child for child in self.children() if child.tag == tag), None)

    def find_all(self, tag: int) -> tuple[TLV, ...]:
        """Every direct child with `tag`, in order."""
        return tuple(child for child in self.children() if child.tag == tag)

    def require(self, tag: int) -> TLV:
        """The first direct child with `tag`; `DecodeError` if there is none."""
        child = self.find(tag)
        if child is None:
            raise DecodeError(f"tag {tag:X} missing inside tag {self.tag:X}")
        return child

    def walk(self) -> Iterator[TLV]:
        """This object and every object nested in it, depth first (no recursion)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if node.constructed:
                stack.extend(reversed(node.children()))

    def encode(self) -> bytes:
        """Tag, minimal length and value (definite length, whatever the input used)."""
        return encode(self.tag, self.value)

    def __repr__(self) -> str:
        kind = "constructed" if self.constructed else "primitive"
        flags = ", non-minimal length" if self.non_minimal_length else ""
        flags += ", indefinite length" if self.indefinite_length else ""
        return f"TLV(tag={self.tag:X}, {kind}, {len(self.value)} bytes{flags})"


class _Header(NamedTuple):
    tag: int
    constructed: bool
    size: int  # bytes of tag + length fields
    length: int  # value length, or _INDEFINITE
    non_minimal: bool


def decode(
    data: bytes,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_length: int = DEFAULT_MAX_LENGTH,
    allow_indefinite: bool = False,
) -> list[TLV]:
    """Decode a sequence of data objects that fills `data` exactly, checking the whole tree.

    `max_depth` bounds nesting (a top-level object has depth 1); `max_length` bounds every
    declared value length. `allow_indefinite` admits BER indefinite lengths (X.690 §8.1.3.6).
    """
    if not 1 <= max_depth <= HARD_MAX_DEPTH:
        raise ValueError(f"max_depth must be 1..{HARD_MAX_DEPTH}")
    return _decode(
        bytes(data), max_depth=max_depth, max_length=max_length, allow_indefinite=allow_indefinite
    )


def decode_one(
    data: bytes,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_length: int = DEFAULT_MAX_LENGTH,
    allow_indefinite: bool = False,
) -> TLV:
    """Decode exactly one data object with nothing after it (an LDS elementary file)."""
    if not data:
        raise DecodeError("no data: expected one TLV")
    if not 1 <= max_depth <= HARD_MAX_DEPTH:
        raise ValueError(f"max_depth must be 1..{HARD_MAX_DEPTH}")
    data = bytes(data)
    try:
        first = header(data, max_length=max_length)
    except DecodeError:
        first = None  # _decode names the problem (or accepts an allowed indefinite length)
    if first is not None and first[1] + first[2] < len(data):
        end = first[1] + first[2]
        raise DecodeError(f"{len(data) - end} trailing byte(s) after the TLV, at offset {end}")
    objects = _decode(
        data, max_depth=max_depth, max_length=max_length, allow_indefinite=allow_indefinite
    )
    if len(objects) != 1:
        raise DecodeError(f"expected one TLV, found {len(objects)}")
    return objects[0]


def header(prefix: bytes, *, max_length: int = DEFAULT_MAX_LENGTH) -> tuple[int, int, int] | None:
    """(tag, header length, value length) from the first bytes of a file, or None if more needed.

    A reader learns a file's size as header length + value length from its first bytes
    (at most 3 tag + 5 length bytes). Indefinite lengths and lengths over `max_length` raise.
    """
    prefix = bytes(prefix)
    try:
        parsed = _read_header(prefix, 0, len(prefix), max_length)
    except _IncompleteError:
        return None
    if parsed.length == _INDEFINITE:
        raise DecodeError("indefinite length at offset 0: the file size is not known")
    return parsed.tag, parsed.size, parsed.length


def decode_tags(data: bytes) -> tuple[int, ...]:
    """The tags of a tag list (ISO/IEC 7816-4 DO'5C', e.g. in EF.COM): tags back to back."""
    data = bytes(data)
    tags: list[int] = []
    pos = 0
    while pos < len(data):
        try:
            tag, _, size = _read_tag(data, pos, len(data))
        except _IncompleteError:
            raise DecodeError(f"truncated tag in tag list at offset {pos}") from None
        tags.append(tag)
        pos += size
    return tuple(tags)


def encode_tag(tag: int) -> bytes:
    """The bytes of `tag` (1 to 3), checking it is a well-formed BER tag."""
    if not 0 < tag < 1 << (8 * MAX_TAG_BYTES):
        raise ValueError(f"tag {tag:#x} out of range")
    raw = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    try:
        parsed_tag, _, size = _read_tag(raw, 0, len(raw))
    except (DecodeError, _IncompleteError):
        raise ValueError(f"{tag:#x} is not a well-formed BER tag") from None
    if size != len(raw) or parsed_tag != tag:
        raise ValueError(f"{tag:#x} is not a well-formed BER tag")
    return raw


def encode_length(n: int) -> bytes:
    """The minimal definite length field for `n` (X.690 §8.1.3.4-5; DER)."""
    if n < 0:
        raise ValueError("length must not be negative")
    if n < 0x80:
        return bytes([n])
    size = (n.bit_length() + 7) // 8
    if size > MAX_LENGTH_BYTES:
        raise ValueError(f"length {n} needs more than {MAX_LENGTH_BYTES} bytes")
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


def encode(tag: int, value: bytes) -> bytes:
    """One data object with a minimal length field."""
    return encode_tag(tag) + encode_length(len(value)) + bytes(value)


# -- decoding ---------------------------------------------------------------------------------


class _IncompleteError(Exception):
    """The header runs past the available bytes (truncated data, or `header` needs more)."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


class _Frame(NamedTuple):
    end: int  # end of the value, or _INDEFINITE until its end-of-contents
    bound: int  # nearest enclosing definite end: nothing may run past it
    top: int  # index of the top-level object it belongs to when depth is 1, else -1


def _decode(data: bytes, *, max_depth: int, max_length: int, allow_indefinite: bool) -> list[TLV]:
    """Walk every header of the tree once, with an explicit stack; return the top level."""
    end = len(data)
    spans: list[tuple[_Header, int, int]] = []  # header, value start, value end
    stack: list[_Frame] = []
    pos = 0
    while True:
        frame = stack[-1] if stack else None
        bound = frame.bound if frame else end
        if frame is not None and frame.end == pos:
            stack.pop()
            continue
        if frame is not None and frame.end == _INDEFINITE and pos < bound and not data[pos]:
            if data[pos : min(pos + 2, bound)] != _EOC:
                raise DecodeError(f"malformed end-of-contents at offset {pos}")
            stack.pop()
            if frame.top >= 0:
                head, start, _ = spans[frame.top]
                spans[frame.top] = (head, start, pos)
            pos += 2
            continue
        if frame is None and pos == end:
            break
        if pos >= bound:
            raise DecodeError(f"end-of-contents missing before offset {pos}")
        try:
            head = _read_header(data, pos, bound, max_length)
        except _IncompleteError:
            raise DecodeError(f"truncated TLV header at offset {pos}") from None
        depth = len(stack) + 1
        if depth > max_depth:
            raise DecodeError(f"nesting deeper than {max_depth} levels at offset {pos}")
        start = pos + head.size
        if head.length == _INDEFINITE:
            if not allow_indefinite:
                raise DecodeError(f"indefinite length at offset {pos} is not allowed here")
            if not head.constructed:
                raise DecodeError(f"indefinite length on primitive tag at offset {pos}")
            value_end = _INDEFINITE
        else:
            value_end = start + head.length
            if value_end > bound:
                raise DecodeError(
                    f"value of {head.length} bytes at offset {start} runs {value_end - bound} "
                    "byte(s) past the end of its container (truncated, or a wrong length)"
                )
        if not stack:
            spans.append((head, start, value_end))
        if head.constructed:
            stack.append(
                _Frame(
                    value_end,
                    bound if value_end == _INDEFINITE else value_end,
                    len(spans) - 1 if not stack else -1,
                )
            )
            pos = start
        else:
            pos = value_end
    return [
        TLV(
            head.tag,
            data[start:stop],
            head.constructed,
            head.non_minimal,
            head.length == _INDEFINITE,
            _allow_indefinite=allow_indefinite,
        )
        for head, start, stop in spans
    ]


def _read_tag(data: bytes, pos: int, bound: int) -> tuple[int, bool, int]:
    """(tag, constructed, size) of the tag at `pos` (X.690 §8.1.2; 7816-4 3-byte limit)."""
    if pos >= bound:
        raise _IncompleteError(pos)
    first = data[pos]
    if first in (0x00, 0xFF):
        raise DecodeError(f"invalid tag byte {first:02X} at offset {pos}")
    tag = first
    size = 1
    if first & 0x1F == 0x1F:
        while True:
            if pos + size >= bound:
                raise _IncompleteError(pos + size)
            byte = data[pos + size]
            if size == 1 and byte == 0x80:
                raise DecodeError(f"tag number with leading zero bits at offset {pos}")
            tag = tag << 8 | byte
            size += 1
            if not byte & 0x80:
                break
            if size == MAX_TAG_BYTES:
                raise DecodeError(f"tag longer than {MAX_TAG_BYTES} bytes at offset {pos}")
    return tag, bool(first & 0x20), size


def _read_header(data: bytes, pos: int, bound: int, max_length: int) -> _Header:
    """Tag and length at `pos`; `_IncompleteError` if they run past `bound`."""
    tag, constructed, tag_size = _read_tag(data, pos, bound)
    at = pos + tag_size
    if at >= bound:
        raise _IncompleteError(at)
    first = data[at]
    if first < 0x80:
        return _Header(tag, constructed, tag_size + 1, _bounded(first, at, max_length), False)
    if first == 0x80:
        return _Header(tag, constructed, tag_size + 1, _INDEFINITE, non_minimal=False)
    count = first & 0x7F
    if count > MAX_LENGTH_BYTES:
        raise DecodeError(
            f"length field of {count} bytes at offset {at} (at most {MAX_LENGTH_BYTES})"
        )
    if at + 1 + count > bound:
        raise _IncompleteError(at + 1 + count)
    length = int.from_bytes(data[at + 1 : at + 1 + count], "big")
    return _Header(
        tag,
        constructed,
        tag_size + 1 + count,
        _bounded(length, at, max_length),
        non_minimal=len(encode_length(length)) != 1 + count,
    )


def _bounded(length: int, at: int, max_length: int) -> int:
    if length > max_length:
        raise DecodeError(f"length {length} at offset {at} exceeds the limit of {max_length} bytes")
    return length
