"""A hostile simulated chip: the answers and files of `[faults] hostile = ...` (FaultSettings).

A reader must survive all of them with an `mrtd.errors` exception or a verdict that says why,
in bounded time and memory. Response faults hit the answers the profile's selectors pick
(`at_apdu`, `target_file`, `target_step`; `times` of them); content faults rewrite one file
when the chip is made. The chip calls in at five points of each exchange: `begin` (before it
looks at the command), `observe` (once it knows what the command was), `substitute` (its plain
answer), `protect` (that answer under secure messaging) and `finish` (the bytes on the wire).

The forgery faults (`FORGERY_FAULTS`) are made when the chip is: files written otherwise
(`mrtd.sim.files`, `.authentication`, `.security_files`), and for "com-duplicate-dg14" a DG14
that the chip serves the first time DG14 is selected (`serve_first`, `selected`).
`check_forgery` says what each needs of the chip.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace
from datetime import date

from mrtd import crypto, tlv
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.der import encode_oid
from mrtd.mrz import generate_mrz, parse_mrz
from mrtd.sim.files import ChipFile
from mrtd.sim.profile import (
    CONTENT_FAULTS,
    MAX_CLAIM,
    WITHHOLD_FAULTS,
    FaultSettings,
    Profile,
    ProfileError,
)
from mrtd.sm import SecureChannel
from mrtd.sm.channel import protected_response_size

GET_RESPONSE = 0xC0
READER_MAX_ANSWER = 0x10000 + 2  # 64 kB of data and the status word: what a reader takes
JUNK = 0xA5
TAG_SW, TAG_MAC, SEQUENCE = 0x99, 0x8E, 0x30
# SecurityInfos no reader knows: a PACE-like OID with an unknown suffix, a CA-like one, and a
# private-enterprise one with a constructed parameter (9303-11 §9.2: unknown ones are ignored).
UNKNOWN_INFOS = (
    tlv.encode(SEQUENCE, tlv.encode(0x06, encode_oid("0.4.0.127.0.7.2.2.4.2.99"))
               + tlv.encode(0x02, b"\x02") + tlv.encode(0x02, b"\x0d")),
    tlv.encode(SEQUENCE, tlv.encode(0x06, encode_oid("0.4.0.127.0.7.2.2.3.2.99"))
               + tlv.encode(0x02, b"\x01")),
    tlv.encode(SEQUENCE, tlv.encode(0x06, encode_oid("1.3.6.1.4.1.99999.7.1"))
               + tlv.encode(SEQUENCE, tlv.encode(0x06, encode_oid("1.2.3.4"))
                            + tlv.encode(0x04, bytes(16)))),
)  # fmt: skip


def step_of(ins: int, *, secure: bool) -> str:
    """The protocol step a command is, as `target_step` names it ("" for none): BAC's MUTUAL
    AUTHENTICATE, PACE's GENERAL AUTHENTICATEs, CA's MSE and GENERAL AUTHENTICATE (under
    secure messaging), AA's INTERNAL AUTHENTICATE. GET CHALLENGE and MSE:Set AT for PACE are
    for `at_apdu`."""
    if ins == 0x82:
        return "BAC"
    if ins == 0x86 and not secure:
        return "PACE"
    if ins in (0x22, 0x86) and secure:
        return "CA"
    return "AA" if ins == 0x88 else ""


class HostileChip:
    """The hostile half of one simulated chip: which answer to spoil, and how."""

    def __init__(self, faults: FaultSettings) -> None:
        self.faults = faults
        self.kind = faults.hostile if faults.hostile not in CONTENT_FAULTS + WITHHOLD_FAULTS else ""
        self.hits = 0  # answers spoiled so far (a power cycle does not reset it)
        self._index = 0
        self._decided = False
        self._hit = False
        self._previous = b""  # the last answer sent, for "replay"
        self._looping = False  # "loop-61": GET RESPONSE gets 61xx again
        self._retried: CommandAPDU | None = None  # "loop-6c": the command answered 6Cxx
        self._first: ChipFile | None = None  # "com-duplicate-dg14": served at the first SELECT

    def reset(self) -> None:
        """Power cycle: no loop in progress."""
        self._looping, self._retried = False, None

    # -- one exchange --------------------------------------------------------------------------

    def begin(self, index: int, raw: bytes) -> bytes | None:
        """A new command (APDU number `index`); the answer when the chip is in a 61xx loop."""
        self._index, self._decided, self._hit = index, False, False
        if self._looping and len(raw) >= 2 and raw[1] == GET_RESPONSE:
            return bytes((JUNK,)) * 0xFF + b"\x61\xff"
        self._looping = False
        return None

    def observe(self, step: str, file: str) -> None:
        """What the command was (`step_of` it, and the file a READ BINARY read): whether the
        fault hits its answer. Decided once per exchange."""
        if self._decided:
            return
        self._decided = True
        faults = self.faults
        if not self.kind or (faults.times and self.hits >= faults.times):
            return
        if (
            (faults.at_apdu and self._index < faults.at_apdu)
            or (faults.target_file and file != faults.target_file)
            or (faults.target_step and step != faults.target_step)
        ):
            return
        self.hits += 1
        self._hit = True

    def substitute(self, command: CommandAPDU, answer: ResponseAPDU, block: int) -> ResponseAPDU:
        """The plain answer the chip gives instead (`block`: the SM cipher's, 0 without SM)."""
        retry = self._retried is not None and _same_but_le(command, self._retried)
        self._retried = None
        if self.kind == "loop-6c" and (self._hit or retry):
            self._retried = command
            return ResponseAPDU(b"", 0x6C00 | max(1, min(0xFF, (command.ne or 256) - 1)))
        if self._hit and self.kind == "drip" and command.ins == 0xB0:
            keep = self.faults.size if self.faults.size >= 0 else 1
            return ResponseAPDU(answer.data[:keep], answer.sw)
        if self._hit and self.kind == "overlong":
            size = self.faults.size if self.faults.size >= 0 else READER_MAX_ANSWER
            room = _plain_room(size, block)
            if room > len(answer.data):
                return ResponseAPDU(answer.data + bytes((JUNK,)) * (room - len(answer.data)),
                                    answer.sw)  # fmt: skip
        return answer

    def protect(self, channel: SecureChannel, answer: ResponseAPDU, *, odd: bool) -> ResponseAPDU:
        """`answer` under secure messaging, with the SSC or DO'99' spoiled when hit."""
        if not self._hit or self.kind not in ("reuse-ssc", "skip-ssc", "no-do99"):
            return channel.protect_response(answer, odd=odd)
        if self.kind == "no-do99":
            protected = channel.protect_response(answer, odd=odd)
            return ResponseAPDU(_without_status(channel, protected.data), answer.sw)
        ssc = int.from_bytes(channel.ssc, "big")  # the command's; the answer's is one more
        channel.protect_response(answer, odd=odd)  # the chip's own count goes on
        start = ssc - 2 if self.kind == "reuse-ssc" else ssc + 1
        size = len(channel.ssc)
        wrong = (start % (1 << (8 * size))).to_bytes(size, "big")
        other = SecureChannel(channel.algorithm, channel.k_enc, channel.k_mac, wrong)
        return other.protect_response(answer, odd=odd)

    def finish(self, answer: bytes) -> bytes:
        """The bytes that go out for `answer` (data and status word)."""
        self.observe("", "")  # a command the chip refused before it knew what it was
        out = answer
        if self._hit and self.kind == "wrong-mac" and len(answer) > 2:
            out = answer[:-3] + bytes((answer[-3] ^ 0x01,)) + answer[-2:]
        elif self._hit and self.kind == "replay" and self._previous:
            out = self._previous
        elif self._hit and self.kind == "truncate" and self.faults.size >= 0:
            out = answer[: self.faults.size]
        elif self._hit and self.kind == "truncate":  # half the data, the status word kept
            out = answer[: (len(answer) - 2) // 2] + answer[-2:]
        elif self._hit and self.kind == "loop-61":
            out, self._looping = bytes((JUNK,)) * 0xFF + b"\x61\xff", True
        self._previous = out
        return out

    def delay(self) -> float:
        """Seconds the answer in progress is late ("stall")."""
        return self.faults.delay_ms / 1000 if self._hit and self.kind == "stall" else 0.0

    # -- files ---------------------------------------------------------------------------------

    def serve_first(self, chip_file: ChipFile) -> None:
        """Serve `chip_file` instead of the file of its name the first time that is selected
        (by FID, or by SFI in READ BINARY); the real one every time after."""
        self._first = chip_file

    def selected(self, chip_file: ChipFile) -> ChipFile:
        """The file the chip serves when `chip_file` is selected."""
        first = self._first
        if first is not None and first.name == chip_file.name:
            self._first = None
            return first
        return chip_file

    def rewrite_files(self, *directories: MutableMapping[int, ChipFile]) -> None:
        """Apply a content fault to its target file, wherever the chip keeps it; a withhold
        fault takes the file away (6A82) or guards it (6982)."""
        kind, name = self.faults.hostile, self.faults.target_file
        if kind not in CONTENT_FAULTS + WITHHOLD_FAULTS:
            return
        for directory in directories:
            for fid, chip_file in directory.items():
                if chip_file.name == name and kind == "withhold-6a82":
                    del directory[fid]
                    return
                if chip_file.name == name and kind == "withhold-6982":
                    directory[fid] = ChipFile(chip_file.name, chip_file.fid, chip_file.sfi,
                                              chip_file.data, protected=True)  # fmt: skip
                    return
                if chip_file.name == name:
                    data = _rewrite(kind, chip_file.data, self.faults)
                    directory[fid] = ChipFile(chip_file.name, chip_file.fid, chip_file.sfi, data,
                                              chip_file.protected)  # fmt: skip
                    return
        raise ProfileError(f"[faults] target_file {name}: the chip has no such file")


def _same_but_le(command: CommandAPDU, other: CommandAPDU) -> bool:
    return (command.header, command.data) == (other.header, other.data)


def _plain_room(size: int, block: int) -> int:
    """Plain data bytes whose answer (under SM with this `block`, or plain) is `size` bytes."""
    if not block:
        return max(0, size - 2)
    room = max(0, size - 2)
    while room and protected_response_size(room, block) + 2 > size:
        room -= 1
    return room


def _without_status(channel: SecureChannel, body: bytes) -> bytes:
    """A protected answer's data field without DO'99', its MAC made anew over the rest (with
    the SSC the chip just used)."""
    kept = b"".join(o.encode() for o in tlv.decode(body) if o.tag not in (TAG_SW, TAG_MAC))
    mac = crypto.mac(channel.algorithm, channel.k_mac, channel.ssc + kept)
    return kept + tlv.encode(TAG_MAC, mac)


def _rewrite(kind: str, data: bytes, faults: FaultSettings) -> bytes:
    header = tlv.header(data)
    if header is None:
        raise ProfileError(f"[faults] {kind}: {faults.target_file} has no TLV header")
    tag, header_size, length = header
    value = data[header_size : header_size + length]
    if kind == "claim-length":
        claimed = faults.size if faults.size >= 0 else MAX_CLAIM
        return tlv.encode_tag(tag) + b"\x84" + claimed.to_bytes(4, "big") + value
    if kind == "deep-nesting":
        for _ in range(faults.depth):
            value = tlv.encode(SEQUENCE, value)
        return tlv.encode(tag, value)
    top = tlv.decode_one(data, max_length=len(data))
    extra = b"".join(UNKNOWN_INFOS)  # unknown-oids: EF.CardAccess is the SET, DG14 holds it
    if top.tag == 0x31:
        return tlv.encode(0x31, extra + top.value)
    security_infos = top.children()[0]
    return tlv.encode(top.tag, tlv.encode(0x31, extra + security_infos.value))


def check_forgery(profile: Profile) -> None:
    """ProfileError unless the chip has what its forgery fault needs."""
    kind, chip = profile.faults.hostile, profile.chip
    cam = any(p.mapping == "CAM" for p in chip.pace) and "pace" in chip.access
    other = any(p.mapping != "CAM" for p in chip.pace)
    needs = {
        "com-duplicate-dg14": (chip.ca != "none", "Chip Authentication ([chip] ca)"),
        "card-security-self-signed": (cam, "PACE-CAM"),
        "card-security-unsigned": (cam, "PACE-CAM"),
        "card-access-without-cam": (cam and other, "PACE-CAM and another PACE mapping"),
        "dg14-ca-v2-only": (chip.ca != "none", "Chip Authentication ([chip] ca)"),
        "dg14-key-id-mismatch": (chip.ca != "none", "Chip Authentication ([chip] ca)"),
        "dg15-unmapped-algorithm": (chip.aa.startswith("ecdsa-"), "ECDSA Active Authentication"),
        "card-access-absent": ("pace" in chip.access, "PACE"),
        "card-access-garbled": ("pace" in chip.access, "PACE"),
        "other-holder": (True, ""),
    }
    if kind not in needs:
        return
    if chip.dataset:
        raise ProfileError(f"[faults] {kind} needs generated files, not a dataset")
    has, what = needs[kind]
    if not has:
        raise ProfileError(f"[faults] {kind} needs a chip with {what}")


def other_holder(profile: Profile) -> Profile:
    """The profile of another fictitious holder of the same state and document type
    ("other-holder"): the files a chip opened with `profile`'s MRZ serves instead."""
    mrz = profile.mrz
    other = "U0B47H0LD" if mrz.document_number != "U0B47H0LD" else "U0C58J1ME"
    text = generate_mrz(
        mrz.format,
        document_code=mrz.document_code,
        issuing_state=mrz.issuing_state,
        surname="OTHER",
        given_names="HOLDER",
        document_number=other,
        nationality=mrz.nationality,
        birth_date=date(1979, 2, 3),
        sex=mrz.sex or "<",
        expiry_date=mrz.expiry_date_text,
    )
    return replace(profile, mrz=parse_mrz(text))


def duplicate_dg14(com: bytes) -> bytes:
    """EF.COM with DG14's tag (6E) listed once more, at the end of its tag list."""
    top = tlv.decode_one(com)
    parts = [
        tlv.encode(o.tag, o.value + bytes((0x6E,))) if o.tag == 0x5C else o.encode()
        for o in top.children()
    ]
    return tlv.encode(top.tag, b"".join(parts))
