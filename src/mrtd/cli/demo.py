"""`mrtd demo`: the whole path on the simulated chip, with nothing on the desk.

It starts from a photo of a fictitious passport's data page (`sim/data/demo-page.jpg`,
rendered by `tools/make_demo_page.py`: skewed, in perspective, unevenly lit): OCR finds and
reads the MRZ, which gives the access key; the simulated chip, a new passport that offers
PACE-CAM and BAC, is opened with PACE (EF.CardAccess chooses it), read under AES secure
messaging (EF.COM, EF.SOD, DG1, DG2 with the face, DG14, DG15), clone detection runs (PACE-CAM,
Active Authentication), and Passive Authentication runs against the simulated state's test
CSCA, trusted explicitly as a terminal would trust its country's master list. Without OpenCV
(the `mrtd[image]` extra) the MRZ is taken as typed, and the demo says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TextIO

from mrtd.access.keys import MRZKey
from mrtd.cli.report import document_json, print_document
from mrtd.crypto import backend
from mrtd.errors import MRZNotFoundError, OptionalDependencyError
from mrtd.mrz import MRZ
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.trust import TrustStore

DEMO_CHIP = {
    "access": ["pace", "bac"],
    "pace": {"mapping": "CAM", "domain": "brainpoolP256r1", "cipher": "AES-128"},
    "aa": "ecdsa-brainpoolP256r1-sha256",
}
DEMO_PAGE = "demo-page.jpg"  # in mrtd.sim's data folder


@dataclass(frozen=True, slots=True)
class Scan:
    """How the demo got its MRZ: read from the photo, or typed when OCR is not installed."""

    mrz: MRZ
    source: str  # "photo" or "typed"
    details: dict[str, Any] = field(default_factory=dict)


def demo_page() -> bytes:
    return resources.files("mrtd.sim").joinpath("data", DEMO_PAGE).read_bytes()


def scan(printed: MRZ) -> Scan:
    """The MRZ read from the demo photo; `printed` (the MRZ as typed) without OpenCV."""
    try:
        from mrtd.mrz.ocr.pipeline import read_mrz_image  # noqa: PLC0415 - needs the image extra

        result = read_mrz_image(demo_page(), tesseract=False)
    except OptionalDependencyError as exc:
        return Scan(printed, "typed", {"why": str(exc)})
    details = {
        "image": DEMO_PAGE,
        "engine": result.engine,
        "confidence": round(result.confidence, 3),
        "milliseconds": round(1000 * result.seconds),
        "repairs": [str(r) for r in result.repairs],
    }
    return Scan(result.mrz, "photo", details)


def run_demo(out: TextIO, *, as_json: bool = False) -> int:
    profile = Profile.from_dict({"chip": DEMO_CHIP}, name="demo")
    printed = profile.mrz
    try:
        scanned = scan(printed)
    except MRZNotFoundError as exc:
        print(f"mrtd demo: the demo photo did not read: {exc}", file=out)
        return 1
    same = scanned.mrz.lines == printed.lines
    key = MRZKey.from_mrz(scanned.mrz)
    chip = SimulatedChip(profile)
    trust = TrustStore(allow_test_pki=True)  # the test CSCA, trusted on purpose here
    trust.add_bytes(TestPKI().all_csca_pem(), source="the test state's CSCA")
    document = read_document(SimulatedReader(chip), key, trust=trust)
    if as_json:
        report = document_json(document, document.stats, chip.modeled_seconds)
        report["demo"] = {
            "mrz_from": scanned.source,
            "ocr": {**scanned.details, "matches_printed_mrz": same},
            "crypto_backend": backend(),
        }
        print(json.dumps(report, indent=2), file=out)
        return 0 if same else 1
    print("mrtd demo: reading a fictitious passport on the simulated chip\n", file=out)
    _print_scan(scanned, same, out)
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


def _print_scan(scanned: Scan, same: bool, out: TextIO) -> None:
    details = scanned.details
    if scanned.source == "typed":
        print(f"1. The MRZ as typed (no OCR here: {details['why']}):", file=out)
    else:
        print(f"1. The data page photo ({details['image']}, taken at an angle) read by OCR "
              f"in {details['milliseconds']} ms, loading its model included (engine "
              f"{details['engine']}, lowest character confidence {details['confidence']}):",
              file=out)  # fmt: skip
    for line in scanned.mrz.lines:
        print(f"     {line}", file=out)
    for repair in details.get("repairs", ()):
        print(f"     {repair}", file=out)
    print(f"   every check digit holds; the MRZ {'matches' if same else 'DIFFERS FROM'} "
          "the printed one", file=out)  # fmt: skip
