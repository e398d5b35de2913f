"""Redacted display (`mrtd.redact`), the redacted reprs and wiping key material."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from mrtd import crypto, redact
from mrtd.access.bac import derive_bac_keys
from mrtd.access.keys import AccessKey, CANKey, MRZKey
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.crypto import SMAlgorithm
from mrtd.crypto.kdf import ENC, derive_key
from mrtd.errors import AccessKeyError
from mrtd.mrz import parse_mrz
from mrtd.pipeline.document import Document
from mrtd.pipeline.read_chip import read_document
from mrtd.pipeline.result import ReadResult
from mrtd.pipeline.session import Session
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile
from mrtd.sm import SecureChannel

TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
SECRETS = ("ERIKSSON", "ANNA", "MARIA", "L898902C", "740812", "120415", "1974", "2012")


def test_document_number_keeps_two_characters() -> None:
    assert redact.document_number("L898902C3") == "L8•••••••"
    assert redact.document_number("L898902C3<<") == "L8•••••••"
    assert redact.document_number("AB12") == "••••"  # too short to show any of it
    assert redact.document_number("") == ""


def test_names_keep_initials_not_lengths() -> None:
    assert redact.name("ANNA MARIA") == "A••• M•••"
    assert redact.name("VAN DER BERG") == "V••• D••• B•••"
    assert redact.name("ERIKSSON") == redact.name("EVE")
    assert redact.name("") == ""


def test_dates_mask_every_digit() -> None:
    assert redact.date(date(1974, 8, 12)) == "••••-••-••"
    assert redact.date("1974-08-12") == "••••-••-••"
    assert redact.date("740812") == "••••••"
    assert redact.date("74<<<<") == "••<<<<"
    assert redact.date(None) == ""


def test_mrz_lines_keep_document_code_and_issuing_state() -> None:
    lines = redact.mrz_lines(TD3)
    assert lines[0] == "P<UTO" + "•" * 39
    assert lines[1] == "•" * 44


def test_key_and_text_show_sizes_only() -> None:
    assert redact.key(bytes(16)) == "<redacted 16-byte key>"
    assert redact.key(bytearray(32), "session key") == "<redacted 32-byte session key>"
    assert redact.key(None) == "<no key>"
    assert redact.text("STOCKHOLM") == "<redacted 9 characters>"


def test_mrz_repr_shows_format_state_and_redacted_values() -> None:
    mrz = parse_mrz(TD3)
    text = repr(mrz)
    assert text == (
        "MRZ(TD3 P UTO, valid, number L8•••••••, name E•••, A••• M•••, "
        "born ••••-••-••, expires ••••-••-••)"
    )
    assert str(mrz) == text
    assert not any(secret in text for secret in SECRETS)
    assert mrz.surname == "ERIKSSON"  # the attributes keep the values
    assert mrz.document_number == "L898902C3"


def test_key_reprs_are_redacted_and_say_when_wiped() -> None:
    key = MRZKey("L898902C3", "740812", "120415")
    assert repr(key) == "MRZKey(<redacted>)"
    keys = derive_bac_keys(key)
    assert repr(keys) == "BACKeys(<redacted>)"
    channel = SecureChannel(SMAlgorithm.AES, bytes(16), bytes(16), bytes(16))
    assert repr(channel) == "SecureChannel(AES, <keys redacted>)"
    key.wipe()
    channel.wipe()
    assert repr(key) == "MRZKey(<wiped>)"
    assert repr(channel) == "SecureChannel(AES, <keys wiped>)"


def test_read_result_repr_leaves_out_the_files() -> None:
    result = ReadResult(files={"DG1": b"P<UTOERIKSSON"})
    assert "ERIKSSON" not in repr(result)


def _read() -> Document:
    profile = Profile.default()
    return read_document(SimulatedReader(SimulatedChip(profile)), MRZKey.from_mrz(profile.mrz))


def test_document_repr_names_files_access_and_verdict() -> None:
    document = _read()
    sod = len(document.files["EF.SOD"])  # its ECDSA signature varies in length
    assert repr(document) == (
        f"Document(EF.COM 22 B, EF.SOD {sod} B, DG1 93 B, DG2 21469 B; BAC; verdict incomplete)"
    )
    assert repr(Document.from_files({})) == "Document(no files; verdict incomplete)"


def test_document_redacted_is_a_json_safe_summary() -> None:
    document = _read()
    mrz = document.mrz
    assert mrz is not None
    summary = document.redacted()
    text = json.dumps(summary, ensure_ascii=False)
    for secret in (mrz.document_number, mrz.surname, mrz.birth_date_text, mrz.expiry_date_text):
        assert secret not in text
    assert summary["document"] == {
        "format": "TD3",
        "document_code": "P",
        "issuing_state": "UTO",
        "nationality": "UTO",
        "document_number": redact.document_number(mrz.document_number),
        "surname": redact.name(mrz.surname),
        "given_names": redact.name(mrz.given_names),
        "birth_date": "••••-••-••",
        "expiry_date": "••••-••-••",
    }
    assert summary["files"] == {name: len(data) for name, data in document.files.items()}
    assert summary["verdict"] == "incomplete"
    assert summary["checks"]["expiry"] == {"status": "passed"}  # type: ignore[index]
    assert Document.from_files({}).redacted()["document"] == {}


# -- wiping -----------------------------------------------------------------------------------


def test_wipe_zeroes_in_place() -> None:
    buffer = bytearray(b"secret key bytes")
    view = memoryview(buffer)  # an export does not stop a same-size overwrite
    crypto.wipe(buffer, None)
    assert buffer == bytes(16)
    view.release()


@pytest.mark.parametrize("make", [lambda: MRZKey("L898902C3", "740812", "120415"),
                                  lambda: CANKey("123456")])  # fmt: skip
def test_a_wiped_access_key_refuses_to_be_used(make: Callable[[], AccessKey]) -> None:
    key = make()
    secret = key._secret
    with key:
        assert key.password
    assert secret == b""
    with pytest.raises(AccessKeyError, match="was wiped"):
        _ = key.password


def test_bac_keys_wipe() -> None:
    key = MRZKey("L898902C3", "740812", "120415")
    keys = derive_bac_keys(key)
    assert isinstance(keys.enc, bytearray)
    assert keys.enc == derive_key(key.key_seed, ENC)
    keys.wipe()
    assert keys.enc == bytes(16)
    assert keys.mac == bytes(16)


def test_a_wiped_channel_refuses_to_work() -> None:
    k_enc, k_mac = bytes(range(16)), bytes(range(16, 32))
    with SecureChannel(SMAlgorithm.DES3, k_enc, k_mac, bytes(8)) as channel:
        assert channel.k_enc == k_enc  # a copy of its own, in a bytearray
        assert isinstance(channel.k_enc, bytearray)
        enc, mac = channel.k_enc, channel.k_mac
    assert channel.closed
    assert enc == b""
    assert mac == b""
    with pytest.raises(RuntimeError, match="closed"):
        channel.protect(CommandAPDU(0x00, 0xB0, 0x00, 0x00, ne=4))
    with pytest.raises(RuntimeError, match="closed"):
        channel.unprotect(ResponseAPDU(b"\x99\x02\x90\x00", 0x9000))


def test_the_session_wipes_channels_it_drops_and_on_close() -> None:
    profile = Profile.default()
    session = Session(SimulatedReader(SimulatedChip(profile)))
    session.open_access(MRZKey.from_mrz(profile.mrz))
    first = session.channel
    assert first is not None
    assert not first.closed
    session.reopen()  # new keys: the old ones are wiped
    assert first.closed
    second = session.channel
    assert second is not None
    with session:
        assert not second.closed
    assert second.closed
    assert session.channel is None


@pytest.mark.parametrize(
    "chip",
    [
        {"access": ["bac"], "ca": "ecdh-brainpoolP256r1-aes128"},
        {"access": ["pace", "bac"], "ca": "ecdh-brainpoolP256r1-aes128"},
    ],
)
def test_read_document_wipes_every_channel_it_used(
    monkeypatch: pytest.MonkeyPatch, chip: dict[str, object]
) -> None:
    used: list[SecureChannel] = []
    channel = vars(Session)["channel"]
    assert isinstance(channel, property)
    assert channel.fset is not None
    setter = channel.fset

    def record(self: Session, value: SecureChannel | None) -> None:
        if value is not None:
            used.append(value)
        setter(self, value)

    monkeypatch.setattr(Session, "channel", property(channel.fget, record))
    profile = Profile.from_dict({"chip": chip})
    read_document(SimulatedReader(SimulatedChip(profile)), MRZKey.from_mrz(profile.mrz))
    assert len(used) == 2  # access, then Chip Authentication's keys
    assert all(c.closed for c in used)
