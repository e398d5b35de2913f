"""What the service's tests upload: simulated chips read as a phone would read them, with
Active Authentication over the service's challenge, and the trust material that verifies them."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from mrtd.access.keys import MRZKey
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.trust import TrustStore

AA_RSA = {"aa": "rsa-1024-sha256"}
AA_ECDSA = {"aa": "ecdsa-brainpoolP256r1-sha256"}
CA_ONLY = {"ca": "ecdh-brainpoolP256r1-aes128"}
NO_KEYS: dict[str, str] = {}


@cache
def profile(**chip: str) -> Profile:
    return Profile.from_dict({"chip": dict(chip)})


def read(
    chip: Mapping[str, str], challenge: bytes | None = None, *, clone: bool = False
) -> Document:
    """The chip of profile `chip` read with AA over `challenge` (a random one without)."""
    settings: dict[str, object] = {"chip": dict(chip)}
    if clone:
        settings["faults"] = {"clone": True}
    chosen = Profile.from_dict(settings)
    reader = SimulatedReader(SimulatedChip(chosen))
    return read_document(reader, MRZKey.from_mrz(chosen.mrz), active_challenge=challenge)


def upload(
    document: Document,
    challenge_id: str | None = None,
    *,
    signature: bytes | None = None,
    leave_out: tuple[str, ...] = (),
    subject: str | None = "customer-4711",
) -> dict[str, object]:
    """mrtd's upload format for `document`: its files and, with `challenge_id`, AA's signature."""
    body: dict[str, object] = {
        "format": "mrtd-upload/1",
        "files": {
            name: base64.b64encode(data).decode()
            for name, data in document.files.items()
            if name not in leave_out
        },
    }
    signed = signature if signature is not None else document.active_signature
    if challenge_id is not None and signed is not None:
        body["active_authentication"] = {
            "challenge_id": challenge_id,
            "signature": base64.b64encode(signed).decode(),
        }
    if subject is not None:
        body["subject"] = subject
    return body


@cache
def trust() -> TrustStore:
    """The test CSCAs with a current CRL each (mrtd's own test PKI, allowed on purpose)."""
    store = TrustStore(allow_test_pki=True)
    store.add_bytes(TestPKI().csca_pem(), "test CSCAs")
    return store


def export_trust(folder: Path) -> Path:
    return TestPKI().export_csca(folder / "csca.pem")


def personal_values(document: Document) -> list[str]:
    """What must never be stored or logged: DG1's names, number-adjacent dates, the MRZ."""
    mrz = document.mrz
    assert mrz is not None
    values = [mrz.surname, mrz.given_names, mrz.birth_date_text, *mrz.lines]
    return [v for v in values if len(v) >= 4]
