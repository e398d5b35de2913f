"""Chips that try to read as genuine (issue 17): each attack is a `[faults]` of the simulated
chip, read through the public face (`read_document("sim:PROFILE.toml", key, trust=...)`).

1. A key is used only from the bytes EF.SOD vouches for, and a file is read once: EF.COM
   listing DG14 twice (a clone's DG14 first, the genuine one after) no longer lets Chip
   Authentication run with the clone's key; a file that comes back different fails the read.
2. PACE-CAM proves the chip only with an EF.CardSecurity signed under a trusted CSCA whose key
   is DG14's; otherwise DG14's Chip Authentication still runs. A PACE-CAM key shown and not
   proven (unverified, or hidden from EF.CardAccess) is never data-only proof.
3. A key mrtd cannot use is not "no key": every clone-check outcome has a code, and only a
   document without the key gets one ending in ".no_key".
5. A PACE chip (so says its signed DG14) read with BAC was downgraded, whatever the reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms

from mrtd import (
    STRICT,
    CheckStatus,
    FileDone,
    MRZKey,
    Policy,
    ReadEvent,
    TrustStore,
    open_reader,
    read_document,
)
from mrtd.errors import DecodeError
from mrtd.lds import LDS_FILES
from mrtd.lds.security.oids import SECURITY_OBJECT_OID
from mrtd.lds.sod import sign_content
from mrtd.pipeline.read_binary import FileChangedError
from mrtd.pipeline.session import Session
from mrtd.readers.base import Transport
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.files import ChipFile
from mrtd.sim.pki import export_csca
from mrtd.sim.pki_builder import generate_pki
from mrtd.sim.profile import Profile, ProfileError

KEY = ("U0R45C7D3", "880517", "350930")  # the default simulated passport
CA = 'ca = "ecdh-brainpoolP256r1-aes128"'
AA = 'aa = "ecdsa-brainpoolP256r1-sha256"'
PACE = 'access = ["pace", "bac"]'
CAM = f'{PACE}\npace = {{ mapping = "CAM" }}'
MSE = 0x22  # MANAGE SECURITY ENVIRONMENT: on a BAC chip, only Chip Authentication sends it


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> TrustStore:
    return TrustStore.from_paths(
        [export_csca(tmp_path_factory.mktemp("csca") / "csca.pem")], allow_test_pki=True
    )


@pytest.fixture
def profile(tmp_path: Path) -> Callable[..., str]:
    """A sim:PROFILE.toml reader name for a [chip] and a [faults] table (TOML lines)."""

    def write(chip: str = "", faults: str = "") -> str:
        path = tmp_path / "chip.toml"
        path.write_text(f"[chip]\n{chip}\n[faults]\n{faults}\n", encoding="utf-8")
        return f"sim:{path}"

    return write


class Recording:
    """A transport that keeps every command APDU sent through it."""

    def __init__(self, inner: Transport) -> None:
        self.inner, self.sent = inner, list[bytes]()

    @property
    def extended_length(self) -> bool:
        return self.inner.extended_length

    def transmit(self, apdu: bytes) -> bytes:
        self.sent.append(apdu)
        return self.inner.transmit(apdu)

    def reconnect(self, timeout: float) -> None:
        self.inner.reconnect(timeout)

    def close(self) -> None:
        self.inner.close()


def read(source: str | Transport, trust: TrustStore | None = None, **options: Any) -> Any:
    with MRZKey(*KEY) as key:
        return read_document(source, key, trust=trust, **options)


# -- 1. DG14 used before it is verified; one read per file ------------------------------------


def test_ef_com_listing_dg14_twice_reads_it_once_and_never_uses_the_clone_key(
    profile: Callable[..., str], trust: TrustStore
) -> None:
    reader = open_reader(profile(CA, 'hostile = "com-duplicate-dg14"'))
    recording, events = Recording(reader), list[ReadEvent]()
    try:
        document = read(recording, trust, on_event=events.append)
    finally:
        reader.close()
    dg14_reads = [e for e in events if isinstance(e, FileDone) and e.name == "DG14"]
    assert len(dg14_reads) == 1
    chip = document.verdict.chip
    assert (chip.status, chip.code) == (CheckStatus.FAILED, "chip.key_hash_mismatch")
    assert not any(apdu[1] == MSE for apdu in recording.sent)  # CA never ran with that key
    # The DG14 kept is the one the check judged, and Passive Authentication fails on it.
    assert document.passive.data_groups["DG14"].status is CheckStatus.FAILED
    sod = document.sod
    assert sod is not None
    digest = hashlib.new(sod.hash_algorithm, document.files["DG14"]).digest()
    assert digest != sod.data_group_hashes[14]
    assert document.verdict.summary != "genuine"


def test_the_genuine_chip_authentication_chip_still_reads_genuine(
    profile: Callable[..., str], trust: TrustStore
) -> None:
    document = read(profile(CA), trust)
    assert document.verdict.chip.code == "chip.passed"
    assert document.verdict.active.code == "active.no_key"


def test_a_file_read_twice_must_come_back_byte_for_byte() -> None:
    chip = SimulatedChip(Profile.from_dict({}))
    session = Session(SimulatedReader(chip))
    session.open_bac(MRZKey(*KEY))
    info = next(f for f in chip.files.values() if f.name == "DG1")
    first = session.read_file(LDS_FILES["DG1"])
    assert session.read_file(LDS_FILES["DG1"]) == first  # the same bytes: fine
    changed = bytearray(info.data)
    changed[-1] ^= 1
    chip.files[info.fid] = ChipFile(info.name, info.fid, info.sfi, bytes(changed))
    with pytest.raises(FileChangedError, match="DG1: the chip gave other bytes"):
        session.read_file(LDS_FILES["DG1"])


def test_ef_card_security_read_again_after_a_resume_must_not_change(
    profile: Callable[..., str], trust: TrustStore
) -> None:
    reader = open_reader(profile(CAM))
    assert isinstance(reader, SimulatedReader)
    chip = reader.chip
    other = SimulatedChip(
        Profile.from_dict(
            {
                "chip": {"access": ["pace", "bac"], "pace": {"mapping": "CAM"}},
                "faults": {"hostile": "card-security-unsigned"},
            }
        )
    )
    fid = next(fid for fid, f in chip.master_files.items() if f.name == "EF.CardSecurity")
    original = chip.master_files[fid].data

    def swap_and_pull_the_card(event: ReadEvent) -> None:
        if (
            isinstance(event, FileDone)
            and event.name == "EF.CardSecurity"
            and chip.master_files[fid].data == original
        ):
            chip.master_files[fid] = other.master_files[fid]
            chip.remove()  # back after 300 ms: the read resumes, PACE-CAM runs anew

    try:
        with pytest.raises(FileChangedError, match=r"EF\.CardSecurity") as raised:
            read(reader, trust, on_event=swap_and_pull_the_card)
    finally:
        reader.close()
    assert isinstance(raised.value, DecodeError)
    partial = raised.value.partial
    assert partial is not None
    assert partial.files["EF.CardSecurity"] == original


# -- 2. PACE-CAM and EF.CardSecurity ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "why"),
    [("card-security-self-signed", "EF.CardSecurity's signer"),
     ("card-security-unsigned", "EF.CardSecurity is not signed")],
)  # fmt: skip
def test_pace_cam_with_a_clone_key_in_an_unverified_ef_card_security_proves_nothing(
    profile: Callable[..., str], trust: TrustStore, fault: str, why: str
) -> None:
    document = read(profile(CAM, f'hostile = "{fault}"'), trust)
    chip = document.verdict.chip
    assert (chip.status, chip.code) == (CheckStatus.NOT_CHECKED, "chip.cam_unverified")
    assert why in chip.reason
    assert document.access.chip_authentication == "not_checked"
    assert document.verdict.summary != "genuine"


def test_an_unverified_pace_cam_falls_back_to_dg14_chip_authentication(
    profile: Callable[..., str], trust: TrustStore
) -> None:
    document = read(profile(f"{CAM}\n{CA}", 'hostile = "card-security-self-signed"'), trust)
    chip = document.verdict.chip
    assert (chip.status, chip.code) == (CheckStatus.FAILED, "chip.failed")  # the clone's key
    assert document.verdict.summary == "failed"


def test_pace_cam_without_a_trust_store_is_not_proof_but_dg14_can_be(
    profile: Callable[..., str],
) -> None:
    cam_only = read(profile(CAM)).verdict.chip
    assert (cam_only.status, cam_only.code) == (CheckStatus.NOT_CHECKED, "chip.cam_unverified")
    with_ca = read(profile(f"{CAM}\n{CA}")).verdict.chip
    assert (with_ca.status, with_ca.code) == (CheckStatus.PASSED, "chip.passed")


def test_genuine_pace_cam_proves_the_chip(profile: Callable[..., str], trust: TrustStore) -> None:
    for chip in (CAM, f"{CAM}\n{CA}"):
        outcome = read(profile(chip), trust).verdict.chip
        assert (outcome.status, outcome.code) == (CheckStatus.PASSED, "chip.cam_passed")


def test_pace_cam_key_must_be_one_of_dg14s(profile: Callable[..., str], trust: TrustStore) -> None:
    # EF.CardSecurity signed by the test DS, but its CAM key (brainpoolP256r1) is not DG14's
    # Chip Authentication key (P-256).
    document = read(profile(f'{CAM}\nca = "ecdh-P-256-aes128"'), trust)
    chip = document.verdict.chip
    assert (chip.status, chip.code) == (CheckStatus.FAILED, "chip.clone_key_mismatch")


def test_a_clone_with_the_genuine_ef_card_security_fails_pace_cam(
    profile: Callable[..., str], trust: TrustStore
) -> None:
    document = read(profile(CAM, "clone = true"), trust)
    chip = document.verdict.chip
    assert (chip.status, chip.code) == (CheckStatus.FAILED, "chip.cam_failed")


CAM_AND_GM = f'{PACE}\n[[chip.pace]]\nmapping = "CAM"\n[[chip.pace]]\nmapping = "GM"'
DATA_ONLY = Policy(name="data-only", clone_detection="data_only_accepted")  # type: ignore[arg-type]


def test_a_clone_that_hides_pace_cam_from_ef_card_access_is_not_no_key(
    profile: Callable[..., str], trust: TrustStore
) -> None:
    """EF.CardAccess is not signed: a clone of a chip with PACE-CAM and GM offers GM alone. The
    signed DG14 lists PACE-CAM, so the chip has a key it did not prove, under every policy."""
    genuine = read(profile(CAM_AND_GM), trust, policy=DATA_ONLY)
    assert genuine.verdict.chip.code == "chip.cam_passed"
    assert genuine.verdict.genuine
    for policy in (STRICT, DATA_ONLY):
        document = read(profile(CAM_AND_GM, 'hostile = "card-access-without-cam"'), trust,
                        policy=policy)  # fmt: skip
        assert document.access.pace["mapping"] == "GM"
        chip = document.verdict.chip
        assert (chip.status, chip.code) == (CheckStatus.NOT_CHECKED, "chip.cam_not_run")
        assert document.verdict.checks["clone_detection"].code == "clone.not_proven"
        assert not document.verdict.genuine, policy.name


@pytest.mark.parametrize("fault", ["card-security-self-signed", "card-security-unsigned"])
def test_an_unverified_pace_cam_is_not_data_only_proof(
    profile: Callable[..., str], trust: TrustStore, fault: str
) -> None:
    """A policy that accepts documents without a chip key does not accept a chip that shows a
    PACE-CAM key no trusted CSCA signed: that is a clone's sign, not the absence of a key."""
    document = read(profile(CAM, f'hostile = "{fault}"'), trust, policy=DATA_ONLY)
    assert document.verdict.chip.code == "chip.cam_unverified"
    assert document.verdict.checks["clone_detection"].code == "clone.not_proven"
    assert document.verdict.summary == "incomplete"


def test_pace_cam_vouched_for_by_another_state_proves_nothing(trust: TrustStore) -> None:
    """EF.CardSecurity signed by a Document Signer of another trusted state (here DE) verifies
    to a trusted CSCA, but no DE signer speaks for a Utopian document's chip: the signer is
    held to DG1's issuing state, type and expiry as EF.SOD's is (finding 9 for PACE-CAM)."""
    germany = generate_pki(country="DE", csca_key="ec-P-256", ds_key="ec-P-256")
    both = TrustStore.from_paths([], allow_test_pki=True)
    for certificate in (*trust.certificates, germany.csca.certificate):
        both.add_certificate(certificate)
    cam_chip = {"access": ["pace", "bac"], "pace": {"mapping": "CAM"}}
    reader = SimulatedReader(SimulatedChip(Profile.from_dict({"chip": cam_chip})))
    chip = reader.chip
    fid = next(fid for fid, f in chip.master_files.items() if f.name == "EF.CardSecurity")
    genuine = chip.master_files[fid]
    content = cms.ContentInfo.load(genuine.data)["content"]["encap_content_info"]["content"]
    foreign = sign_content(
        SECURITY_OBJECT_OID,
        bytes(content.__bytes__()),
        signer_key=germany.ds.key,
        signer_cert=germany.ds.certificate,
    )
    chip.master_files[fid] = ChipFile(genuine.name, genuine.fid, genuine.sfi, foreign)
    try:
        document = read(reader, both, policy=DATA_ONLY)
    finally:
        reader.close()
    chip_outcome = document.verdict.chip
    assert (chip_outcome.status, chip_outcome.code) == (CheckStatus.NOT_CHECKED,
                                                        "chip.cam_unverified")  # fmt: skip
    assert "for this document" in chip_outcome.reason
    assert document.access.chip_authentication == "not_checked"
    assert document.passive.outcome.status is CheckStatus.PASSED  # EF.SOD is the genuine one
    assert not document.verdict.genuine


def test_card_access_without_cam_needs_pace_cam_and_another_mapping() -> None:
    profile = Profile.from_dict(
        {"chip": {"access": ["pace", "bac"], "pace": {"mapping": "CAM"}},
         "faults": {"hostile": "card-access-without-cam"}}
    )  # fmt: skip
    with pytest.raises(ProfileError, match="PACE-CAM and another PACE mapping"):
        SimulatedChip(profile)


# -- 3. a key mrtd cannot use is not "no key" -------------------------------------------------


@pytest.mark.parametrize(
    ("chip", "fault", "check", "code"),
    [(CA, "dg14-ca-v2-only", "chip", "chip.unsupported_version"),
     (CA, "dg14-key-id-mismatch", "chip", "chip.key_id_mismatch"),
     (AA, "dg15-unmapped-algorithm", "active", "active.unsupported_algorithm")],
)  # fmt: skip
def test_a_key_mrtd_cannot_use_is_not_supported_and_not_no_key(
    profile: Callable[..., str], trust: TrustStore, chip: str, fault: str, check: str, code: str
) -> None:
    document = read(profile(chip, f'hostile = "{fault}"'), trust)
    outcome = getattr(document.verdict, check)
    assert (outcome.status, outcome.code) == (CheckStatus.NOT_SUPPORTED, code)
    other = document.verdict.active if check == "chip" else document.verdict.chip
    assert other.code in ("active.no_key", "chip.no_key")  # the other key is really absent
    assert document.passive.outcome.status is CheckStatus.PASSED  # the issuer's own files
    assert document.verdict.summary != "genuine"


def test_only_a_document_without_keys_says_no_key(
    profile: Callable[..., str], trust: TrustStore
) -> None:
    document = read(profile(), trust)
    assert document.verdict.chip.code == "chip.no_key"
    assert document.verdict.active.code == "active.no_key"
    for chip in (CA, AA, f"{AA}\n{CA}", CAM, f"{PACE}\n{AA}\n{CA}"):
        verdict = read(profile(chip), trust).verdict
        for outcome in (verdict.chip, verdict.active):
            assert outcome.code, outcome  # every outcome has a code
        assert not (verdict.chip.code.endswith(".no_key") and "ca =" in chip)
        assert not (verdict.active.code.endswith(".no_key") and "aa =" in chip)


# -- 5. a PACE chip read with BAC -------------------------------------------------------------


@pytest.mark.parametrize("fault", ["card-access-absent", "card-access-garbled"])
def test_a_pace_chip_without_a_usable_ef_card_access_is_a_downgrade(
    profile: Callable[..., str], trust: TrustStore, fault: str
) -> None:
    document = read(profile(f"{PACE}\n{CA}", f'hostile = "{fault}"'), trust)
    assert document.access.protocol == "BAC"
    assert document.access.downgraded
    assert "DG14" in document.access.reason
    assert document.verdict.access.status is CheckStatus.FAILED
    assert document.verdict.summary != "genuine"


def test_bac_asked_for_on_a_pace_chip_is_reported_as_downgraded(
    profile: Callable[..., str], trust: TrustStore
) -> None:
    document = read(profile(PACE), trust, access="bac")
    assert (document.access.protocol, document.access.downgraded) == ("BAC", True)
    assert 'access="bac"' in document.access.reason
    assert document.verdict.summary != "genuine"


def test_pace_and_bac_only_chips_are_not_downgraded(
    profile: Callable[..., str], trust: TrustStore
) -> None:
    pace = read(profile(f"{PACE}\n{CA}"), trust)
    assert (pace.access.protocol, pace.access.downgraded) == ("PACE", False)
    assert pace.verdict.summary == "genuine", pace.verdict.reasons
    bac = read(profile(CA), trust)
    assert (bac.access.protocol, bac.access.downgraded) == ("BAC", False)
