"""Write fixtures/uploads/: uploads of each format mrtd reads (docs/verify.md, "Verifying an
upload"), made from mrtd's simulated chip and its test PKI, never copied from elsewhere.

    .venv/bin/python tools/make_upload_fixtures.py [OUT_DIR]

Each chip is read through `read_document` with a fixed Active Authentication challenge, so
the files are exactly what a phone would have read and the signature is the chip's own. The
RSA keys are made afresh in every run (the simulator's rule), so a new run writes new files
and signatures that verify as the old ones did. Fixed challenges (PROVENANCE.md):

- CHALLENGE, 8 bytes, for every single signature;
- ZEROPASS_CHALLENGE, 32 bytes, signed in four 8-byte chunks as ZeroPass Port does.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from mrtd import MRZKey, read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile

CHALLENGE = bytes.fromhex("4d52544420414121")  # "MRTD AA!"
ZEROPASS_CHALLENGE = bytes(range(0x20, 0x40))
CHALLENGE_ID = "fixture-challenge-1"
SUBJECT = "fixture-subject-1"
ROOT = Path(__file__).resolve().parents[1]

CHIPS = {  # name -> [chip] settings: what each fixture's document carries
    "aa-rsa": {"aa": "rsa-2048-sha256"},
    "aa-ecdsa": {"aa": "ecdsa-brainpoolP256r1-sha256"},
    "aa-ecdsa-ca": {"aa": "ecdsa-brainpoolP256r1-sha256", "ca": "ecdh-brainpoolP256r1-aes128"},
    "ca": {"ca": "ecdh-brainpoolP256r1-aes128"},
    "no-key": {},
}


def read_chip(settings: dict[str, str]) -> tuple[SimulatedChip, dict[str, bytes], bytes | None]:
    """The chip, the files read from it and its signature over CHALLENGE (None: no DG15)."""
    profile = Profile.from_dict({"chip": {"data_groups": [1, 2], "extended_length": True,
                                          **settings}})  # fmt: skip
    chip = SimulatedChip(profile)
    with MRZKey.from_mrz(profile.mrz) as key:
        document = read_document(SimulatedReader(chip), key, active_challenge=CHALLENGE)
    return chip, dict(document.files), document.active_signature


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def mrtd_upload(files: dict[str, bytes], signature: bytes | None) -> dict[str, object]:
    body: dict[str, object] = {
        "format": "mrtd-upload/1",
        "files": {name: b64(data) for name, data in files.items()},
    }
    if signature is not None:
        body["active_authentication"] = {
            "challenge_id": CHALLENGE_ID,
            "challenge": b64(CHALLENGE),
            "signature": b64(signature),
        }
    body["subject"] = SUBJECT
    return body


def nfcpassportreader_upload(files: dict[str, bytes], signature: bytes | None) -> dict[str, str]:
    names = {"EF.COM": "COM", "EF.SOD": "SOD"}
    body = {names.get(name, name): b64(data) for name, data in files.items()}
    if signature is not None:
        body |= {"AAChallenge": b64(CHALLENGE), "AASignature": b64(signature)}
    return body


def jmrtd_upload(files: dict[str, bytes]) -> dict[str, str]:
    names = {"EF.COM": "com", "EF.SOD": "sod"}
    return {names.get(name, name.lower()): data.hex() for name, data in files.items()}


def zeropass_upload(chip: SimulatedChip, files: dict[str, bytes]) -> dict[str, object]:
    active = chip.keys.active
    assert active is not None
    chunks = [ZEROPASS_CHALLENGE[i : i + 8] for i in range(0, len(ZEROPASS_CHALLENGE), 8)]
    body: dict[str, object] = {
        "uid": b64(b"fixture-user-000001!"),
        "sod": b64(files["EF.SOD"]),
        "dg15": b64(files["DG15"]),
        "cid": "1a2b3c4d",
        "csigs": [b64(active.sign(chunk)) for chunk in chunks],
    }
    if "DG14" in files:
        body["dg14"] = b64(files["DG14"])
    return body


def build() -> dict[str, bytes]:
    """File name -> content of every fixture."""
    out: dict[str, bytes] = {}

    def put(name: str, body: object) -> None:
        out[name] = (json.dumps(body, indent=1) + "\n").encode()

    for name, settings in CHIPS.items():
        chip, files, signature = read_chip(settings)
        put(f"mrtd-{name}.json", mrtd_upload(files, signature))
        if name == "aa-rsa":
            put("jmrtd-aa-rsa.json", jmrtd_upload(files))
            out["jmrtd-aa-rsa.signature.bin"] = signature or b""
            put("zeropass-aa-rsa.json", zeropass_upload(chip, files))
        if name == "aa-ecdsa-ca":
            put("nfcpassportreader-aa-ecdsa-ca.json", nfcpassportreader_upload(files, signature))
            put("zeropass-aa-ecdsa-ca.json", zeropass_upload(chip, files))
    return out


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else ROOT / "fixtures" / "uploads"
    target.mkdir(parents=True, exist_ok=True)
    for name, content in build().items():
        (target / name).write_bytes(content)
        print(f"{target / name} ({len(content)} B)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
