"""`mrtd demo`: the whole path on the simulated chip, with nothing on the desk.

A fictitious passport's MRZ is "scanned" with two camera misreads, repaired, turned into the
access key; the simulated chip, a new passport that offers PACE-CAM and BAC, is opened with
PACE (EF.CardAccess chooses it), read under AES secure messaging (EF.COM, EF.SOD, DG1, DG2
with the face, DG14, DG15), clone detection runs (PACE-CAM, Active Authentication), and
Passive Authentication runs against the simulated state's test CSCA,
trusted explicitly as a terminal would trust its country's master list.
"""

from __future__ import annotations

import json
from typing import TextIO

from mrtd.access_key import MRZKey
from mrtd.crypto import backend
from mrtd.mrz import repair_mrz
from mrtd.mrz.repair import DIGIT_AS_LETTER
from mrtd.read import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.report import document_json, print_document
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.trust import TrustStore

DEMO_CHIP = {
    "access": ["pace", "bac"],
    "pace": {"mapping": "CAM", "domain": "brainpoolP256r1", "cipher": "AES-128"},
    "aa": "ecdsa-brainpoolP256r1-sha256",
}


def run_demo(out: TextIO, *, as_json: bool = False) -> int:
    profile = Profile.from_dict({"chip": DEMO_CHIP}, name="demo")
    printed = profile.mrz
    scanned = misread(printed.text)
    repaired = repair_mrz(scanned)
    key = MRZKey.from_mrz(repaired.mrz)
    chip = SimulatedChip(profile)
    trust = TrustStore()
    trust.add_bytes(TestPKI().all_csca_pem(), source="the test state's CSCA")
    document = read_document(SimulatedReader(chip), key, trust=trust)
    same = repaired.mrz.lines == printed.lines
    if as_json:
        report = document_json(document, document.stats, chip.modeled_seconds)
        report["demo"] = {
            "ocr_repair": {
                "status": str(repaired.status),
                "repairs": [str(r) for r in repaired.repairs],
                "matches_printed_mrz": same,
            },
            "crypto_backend": backend(),
        }
        print(json.dumps(report, indent=2), file=out)
        return 0 if same else 1
    print("mrtd demo: reading a fictitious passport on the simulated chip\n", file=out)
    print("1. The MRZ as the camera read it (two look-alike misreads):", file=out)
    for line in scanned.splitlines():
        print(f"     {line}", file=out)
    print(f"   repair: {repaired.status}", file=out)
    for repair in repaired.repairs:
        print(f"     {repair}", file=out)
    print(f"   repaired MRZ {'matches' if same else 'DIFFERS FROM'} the printed one", file=out)
    print("\n2. PACE with the key from the MRZ (the chip's EF.CardAccess offers it), then "
          f"secure messaging (crypto core: {backend()}); the chip's files:\n",
          file=out)  # fmt: skip
    print_document(document, document.stats, chip.modeled_seconds, out)
    print("\nPassive Authentication checked every data group against its hash in EF.SOD, "
          "EF.SOD's Document Signer signature, and the Document Signer's chain to the test "
          "state's CSCA, trusted explicitly here as `mrtd read --csca` trusts a master list. "
          "The chip proved it is no copy twice: PACE-CAM, and an Active Authentication "
          "signature with DG15's key.", file=out)  # fmt: skip
    return 0 if same else 1


def misread(text: str) -> str:
    """Two misreads a camera makes: one in the date of birth (grammar repairs it), one in the
    document number (its check digit, confirmed by the composite, repairs it)."""
    lines = text.splitlines()
    row = list(lines[1])
    for column in (1, 15):
        row[column] = DIGIT_AS_LETTER.get(row[column], row[column])
    lines[1] = "".join(row)
    return "\n".join(lines)
