"""Simulated-chip profiles: TOML with [document], [chip] and [link] tables.

    [document]            # any field of the MRZ (as for generate_mrz), or mrz = "LINE1\nLINE2"
    [chip]                # access = ["pace", "bac"]; can = "123456"; max_response = 223;
                          # sfi = false (READ BINARY by short file identifier refused);
                          # plain_errors = true (errors under SM as bare status words); ...
    [chip.pace]           # mapping = "GM" | "IM" | "CAM"; domain = "brainpoolP256r1" or 0-18;
                          # cipher = "3DES" | "AES-128" | "AES-192" | "AES-256"
                          # ([[chip.pace]] several times: EF.CardAccess lists them all)
    [link]                # bitrate = 424000; latency_ms = 5
    [details]             # DG11/DG12 content: place_of_birth, address, issuing_authority, ...
    [faults]              # remove_at_apdu = N (or [N, M]); return_after_ms = 300 (-1: never)
                          # hostile = "wrong-mac"; at_apdu = 40 or target_file = "DG2" or
                          # target_step = "AA"; times = 1 (0: every time); see FaultSettings

    [chip] aa = "rsa-2048-sha256"; ca = "ecdh-brainpoolP256r1-aes128"; dataset = "folder"
    [faults] clone = true  # the files of the document, but not its private keys

The built-in default is a valid, unexpired, fictitious passport of ICAO's specimen state Utopia.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from mrtd.bounded import read_toml
from mrtd.errors import MRTDError
from mrtd.mrz import MRZ, MRZFormat, generate_mrz, parse_mrz


class ProfileError(MRTDError, ValueError):
    """A simulated-chip profile is malformed."""


DEFAULT_DOCUMENT: dict[str, Any] = {
    "format": "TD3",
    "document_code": "P",
    "issuing_state": "UTO",
    "surname": "Specimen",
    "given_names": "Alex Jordan",
    "document_number": "U0R45C7D3",
    "nationality": "UTO",
    "birth_date": date(1988, 5, 17),
    "sex": "X",
    "expiry_date": date(2035, 9, 30),
    "optional_data": "",
}
ACCESS_PROTOCOLS = frozenset({"bac", "pace"})
PACE_MAPPINGS = ("GM", "IM", "CAM")
PACE_CIPHERS = ("3DES", "AES-128", "AES-192", "AES-256")
PACE_PUBLIC_FAULTS = ("", "off-curve", "infinity", "small-subgroup", "echo")
EOF_STATUSES = frozenset({"6282", "9000"})
RESPONSE_FAULTS = ("wrong-mac", "replay", "reuse-ssc", "skip-ssc", "no-do99", "truncate",
                   "overlong", "drip", "loop-61", "loop-6c", "stall")  # fmt: skip
CONTENT_FAULTS = ("claim-length", "deep-nesting", "unknown-oids")
# A file the chip withholds although EF.COM lists it and EF.SOD hashes it: not found, or
# security status not satisfied (as DG3/DG4 without EAC).
WITHHOLD_FAULTS = ("withhold-6a82", "withhold-6982")
# Chips that try to pass for genuine (mrtd.sim.hostile; docs/security.md): no selectors.
CLONE_FAULTS = ("com-duplicate-dg14", "card-security-self-signed", "card-security-unsigned",
                "card-access-without-cam")  # fmt: skip
ISSUER_FAULTS = ("dg14-ca-v2-only", "dg14-key-id-mismatch", "dg15-unmapped-algorithm")
CARD_ACCESS_FAULTS = ("card-access-absent", "card-access-garbled")
HOLDER_FAULTS = ("other-holder",)
FORGERY_FAULTS = CLONE_FAULTS + ISSUER_FAULTS + CARD_ACCESS_FAULTS + HOLDER_FAULTS
TARGET_STEPS = ("BAC", "PACE", "CA", "AA")
MAX_CLAIM = 0xFFFFFFFF  # the largest length a 4-byte BER length field holds
MAX_ANSWER_FAULT = 1 << 24  # an over-long answer of up to 16 MB (readers take 64 kB)
MAX_DEPTH_FAULT = 100_000
MAX_DELAY_MS = 600_000
MAX_PROFILE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class PACESettings:
    """One PACE variant the chip offers (ICAO 9303-11 §4.4; TR-03110-3 Table 4 for ids)."""

    mapping: str = "GM"
    domain: str = "brainpoolP256r1"  # a curve or group name, or a standardized id "0".."18"
    cipher: str = "AES-128"
    explicit: bool = False  # advertise the domain as explicit parameters (proprietary id 32)


@dataclass(frozen=True, slots=True)
class ChipSettings:
    access: tuple[str, ...] = ("bac",)  # "pace" adds EF.CardAccess; order is preference
    can: str = field(default="", repr=False)  # the card access number (PACE only): a secret
    pace: tuple[PACESettings, ...] = (PACESettings(),)
    max_response: int = 223  # plain bytes per READ BINARY answer
    extended_length: bool = False
    # False: the chip takes no short file identifier in READ BINARY (P1 = 80 | SFI) and answers
    # it 6A86 (wrong P1-P2), as some real chips do; files are read after SELECT by file ID
    sfi: bool = True
    # True: under secure messaging an error (any status word but 9000, 61xx, 62xx, 63xx) is
    # answered as a bare status word, without DO'99'/DO'8E', as some real chips answer; the
    # chip then counts neither the command nor the answer in its SSC, as a reader expects
    plain_errors: bool = False
    eof_status: str = "6282"  # how a read that runs past the end is answered
    le_too_large: str = "truncate"  # Le > max_response: "truncate", "6700" or "6C" (6Cxx)
    data_groups: tuple[int, ...] = (1, 2)  # 3 and 4 exist but need EAC: read -> 6982
    # Data groups listed in EF.COM and hashed in EF.SOD that hold 0 bytes (seen on real chips)
    empty_data_groups: tuple[int, ...] = ()
    # How BAC's MUTUAL AUTHENTICATE and PACE's mutual authentication answer a wrong key: 4 hex
    # digits, 63xx or 69xx/6Axx ("6300"; real chips also answer "6988", "6982" or "63C2")
    wrong_key_sw: str = "6300"
    signer: str = "ecdsa"  # which test Document Signer signs EF.SOD: "rsa" or "ecdsa"
    hash_algorithm: str = "sha256"
    # Clone detection keys, made per document: Active Authentication ("rsa-2048-sha256",
    # "ecdsa-brainpoolP256r1-sha256"; adds DG15, and DG14's ActiveAuthenticationInfo for ECDSA)
    # and Chip Authentication v1 ("ecdh-brainpoolP256r1-aes128", "dh-2048-3des"; adds DG14).
    aa: str = "none"
    ca: str = "none"
    # A real data set instead of generated files: a folder with EF_COM.bin, EF_SOD.bin,
    # DatagroupN.bin and, for AA/CA, DG15_sk.pkcs8 / DG14_sk.pkcs8 (its MRZ comes from DG1).
    dataset: str = ""


@dataclass(frozen=True, slots=True)
class LinkSettings:
    bitrate: int = 424_000  # bit/s over the air (ISO 14443: 106, 212, 424, 848 kbit/s)
    latency_ms: float = 5.0  # per command: chip processing plus frame delays


@dataclass(frozen=True, slots=True)
class DetailSettings:
    """What DG11 and DG12 hold when the chip has them (all fictitious by default)."""

    place_of_birth: tuple[str, ...] = ("UTOPIA CITY", "UTO")
    address: tuple[str, ...] = ("1 SPECIMEN STREET", "UTOPIA CITY")
    personal_number: str = ""
    profession: str = "SPECIMEN"
    telephone: str = ""
    issuing_authority: str = "UTOPIA PASSPORT OFFICE"
    date_of_issue: str = ""  # YYYYMMDD; empty: ten years before the date of expiry


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """Card removal: the chip leaves the field when it receives APDU number N (counted from
    the first APDU it ever got) and comes back `return_after_ms` later (-1: never)."""

    remove_at_apdu: tuple[int, ...] = ()
    return_after_ms: int = 300
    # A hostile PACE chip: its public value in the mapping or key-agreement step is replaced
    # by one off the curve (DH: out of range), the point at infinity (DH: 1), an element of a
    # small subgroup (DH: p-1, of order 2; on a cofactor-1 curve only infinity is one), or the
    # terminal's own value echoed back. `pace_token` sends a wrong chip token.
    pace_public: str = ""  # "", "off-curve", "infinity", "small-subgroup", "echo"
    pace_step: str = "agreement"  # "mapping" or "agreement"
    pace_token: bool = False
    # A cloned chip: the same files (EF.SOD still verifies) but not the genuine private keys,
    # which never leave a real chip; AA and CA answer with keys of their own.
    clone: bool = False
    # A hostile chip (mrtd.sim.hostile). Response faults change the answers the selectors pick
    # (all selectors given must match; the first `times` matching answers, 0: every one):
    #   "wrong-mac"   the last byte of the answer's data is flipped: DO'8E' under secure
    #                 messaging, BAC's MAC or PACE's token before it (a bare status word
    #                 goes as it is)
    #   "replay"      the chip's previous answer is sent again (an old SSC; the first
    #                 answer goes as it is)
    #   "reuse-ssc"   the answer is protected with the SSC of the previous answer
    #   "skip-ssc"    the answer is protected with the SSC one step ahead
    #   "no-do99"     DO'99' (the status word) is left out; the MAC is right over the rest
    #   "truncate"    the answer is cut to `size` bytes (-1: half its data, and the
    #                 status word)
    #   "overlong"    the answer's data runs on past Le with junk, to `size` bytes on the wire
    #                 (-1: 65538, the most a reader takes; under SM inside a valid MAC)
    #   "drip"        a READ BINARY answer holds only `size` bytes of the file (-1: 1), properly
    #                 protected: a file dripped out a byte at a time
    #   "loop-61"     61xx, and 61xx again to every GET RESPONSE after it
    #   "loop-6c"     6Cxx with an Le other than the one asked, to every retry with that Le
    #   "stall"       the answer comes `delay_ms` late (modeled: beyond the reader's
    #                 timeout it times out; with no reader clock the chip really sleeps)
    # Content faults rewrite `target_file` once, when the chip is made (EF.SOD is not
    # re-signed, as a chip cannot):
    #   "claim-length"  its TLV header claims `size` value bytes (-1: 0xFFFFFFFF)
    #   "deep-nesting"  its value is wrapped in `depth` nested SEQUENCEs
    #   "unknown-oids"  SecurityInfos with unknown OIDs first (EF.CardAccess or DG14)
    # Faults that try to make the chip pass for genuine, without selectors. Clones (the chip's
    # Active, Chip and PACE-CAM keys are its own, as with `clone`):
    #   "com-duplicate-dg14"         EF.COM lists DG14 twice; the chip serves a DG14 with its
    #                                own Chip Authentication key the first time DG14 is
    #                                selected, the genuine one after
    #   "card-security-self-signed"  PACE-CAM with its own key, in an EF.CardSecurity signed
    #                                by a self-made CSCA and Document Signer (same names)
    #   "card-security-unsigned"     the same, EF.CardSecurity without any SignerInfo
    #   "card-access-without-cam"    a clone of a chip that offers PACE-CAM and another mapping:
    #                                its EF.CardAccess (not signed) leaves PACE-CAM out, so the
    #                                reader runs the other one (the signed DG14 still lists it)
    # Issuer-made files (EF.SOD signed over them) with a key mrtd cannot use:
    #   "dg14-ca-v2-only"            DG14's ChipAuthenticationInfo says version 2
    #   "dg14-key-id-mismatch"       DG14's ChipAuthenticationInfo names keyId 1, its key 2
    #   "dg15-unmapped-algorithm"    DG14's ActiveAuthenticationInfo names ecdsa-with-SHA3-256
    # A PACE chip whose EF.CardAccess answers 6A82 ("card-access-absent") or is garbled
    # ("card-access-garbled"); PACE still works, and DG14 lists its PACEInfos.
    # "other-holder": the chip opens with the profile's MRZ but holds another document's
    # files (a fictitious holder B, EF.SOD signed over them, B's own AA/CA keys).
    # File faults (give target_file only): "withhold-6a82" (the file is not found) and
    # "withhold-6982" (reading it answers 6982), though EF.COM lists it and EF.SOD hashes it.
    hostile: str = ""
    at_apdu: int = 0  # from APDU number N on (counted as remove_at_apdu; 0: any)
    target_file: str = ""  # READ BINARY answers of this file ("EF.COM", "DG2", ...)
    target_step: str = ""  # "BAC", "PACE", "CA" or "AA": that protocol's answers (step_of)
    times: int = 1
    size: int = -1
    depth: int = 1000
    delay_ms: int = 10_000


@dataclass(frozen=True, slots=True)
class Profile:
    mrz: MRZ
    chip: ChipSettings = field(default_factory=ChipSettings)
    link: LinkSettings = field(default_factory=LinkSettings)
    name: str = "default"
    details: DetailSettings = field(default_factory=DetailSettings)
    faults: FaultSettings = field(default_factory=FaultSettings)

    @classmethod
    def default(cls) -> Profile:
        return cls(_document_mrz(dict(DEFAULT_DOCUMENT)))

    @classmethod
    def load(cls, path: str | Path) -> Profile:
        path = Path(path)
        data = read_toml(path, MAX_PROFILE_BYTES, ProfileError, "profile")
        return cls.from_dict(data, name=path.stem, base=path.parent)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, name: str = "custom", base: Path | None = None
    ) -> Profile:
        """`base` resolves a relative [chip] dataset (the profile file's folder)."""
        unknown = set(data) - {"document", "chip", "link", "details", "faults"}
        if unknown:
            raise ProfileError(f"unknown profile tables: {', '.join(sorted(unknown))}")
        document = {**DEFAULT_DOCUMENT, **data.get("document", {})}
        chip = dict(data.get("chip", {}))
        if "pace" in chip:
            chip["pace"] = _pace_settings(chip["pace"])
        mrz = _document_mrz(document)
        if chip.get("dataset"):
            folder = Path(str(chip["dataset"]))
            folder = folder if folder.is_absolute() or base is None else base / folder
            chip["dataset"] = str(folder)
            mrz = _dataset_mrz(folder)
        return cls(
            mrz,
            _settings(ChipSettings, chip, "chip"),
            _settings(LinkSettings, data.get("link", {}), "link"),
            name,
            _settings(DetailSettings, data.get("details", {}), "details"),
            _settings(FaultSettings, data.get("faults", {}), "faults"),
        )


def _document_mrz(document: dict[str, Any]) -> MRZ:
    if "mrz" in document:
        return parse_mrz(str(document["mrz"]))
    fields = dict(document)
    fmt = MRZFormat(fields.pop("format", "TD3"))
    try:
        return parse_mrz(generate_mrz(fmt, **fields))
    except TypeError as exc:
        raise ProfileError(f"[document]: {exc}") from None


def _dataset_mrz(folder: Path) -> MRZ:
    from mrtd.errors import DecodeError  # noqa: PLC0415
    from mrtd.lds.dg1 import DG1File  # noqa: PLC0415

    try:
        return DG1File.from_bytes((folder / "Datagroup1.bin").read_bytes()).mrz
    except OSError as exc:
        reason = f"[chip] dataset {folder.name}: no Datagroup1.bin ({exc.strerror})"
        raise ProfileError(reason) from None
    except DecodeError as exc:
        raise ProfileError(f"[chip] dataset {folder.name}: DG1 is malformed: {exc}") from None


def _pace_settings(tables: Any) -> list[PACESettings]:
    if isinstance(tables, dict):
        tables = [tables]
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ProfileError("[chip.pace] must be a table or a list of tables")
    out = []
    for table in tables:
        values = dict(table)
        if isinstance(values.get("domain"), int) and not isinstance(values["domain"], bool):
            values["domain"] = str(values["domain"])
        out.append(_settings(PACESettings, values, "chip.pace"))
    return out


def _settings(kind: type[Any], table: dict[str, Any], name: str) -> Any:
    defaults = kind()
    values: dict[str, Any] = {}
    for key, given in table.items():
        value = given
        if not hasattr(defaults, key):
            raise ProfileError(f"[{name}] has no setting {key!r}")
        current = getattr(defaults, key)
        if isinstance(current, tuple) and isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if isinstance(current, tuple):
            if not isinstance(value, list):
                raise ProfileError(f"[{name}] {key} must be a list")
            value = tuple(value)
        elif (
            isinstance(current, bool) is not isinstance(value, bool)
            or (isinstance(current, int | float) and not isinstance(value, int | float))
            or (isinstance(current, str) and not isinstance(value, str))
        ):
            raise ProfileError(f"[{name}] {key} has the wrong type")
        values[key] = value
    settings = kind(**values)
    _validate(settings)
    return settings


def _is_failure_sw(text: str) -> bool:
    return (
        len(text) == 4
        and all(c in "0123456789abcdefABCDEF" for c in text)
        and text[:2].upper() in ("63", "69", "6A")
    )


def _validate(settings: object) -> None:
    if isinstance(settings, ChipSettings):
        if not set(settings.access) <= ACCESS_PROTOCOLS or not settings.access:
            raise ProfileError(f"[chip] access must be a subset of {sorted(ACCESS_PROTOCOLS)}")
        if not 1 <= settings.max_response <= 65536:
            raise ProfileError("[chip] max_response must be 1..65536")
        if settings.le_too_large not in ("truncate", "6700", "6C"):
            raise ProfileError("[chip] le_too_large must be 'truncate', '6700' or '6C'")
        if settings.eof_status not in EOF_STATUSES:
            raise ProfileError("[chip] eof_status must be '6282' or '9000'")
        if not set(settings.data_groups) <= set(range(1, 17)) or not {1, 2} <= set(
            settings.data_groups
        ):
            raise ProfileError("[chip] data_groups must be numbers 1..16 including 1 and 2")
        if not set(settings.empty_data_groups) <= set(settings.data_groups):
            raise ProfileError("[chip] empty_data_groups must be among data_groups")
        if not _is_failure_sw(settings.wrong_key_sw):
            raise ProfileError("[chip] wrong_key_sw must be 4 hex digits, 63xx, 69xx or 6Axx")
        if settings.signer not in ("rsa", "ecdsa"):
            raise ProfileError("[chip] signer must be 'rsa' or 'ecdsa'")
        if settings.can and (len(settings.can) != 6 or not settings.can.isdigit()):
            raise ProfileError("[chip] can must be 6 digits")
        if "pace" in settings.access and not settings.extended_length:
            _check_short_apdus(settings.pace)
        _validate_keys(settings)
    if isinstance(settings, PACESettings):
        _validate_pace(settings)
    if isinstance(settings, FaultSettings) and (
        any(not isinstance(n, int) or n < 1 for n in settings.remove_at_apdu)
        or settings.return_after_ms < -1
    ):
        raise ProfileError("[faults] remove_at_apdu are APDU numbers from 1; return_after_ms >= -1")
    if isinstance(settings, FaultSettings) and (
        settings.pace_public not in PACE_PUBLIC_FAULTS
        or settings.pace_step not in ("mapping", "agreement")
    ):
        raise ProfileError(
            f"[faults] pace_public must be one of {', '.join(map(repr, PACE_PUBLIC_FAULTS))}; "
            "pace_step 'mapping' or 'agreement'"
        )
    if isinstance(settings, FaultSettings):
        _validate_hostile(settings)
    if isinstance(settings, DetailSettings) and settings.date_of_issue:
        text = settings.date_of_issue
        if len(text) != 8 or not text.isdigit():
            raise ProfileError("[details] date_of_issue must be YYYYMMDD")
    if isinstance(settings, LinkSettings) and (settings.bitrate <= 0 or settings.latency_ms < 0):
        raise ProfileError("[link] bitrate must be positive and latency_ms not negative")


def _validate_hostile(faults: FaultSettings) -> None:
    """The hostile fault's name, selectors and sizes (FaultSettings)."""
    from mrtd.lds import LDS_FILES  # noqa: PLC0415

    names = ("size", "depth", "delay_ms", "at_apdu", "times")
    if any(isinstance(getattr(faults, n), bool) or not isinstance(getattr(faults, n), int)
           for n in names):  # fmt: skip
        raise ProfileError(f"[faults] {', '.join(names)} must be whole numbers")
    kind = faults.hostile
    if not kind:
        defaults = FaultSettings()
        given = [n for n in (*names, "target_file", "target_step")
                 if getattr(faults, n) != getattr(defaults, n)]  # fmt: skip
        if given:
            raise ProfileError(f"[faults] {', '.join(given)} need a hostile fault")
        return
    every = RESPONSE_FAULTS + CONTENT_FAULTS + WITHHOLD_FAULTS + FORGERY_FAULTS
    if kind not in every:
        known = ", ".join(every)
        raise ProfileError(f"[faults] unknown hostile fault {kind!r}; one of {known}")
    if kind in FORGERY_FAULTS:
        defaults = FaultSettings()
        given = [n for n in (*names, "target_file", "target_step")
                 if getattr(faults, n) != getattr(defaults, n)]  # fmt: skip
        if given:
            raise ProfileError(f"[faults] {kind} takes no {', '.join(given)}")
        return
    if faults.target_file and faults.target_file not in LDS_FILES:
        raise ProfileError(f"[faults] target_file {faults.target_file!r} is no LDS file")
    if faults.target_step and faults.target_step not in TARGET_STEPS:
        raise ProfileError(f"[faults] target_step must be one of {', '.join(TARGET_STEPS)}")
    if faults.at_apdu < 0 or faults.times < 0:
        raise ProfileError("[faults] at_apdu and times must not be negative")
    limit = {"claim-length": MAX_CLAIM}.get(kind, MAX_ANSWER_FAULT)
    if not -1 <= faults.size <= limit:
        raise ProfileError(f"[faults] size must be -1 (the default) or 0..{limit}")
    if not 1 <= faults.depth <= MAX_DEPTH_FAULT:
        raise ProfileError(f"[faults] depth must be 1..{MAX_DEPTH_FAULT}")
    if not 0 <= faults.delay_ms <= MAX_DELAY_MS:
        raise ProfileError(f"[faults] delay_ms must be 0..{MAX_DELAY_MS}")
    if kind in WITHHOLD_FAULTS and (not faults.target_file or faults.at_apdu
                                    or faults.target_step):  # fmt: skip
        raise ProfileError(f"[faults] {kind} withholds a file: give target_file only")
    if kind in CONTENT_FAULTS:
        if not faults.target_file or faults.at_apdu or faults.target_step:
            raise ProfileError(f"[faults] {kind} rewrites a file: give target_file only")
        if kind == "unknown-oids" and faults.target_file not in ("EF.CardAccess", "DG14"):
            raise ProfileError("[faults] unknown-oids goes in EF.CardAccess or DG14")


def _validate_pace(settings: PACESettings) -> None:
    # Imported here: the profile module stays light for callers that only parse TOML.
    from mrtd.access.pace.mapping import integrated_mapping_supported  # noqa: PLC0415
    from mrtd.crypto.domains import ECCurve, domain_by_name  # noqa: PLC0415

    if settings.mapping not in PACE_MAPPINGS:
        raise ProfileError(f"[chip.pace] mapping must be one of {', '.join(PACE_MAPPINGS)}")
    if settings.cipher not in PACE_CIPHERS:
        raise ProfileError(f"[chip.pace] cipher must be one of {', '.join(PACE_CIPHERS)}")
    try:
        domain = domain_by_name(settings.domain)
    except KeyError:
        raise ProfileError(f"[chip.pace] unknown domain {settings.domain!r}") from None
    if settings.mapping == "CAM" and (not isinstance(domain, ECCurve) or settings.cipher == "3DES"):
        raise ProfileError("[chip.pace] CAM exists for elliptic curves with AES only")
    if (
        settings.mapping == "IM"
        and isinstance(domain, ECCurve)
        and not integrated_mapping_supported(domain)
    ):
        raise ProfileError(f"[chip.pace] the integrated mapping is not defined on {domain.name}")


def _validate_keys(settings: ChipSettings) -> None:
    """The AA and CA specs name keys the simulated chip can make (checked by making one)."""
    from mrtd.sim.active_auth_chip import ChipActiveAuthentication  # noqa: PLC0415
    from mrtd.sim.chip_auth_chip import ChipChipAuthentication  # noqa: PLC0415

    for name, spec, make in (("aa", settings.aa, ChipActiveAuthentication.spec_check),
                             ("ca", settings.ca, ChipChipAuthentication.spec_check)):  # fmt: skip
        if spec != "none":
            try:
                make(spec)
            except ValueError as exc:
                raise ProfileError(f"[chip] {name}: {exc}") from None
    big = (settings.aa.startswith("rsa-") and int(settings.aa.split("-")[1]) > 1792) or (
        settings.ca.startswith("dh-") and settings.ca.split("-")[1] != "1024"
    )
    if big and not settings.extended_length:
        raise ProfileError(
            "[chip] an RSA key over 1792 bits or a DH group over 1024 bits needs "
            "extended-length APDUs under secure messaging: set extended_length = true"
        )
    if settings.dataset and (settings.aa != "none" or settings.ca != "none"):
        raise ProfileError("[chip] dataset brings its own keys: leave aa and ca out")


def _check_short_apdus(variants: tuple[PACESettings, ...]) -> None:
    from mrtd.crypto.domains import DHGroup, domain_by_name  # noqa: PLC0415

    for settings in variants:
        domain = domain_by_name(settings.domain)
        if isinstance(domain, DHGroup) and domain.size > 200:
            raise ProfileError(
                f"[chip.pace] {domain.name} public values need extended-length APDUs: "
                "set [chip] extended_length = true"
            )
