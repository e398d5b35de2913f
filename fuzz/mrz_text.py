"""Fuzz MRZ text: parsing (strict and lenient), OCR-confusion repair, the JSON shape, and the
BAC/PACE key a valid MRZ gives.

First byte: bit 0 strict, bits 1-2 how the text is handed over (bytes, str, a list of lines,
one str without newlines). The rest is the text (ISO 8859-1 when a str is needed).
"""

from __future__ import annotations

from datetime import date

from harness import fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__"):
    from mrtd.access.keys import MRZKey
    from mrtd.mrz import parse_mrz, repair_mrz
    from mrtd.mrz.text import MRZInput

TODAY = date(2026, 11, 21)


def check_mrz_text(data: bytes) -> None:
    if not data:
        return
    options, body = data[0], data[1:]
    text = body.decode("latin-1")
    forms: tuple[MRZInput, ...] = (body, text, text.split("\n"), text.replace("\n", ""))
    value = forms[options >> 1 & 0x03]
    repair_mrz(value, today=TODAY).mrz.to_dict()
    mrz = parse_mrz(value, strict=bool(options & 1), today=TODAY)
    mrz.to_dict()
    if mrz.valid:
        MRZKey.from_mrz(mrz).key_seed  # noqa: B018 - derived on access


test_one_input = rejecting(check_mrz_text)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=512, dictionary="mrz")
