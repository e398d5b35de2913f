"""Latin names to MRZ characters (ICAO 9303-3 §6, Table "Transliteration of Latin characters")."""

from __future__ import annotations

import unicodedata

from mrtd.errors import MRZError

# Characters whose 9303 transliteration is not "drop the diacritic".
_SPECIAL = {
    "Ä": "AE", "Å": "AA", "Æ": "AE", "Ö": "OE", "Ø": "OE", "Œ": "OE", "Ü": "UE",
    "ß": "SS", "ẞ": "SS", "Þ": "TH", "Ĳ": "IJ", "Đ": "D", "Ð": "D", "Ħ": "H",
    "Ł": "L", "Ŧ": "T", "\u0131": "I", "Ŋ": "N", "Ŀ": "L",
}  # fmt: skip
_SEPARATORS = " -\u2010\u2011\u2013"  # space and hyphens become '<'
_DROPPED = "'\u2019,."  # apostrophes and punctuation vanish


def to_mrz_name(text: str) -> str:
    """Upper-case MRZ characters for a name component; raise for scripts 9303-3 does not map."""
    out: list[str] = []
    for ch in text.upper():
        if "A" <= ch <= "Z":
            out.append(ch)
        elif ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _DROPPED:
            continue
        elif ch in _SEPARATORS:
            out.append("<")
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            if not base or not all("A" <= c <= "Z" for c in base):
                raise MRZError("name has a character with no ICAO 9303-3 Latin transliteration")
            out.append(base)
    return "".join(out)
