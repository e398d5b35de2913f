"""Fuzz the BER-TLV decoder (mrtd.tlv): every entry point, and a re-encoding round trip.

The first byte picks the limits (nesting depth, indefinite lengths) and one object or a
sequence; the rest is the data, decoded, then read as a tag list (as in EF.COM). Whatever
decodes must re-encode to bytes that decode to the same objects.
"""

from __future__ import annotations

from harness import InvariantBrokenError, fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__"):
    from mrtd import tlv


def check_tlv(data: bytes) -> None:
    if not data:
        return
    options, body = data[0], data[1:]
    allow_indefinite = bool(options & 0x80)
    max_depth = 1 + (options & 0x3F) % tlv.HARD_MAX_DEPTH
    tlv.header(body)
    if options & 0x40:
        objects = [tlv.decode_one(body, max_depth=max_depth, allow_indefinite=allow_indefinite)]
    else:
        objects = tlv.decode(body, max_depth=max_depth, allow_indefinite=allow_indefinite)
    for top in objects:
        for node in top.walk():
            _check_round_trip(node)
            if node.constructed:
                node.find(node.tag)
    tlv.decode_tags(body)


def _check_round_trip(node: tlv.TLV) -> None:
    """Definite, minimal re-encoding keeps tag, value and form (X.690 §8.1)."""
    again = tlv.decode_one(
        node.encode(), max_depth=tlv.HARD_MAX_DEPTH, allow_indefinite=node.indefinite_length
    )
    if (again.tag, again.value, again.constructed) != (node.tag, node.value, node.constructed):
        raise InvariantBrokenError(f"{node!r} re-encodes as {again!r}")
    if again.non_minimal_length or again.indefinite_length:
        raise InvariantBrokenError(f"{node!r} re-encodes with a non-minimal length")


test_one_input = rejecting(check_tlv)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=4096, dictionary="asn1")
