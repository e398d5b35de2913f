"""`mrtd demo`: the path a read takes, on a fictitious document.

Today it shows the MRZ stage (parse, validate, repair an OCR misread, derive the access key);
the chip stages join as they are built.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TextIO

from mrtd.access_key import MRZKey
from mrtd.bac import derive_bac_keys
from mrtd.crypto import backend
from mrtd.mrz import MRZFormat, generate_mrz, parse_mrz, repair_mrz
from mrtd.mrz.summary import print_mrz

# A fictitious, unexpired passport of ICAO's specimen state Utopia.
DEMO_DOCUMENT = {
    "document_code": "P",
    "issuing_state": "UTO",
    "surname": "Østergård-Lind",
    "given_names": "Amélie Noor",
    "document_number": "C01X0T47B",
    "nationality": "UTO",
    "birth_date": date(1991, 3, 15),
    "sex": "F",
    "expiry_date": date(2034, 11, 30),
    "optional_data": "ZU91837",
}
MISREADS = {"0": "O", "1": "I", "8": "B", "5": "S"}


def run_demo(out: TextIO, *, as_json: bool = False) -> int:
    text = generate_mrz(MRZFormat.TD3, **DEMO_DOCUMENT)  # type: ignore[arg-type]
    mrz = parse_mrz(text)
    scanned = _misread(text)
    repaired = repair_mrz(scanned)
    key = MRZKey.from_mrz(mrz)
    keys = derive_bac_keys(key)
    ok = repaired.mrz.lines == mrz.lines and len(keys.enc) == len(keys.mac) == 16
    if as_json:
        report = {
            "mrz": mrz.to_dict(),
            "ocr_repair": {
                "status": str(repaired.status),
                "repairs": [str(r) for r in repaired.repairs],
                "matches_original": repaired.mrz.lines == mrz.lines,
            },
            "access": {"protocol": "BAC", "keys_derived": True, "crypto_backend": backend()},
        }
        print(json.dumps(report, indent=2), file=out)
        return 0 if ok else 1

    print("mrtd demo: a fictitious passport (ICAO specimen state Utopia)\n", file=out)
    print("1. The MRZ as printed on the data page:", file=out)
    for line in mrz.lines:
        print(f"     {line}", file=out)
    print("\n2. Parsed and validated:", file=out)
    print_mrz(mrz, out)
    print("\n3. The same MRZ as a camera misread it, then repaired:", file=out)
    for line in scanned.splitlines():
        print(f"     {line}", file=out)
    print(f"   repair: {repaired.status}", file=out)
    for repair in repaired.repairs:
        print(f"     {repair}", file=out)
    same = "identical to" if repaired.mrz.lines == mrz.lines else "DIFFERENT from"
    print(f"   the repaired MRZ is {same} the printed one", file=out)
    print("\n4. Access key for the chip (ICAO 9303-11 §9.7.1):", file=out)
    print("     from the document number and the dates of birth and expiry", file=out)
    print(f"     BAC K_enc and K_mac derived: 2 x {len(keys.enc)} bytes <redacted>", file=out)
    print(f"     crypto core: {backend()}", file=out)
    print("\nNot yet built: BAC with the chip, secure messaging, reading the files.", file=out)
    return 0 if ok else 1


def _misread(text: str) -> str:
    """Misread digits as look-alike letters where the grammar makes it detectable."""
    line1, line2 = text.splitlines()
    chars = list(line2)
    # Column 2 is in the document number, where letters are legal too: only its check digit
    # (confirmed by the composite) can show the misread. The others are inside the dates.
    for column in (1, 13, 15, 22, 24):
        chars[column] = MISREADS.get(chars[column], chars[column])
    return line1 + "\n" + "".join(chars)
