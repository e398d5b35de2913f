"""Simulated-chip profiles: TOML with [document], [chip] and [link] tables.

    [document]            # any field of the MRZ (as for generate_mrz), or mrz = "LINE1\nLINE2"
    [chip]                # access = ["bac"]; max_response = 223; extended_length = false
    [link]                # bitrate = 424000; latency_ms = 5
    [details]             # DG11/DG12 content: place_of_birth, address, issuing_authority, ...
    [faults]              # remove_at_apdu = N (or [N, M]); return_after_ms = 300 (-1: never)

Later issues add PACE, AA, CA and faults to the same file. The built-in default is a valid,
unexpired, fictitious passport of ICAO's specimen state Utopia.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

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
ACCESS_PROTOCOLS = frozenset({"bac"})
EOF_STATUSES = frozenset({"6282", "9000"})
MAX_PROFILE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ChipSettings:
    access: tuple[str, ...] = ("bac",)
    max_response: int = 223  # plain bytes per READ BINARY answer
    extended_length: bool = False
    eof_status: str = "6282"  # how a read that runs past the end is answered
    le_too_large: str = "truncate"  # Le > max_response: "truncate", "6700" or "6C" (6Cxx)
    data_groups: tuple[int, ...] = (1, 2)  # 3 and 4 exist but need EAC: read -> 6982
    signer: str = "ecdsa"  # which test Document Signer signs EF.SOD: "rsa" or "ecdsa"
    hash_algorithm: str = "sha256"


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
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ProfileError(f"cannot read profile {path.name}: {exc.strerror}") from None
        if len(raw) > MAX_PROFILE_BYTES:
            raise ProfileError(f"profile {path.name} is larger than 64 kB")
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ProfileError(f"profile {path.name} is not valid TOML: {exc}") from None
        return cls.from_dict(data, name=path.stem)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, name: str = "custom") -> Profile:
        unknown = set(data) - {"document", "chip", "link", "details", "faults"}
        if unknown:
            raise ProfileError(f"unknown profile tables: {', '.join(sorted(unknown))}")
        document = {**DEFAULT_DOCUMENT, **data.get("document", {})}
        return cls(
            _document_mrz(document),
            _settings(ChipSettings, data.get("chip", {}), "chip"),
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
        if settings.signer not in ("rsa", "ecdsa"):
            raise ProfileError("[chip] signer must be 'rsa' or 'ecdsa'")
    if isinstance(settings, FaultSettings) and (
        any(not isinstance(n, int) or n < 1 for n in settings.remove_at_apdu)
        or settings.return_after_ms < -1
    ):
        raise ProfileError("[faults] remove_at_apdu are APDU numbers from 1; return_after_ms >= -1")
    if isinstance(settings, DetailSettings) and settings.date_of_issue:
        text = settings.date_of_issue
        if len(text) != 8 or not text.isdigit():
            raise ProfileError("[details] date_of_issue must be YYYYMMDD")
    if isinstance(settings, LinkSettings) and (settings.bitrate <= 0 or settings.latency_ms < 0):
        raise ProfileError("[link] bitrate must be positive and latency_ms not negative")
