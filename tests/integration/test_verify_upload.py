"""verify_upload on what the simulated chip gives a phone: its files, read through
read_document, and its Active Authentication signature over the verifier's challenge. AA over
RSA and ECDSA keys, Chip Authentication run by the client never counted, the policy that
requires AA, bytes hashed as sent, and the committed fixtures of every upload format."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path

import pytest

from mrtd import (
    MRZKey,
    Policy,
    TrustStore,
    Upload,
    parse_upload,
    read_document,
    verify_upload,
)
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.policy import ActiveAuthentication, CloneDetection

ROOT = Path(__file__).resolve().parents[2]
UPLOADS = ROOT / "fixtures" / "uploads"
CHALLENGE = bytes.fromhex("0011223344556677")
FIXTURE_CHALLENGE = bytes.fromhex("4d52544420414121")  # fixtures/uploads/PROVENANCE.md
ZEROPASS_CHALLENGE = bytes(range(0x20, 0x40))
RSA, ECDSA = "rsa-2048-sha256", "ecdsa-brainpoolP256r1-sha256"
CA = "ecdh-brainpoolP256r1-aes128"
REQUIRED = Policy(name="service", active_authentication=ActiveAuthentication.REQUIRED)


@cache
def trust() -> TrustStore:
    """The test CSCAs, each with a current CRL: the strict policy can say genuine."""
    store = TrustStore(allow_test_pki=True)
    store.add_bytes(TestPKI().csca_pem())
    return store


@cache
def chip_read(
    aa: str = "none", ca: str = "none", pace: str = ""
) -> tuple[dict[str, bytes], bytes | None]:
    """The files a phone reads from a chip with these keys, and the chip's signature over
    CHALLENGE (None without DG15)."""
    chip: dict[str, object] = {"data_groups": [1, 2], "aa": aa, "ca": ca, "extended_length": True}
    if pace:
        chip |= {"access": ["pace"], "pace": {"mapping": pace}}
    profile = Profile.from_dict({"chip": chip})
    with MRZKey.from_mrz(profile.mrz) as key:
        document = read_document(SimulatedReader(SimulatedChip(profile)), key,
                                 active_challenge=CHALLENGE)  # fmt: skip
    return dict(document.files), document.active_signature


@pytest.mark.parametrize("aa", [RSA, ECDSA])
def test_active_authentication_over_the_verifiers_challenge(aa: str) -> None:
    files, signature = chip_read(aa)
    assert signature is not None
    document = verify_upload(files, challenge=CHALLENGE, signature=signature, trust=trust())
    assert document.verdict.active.code == "active.passed"
    assert document.verdict.chip.code == "chip.no_key"
    assert document.verdict.genuine, document.verdict.reasons
    # the same signature for another challenge: a replay, a clone's answer
    replayed = verify_upload(files, challenge=bytes(8), signature=signature, trust=trust())
    assert replayed.verdict.active.code == "active.failed"
    assert replayed.verdict.failed
    assert "clone.proof_failed" in replayed.verdict.codes


def test_the_upload_challenge_is_overridden_by_the_verifiers() -> None:
    files, signature = chip_read(RSA)
    claimed = Upload(files, challenge=bytes(8), aa_signature=signature)
    assert verify_upload(claimed, trust=trust()).verdict.active.code == "active.failed"
    document = verify_upload(claimed, challenge=CHALLENGE, trust=trust())
    assert document.verdict.active.code == "active.passed"
    honest = Upload(files, challenge=CHALLENGE, aa_signature=signature)  # offline use
    assert verify_upload(honest, trust=trust()).verdict.genuine


def test_no_signature_with_dg15_is_not_uploaded() -> None:
    files, _ = chip_read(RSA)
    document = verify_upload(files, trust=trust())
    assert document.verdict.active.code == "active.not_uploaded"
    assert document.verdict.active.status == "not_checked"
    assert document.verdict.codes == ("clone.not_proven",)


@pytest.mark.parametrize(
    ("keys", "active", "chip", "codes"),
    [
        ({"ca": CA}, "active.no_key", "chip.client_side", ("clone.not_proven",)),
        ({}, "active.no_key", "chip.no_key", ("clone.no_chip_key",)),
        ({"aa": ECDSA, "ca": CA}, "active.passed", "chip.client_side", ()),
        ({"pace": "CAM"}, "active.no_key", "chip.client_side", ("clone.not_proven",)),
        ({"pace": "GM"}, "active.no_key", "chip.no_key", ("clone.no_chip_key",)),
    ],
)
def test_client_side_chip_authentication_proves_nothing(
    keys: dict[str, str], active: str, chip: str, codes: tuple[str, ...]
) -> None:
    files, signature = chip_read(**keys)
    document = verify_upload(files, challenge=CHALLENGE if signature else None,
                             signature=signature, trust=trust())  # fmt: skip
    assert (document.verdict.active.code, document.verdict.chip.code) == (active, chip)
    assert document.verdict.codes == codes
    if "pace" in keys:
        assert "EF.CardAccess" in files


def test_a_policy_that_requires_active_authentication() -> None:
    files, signature = chip_read(RSA, CA)
    assert signature is not None
    passed = verify_upload(files, challenge=CHALLENGE, signature=signature, trust=trust(),
                           policy=REQUIRED)  # fmt: skip
    assert passed.verdict.genuine
    assert passed.verdict.policy.name == "service"
    unsigned = verify_upload(files, trust=trust(), policy=REQUIRED)
    assert unsigned.verdict.summary == "incomplete"
    assert unsigned.verdict.codes == ("clone.active_required",)
    without_dg15 = {name: data for name, data in files.items() if name != "DG15"}
    hidden = verify_upload(without_dg15, trust=trust(), policy=REQUIRED)
    assert not hidden.verdict.genuine
    assert "completeness.dg_withheld" in hidden.verdict.codes
    assert hidden.verdict.active.code == "active.not_uploaded"  # EF.SOD lists it
    signed_without_dg15 = verify_upload(without_dg15, challenge=CHALLENGE, signature=signature,
                                        trust=trust(), policy=REQUIRED)  # fmt: skip
    assert signed_without_dg15.verdict.failed
    assert signed_without_dg15.verdict.active.code == "active.key_withheld"


def test_a_changed_dg15_is_not_used() -> None:
    files, signature = chip_read(RSA)
    changed = dict(files, DG15=files["DG15"][:-1] + bytes([files["DG15"][-1] ^ 1]))
    document = verify_upload(changed, challenge=CHALLENGE, signature=signature, trust=trust())
    assert document.verdict.active.code == "active.key_hash_mismatch"
    assert document.verdict.failed


def long_form(tlv_file: bytes) -> bytes:
    """The same TLV object with its outer length in another, equivalent BER form (82 00 LL
    instead of the short or 81 form): what a client that re-encodes a file might send."""
    tag, first = tlv_file[0], tlv_file[1]
    if first < 0x80:
        length, rest = first, tlv_file[2:]
    else:
        size = first & 0x7F
        length, rest = int.from_bytes(tlv_file[2 : 2 + size], "big"), tlv_file[2 + size :]
    return bytes([tag, 0x83]) + length.to_bytes(3, "big") + rest


def test_bytes_are_hashed_as_sent() -> None:
    files, signature = chip_read(RSA)
    policy = Policy(clone_detection=CloneDetection.DATA_ONLY_ACCEPTED)
    assert verify_upload(files, trust=trust(), policy=policy).verdict.genuine
    reencoded = dict(files, DG1=long_form(files["DG1"]))
    assert reencoded["DG1"] != files["DG1"]
    document = verify_upload(reencoded, challenge=CHALLENGE, signature=signature,
                             trust=trust(), policy=policy)  # fmt: skip
    assert document.mrz is not None  # the file still parses: BER allows the longer form
    assert document.verdict.failed
    assert document.passive.outcome.status == "failed"
    assert "passive.hash_mismatch" in document.verdict.codes
    assert document.verdict.active.code == "active.passed"  # DG15 itself was sent as read


def test_an_upload_body_round_trip() -> None:
    """What a client sends in mrtd's format, parsed and verified with the server's challenge."""
    files, signature = chip_read(ECDSA)
    assert signature is not None
    body = json.dumps({
        "format": "mrtd-upload/1",
        "files": {name: base64.b64encode(data).decode() for name, data in files.items()},
        "active_authentication": {"challenge_id": "c1",
                                  "signature": base64.b64encode(signature).decode()},
        "subject": "account-1",
    })  # fmt: skip
    upload = parse_upload(body.encode())
    assert upload.files == files
    assert (upload.challenge_id, upload.challenge, upload.subject) == ("c1", None, "account-1")
    document = verify_upload(upload, challenge=CHALLENGE, trust=trust(), policy=REQUIRED)
    assert document.verdict.genuine, document.verdict.reasons


FIXTURES = sorted(p.name for p in UPLOADS.glob("*.json"))


def test_there_is_a_fixture_of_every_format() -> None:
    formats = {parse_upload((UPLOADS / name).read_bytes()).format for name in FIXTURES}
    assert formats == {"mrtd", "nfcpassportreader", "jmrtd", "zeropass"}


@pytest.mark.parametrize("name", FIXTURES)
def test_the_fixtures_verify(name: str) -> None:
    upload = parse_upload((UPLOADS / name).read_bytes())
    challenge = ZEROPASS_CHALLENGE if upload.format == "zeropass" else FIXTURE_CHALLENGE
    signature = None
    if upload.format == "jmrtd":
        signature = (UPLOADS / name.replace(".json", ".signature.bin")).read_bytes()
    document = verify_upload(upload, challenge=challenge, signature=signature, trust=trust(),
                             policy=REQUIRED)  # fmt: skip
    assert document.passive.outcome.status == "passed"
    has_key = "DG15" in upload.files
    assert document.verdict.active.code == ("active.passed" if has_key else "active.no_key")
    if upload.format == "zeropass":  # Port sends no DG1 or DG2: never a whole document
        assert "completeness.dg_withheld" in document.verdict.codes
    elif has_key:
        assert document.verdict.genuine, document.verdict.reasons
    else:
        assert document.verdict.summary == "incomplete"


def test_one_bad_zeropass_chunk_fails() -> None:
    upload = parse_upload((UPLOADS / "zeropass-aa-rsa.json").read_bytes())
    assert isinstance(upload.aa_signature, tuple)
    first, *rest = upload.aa_signature
    swapped = Upload(upload.files, upload.format, aa_signature=(rest[0], first, *rest[1:]))
    document = verify_upload(swapped, challenge=ZEROPASS_CHALLENGE, trust=trust())
    assert document.verdict.active.code == "active.failed"
    assert document.verdict.active.reason.startswith("signature 1 of 4")
