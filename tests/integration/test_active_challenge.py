"""Active Authentication over a challenge the caller gives (a back-end's), and the chip's
signature kept with it: `read_document(active_challenge=...)`, `Document.active_signature`,
`mrtd read --aa-challenge HEX` (9303-11 §6.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mrtd.access.keys import MRZKey
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.cli import main
from mrtd.lds.dg15 import DG15File
from mrtd.lds.security.kinds import ActiveAuthenticationInfo
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.session import Session
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile
from mrtd.verify.active import (
    CHALLENGE_SIZE,
    INS_INTERNAL_AUTHENTICATE,
    AAResult,
    active_authentication_exchange,
    check_active_authentication,
    check_challenge,
)
from mrtd.verify.outcome import CheckStatus

PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
DEFAULT = Profile.default()
KEY = MRZKey.from_mrz(DEFAULT.mrz)
MRZ = list(DEFAULT.mrz.lines)
CHALLENGE = bytes.fromhex("0123456789abcdef")
OTHER = bytes.fromhex("0123456789abcdee")
AA_PROFILES = ["rsa-1024-sha256", "ecdsa-brainpoolP256r1-sha256"]


def _profile(aa: str = "none") -> Profile:
    return Profile.from_dict({"chip": {"aa": aa}})


class Recording:
    """The simulated chip with its INTERNAL AUTHENTICATE handler watched: the challenges it
    was asked to sign (after secure messaging), and optionally a status word it refuses with."""

    def __init__(self, profile: Profile, refuse: int | None = None) -> None:
        self.chip = SimulatedChip(profile)
        self.challenges: list[bytes] = []
        handler = self.chip._handlers[INS_INTERNAL_AUTHENTICATE]

        def watched(command: CommandAPDU) -> ResponseAPDU:
            self.challenges.append(bytes(command.data))
            return ResponseAPDU(b"", refuse) if refuse is not None else handler(command)

        self.chip._handlers[INS_INTERNAL_AUTHENTICATE] = watched

    def reader(self) -> SimulatedReader:
        return SimulatedReader(self.chip)


def _key_and_info(document: Document) -> tuple[DG15File, ActiveAuthenticationInfo | None]:
    dg15 = document.active_authentication_key
    assert dg15 is not None
    infos = document.security_infos
    return dg15, infos.active_authentication if infos is not None else None


@pytest.mark.parametrize("aa", AA_PROFILES)
def test_the_chip_signs_the_given_challenge_and_the_signature_is_kept(aa: str) -> None:
    card = Recording(_profile(aa))
    document = read_document(card.reader(), KEY, active_challenge=CHALLENGE)
    assert card.challenges == [CHALLENGE]  # exactly that challenge, once
    assert document.verdict.active.status is PASSED
    assert document.active_challenge == CHALLENGE
    signature = document.active_signature
    assert signature is not None
    dg15, info = _key_and_info(document)
    assert check_active_authentication(dg15, info, CHALLENGE, signature).status is PASSED
    assert check_active_authentication(dg15, info, OTHER, signature).status is FAILED


def test_the_dg15_file_alone_checks_the_upload() -> None:
    """What a back-end holds after the upload: DG15 (and DG14) as bytes, the challenge it
    issued and the signature. The ECDSA chip names its hash in DG14."""
    card = Recording(_profile(AA_PROFILES[1]))
    document = read_document(card.reader(), KEY, active_challenge=CHALLENGE)
    uploaded = Document.from_files(dict(document.files))
    dg15, info = _key_and_info(uploaded)
    assert document.active_signature is not None
    outcome = check_active_authentication(dg15, info, CHALLENGE, document.active_signature)
    assert outcome.status is PASSED
    assert uploaded.active_signature is None  # files alone carry no signature


@pytest.mark.parametrize("aa", AA_PROFILES)
def test_without_a_challenge_the_random_one_and_its_signature_are_kept(aa: str) -> None:
    card = Recording(_profile(aa))
    with Session(card.reader(), random_bytes=lambda n: bytes(range(n))) as session:
        result = session.read_document(KEY)
    assert result.active.status is PASSED
    assert card.challenges == [bytes(range(CHALLENGE_SIZE))]
    assert result.active_challenge == bytes(range(CHALLENGE_SIZE))
    assert result.active_signature is not None
    document = Document.from_read(result)
    assert document.active_signature == result.active_signature
    dg15, info = _key_and_info(document)
    outcome = check_active_authentication(
        dg15, info, result.active_challenge, result.active_signature
    )
    assert outcome.status is PASSED


@pytest.mark.parametrize("size", [0, 7, 9, 16])
def test_a_challenge_of_another_size_is_refused_before_any_apdu(size: int) -> None:
    card = Recording(_profile(AA_PROFILES[1]))
    with pytest.raises(ValueError, match="8 bytes"):
        read_document(card.reader(), KEY, active_challenge=bytes(size))
    assert card.chip.apdus == 0
    with pytest.raises(ValueError, match="8 bytes"), Session(card.reader()) as session:
        session.read_document(KEY, active_challenge=bytes(size))
    assert card.chip.apdus == 0


def test_a_bad_challenge_is_refused_before_a_named_reader_is_opened() -> None:
    with pytest.raises(ValueError, match="8 bytes"):
        read_document("sim", KEY, active_challenge=bytes(7))
    with pytest.raises(TypeError, match="bytes"):
        check_challenge("0123456789abcdef")  # type: ignore[arg-type]


def test_a_chip_without_dg15_keeps_no_signature() -> None:
    card = Recording(DEFAULT)
    document = read_document(card.reader(), KEY, active_challenge=CHALLENGE)
    assert card.challenges == []
    assert document.verdict.active.code == "active.no_key"
    assert document.active_challenge is None
    assert document.active_signature is None


def test_a_chip_that_refuses_keeps_the_challenge_and_no_signature() -> None:
    card = Recording(_profile(AA_PROFILES[0]), refuse=0x6985)
    document = read_document(card.reader(), KEY, active_challenge=CHALLENGE)
    assert card.challenges == [CHALLENGE]
    assert document.verdict.active.code == "active.refused"
    assert document.active_challenge == CHALLENGE
    assert document.active_signature is None


def test_the_signature_stays_out_of_repr_and_redacted() -> None:
    document = read_document(
        Recording(_profile(AA_PROFILES[1])).reader(), KEY, active_challenge=CHALLENGE
    )
    assert document.active_signature is not None
    signature = document.active_signature.hex()
    assert signature not in repr(document)
    assert signature not in json.dumps(document.redacted())
    assert len(repr(document)) < 200


def test_the_exchange_generator_keeps_challenge_and_signature() -> None:
    """The sans-I/O protocol itself: one INTERNAL AUTHENTICATE carrying the given challenge."""
    document = read_document(Recording(_profile(AA_PROFILES[1])).reader(), KEY)
    dg15, info = _key_and_info(document)
    protocol = active_authentication_exchange(dg15, info, challenge=CHALLENGE)
    command = next(protocol)
    assert command.ins == INS_INTERNAL_AUTHENTICATE
    assert command.data == CHALLENGE
    with pytest.raises(StopIteration) as stopped:
        protocol.send(ResponseAPDU(b"\x01" * 64, 0x9000))
    done = stopped.value.value
    assert isinstance(done, AAResult)
    assert done.outcome.status is FAILED
    assert (done.challenge, done.signature) == (CHALLENGE, b"\x01" * 64)
    assert repr(done) == "AAResult(failed, 64 B signed)"
    with pytest.raises(ValueError, match="8 bytes"):
        next(active_authentication_exchange(dg15, info, challenge=bytes(7)))


# -- mrtd read --aa-challenge ---------------------------------------------------------------


@pytest.fixture
def aa_reader(tmp_path: Path) -> str:
    path = tmp_path / "aa.toml"
    path.write_text(f'[chip]\naa = "{AA_PROFILES[1]}"\n', encoding="utf-8")
    return f"sim:{path}"


def test_cli_read_signs_the_given_challenge(
    capsys: pytest.CaptureFixture[str], aa_reader: str
) -> None:
    code = main(["read", "--reader", aa_reader, "--mrz", *MRZ, "--aa-challenge",
                 CHALLENGE.hex().upper(), "--json"])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 1  # no CSCA trusted: incomplete
    report = json.loads(out)
    assert report["schema_version"] == 2
    assert report["verification"]["active"]["status"] == "passed"
    active = report["active_authentication"]
    assert active["challenge"] == CHALLENGE.hex()
    signature = bytes.fromhex(active["signature"])
    profile = Profile.load(aa_reader.removeprefix("sim:"))
    document = read_document(SimulatedReader(SimulatedChip(profile)), KEY)
    dg15, info = _key_and_info(document)
    assert check_active_authentication(dg15, info, CHALLENGE, signature).status is PASSED
    assert check_active_authentication(dg15, info, OTHER, signature).status is FAILED


def test_cli_json_without_aa_has_nulls(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["read", "--reader", "sim", "--mrz", *MRZ, "--aa-challenge", CHALLENGE.hex(),
                 "--json"])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 1
    assert json.loads(out)["active_authentication"] == {"challenge": None, "signature": None}


@pytest.mark.parametrize(
    "value",
    ["0123456789abcd", "0123456789abcdef00", "0123456789abcdeg", "01 23 45 67 89 ab cd ef", ""],
)
def test_cli_a_bad_challenge_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code = main(["read", "--reader", "sim", "--mrz", *MRZ, "--aa-challenge", value])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("mrtd: invalid: --aa-challenge")


def test_cli_a_bad_challenge_under_json_is_one_json_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["read", "--reader", "sim", "--mrz", *MRZ, "--aa-challenge", "xyz", "--json"])
    out, _ = capsys.readouterr()
    assert code == 2
    assert json.loads(out)["error"]["exit_code"] == 2
