"""What `genuine` requires: the policy a verdict is decided under (docs/verify.md, "Policy").

The checks of a document say what was proven; a `Policy` says what a deployment needs proven.
The verdict is a pure function of the two (`mrtd.verify.verdict.decide`), so the same checks
give the same verdict under the same policy, and the JSON output names the policy that decided.

`Policy()` is the strict default: the chip must prove it is no copy (Active Authentication,
Chip Authentication or PACE-CAM), revocation must be checked against a current CRL, and only
SHA-2 hashes, RSA keys of 2048 bits or more and EC keys of 256 bits or more are accepted from
the Document Signers and CSCAs (EF.SOD's, and EF.CardSecurity's when PACE-CAM rests on it).
The chip's own keys (Active Authentication's in DG15, Chip Authentication's in DG14, PACE-CAM's
in EF.CardSecurity) have floors of their own, `min_chip_*_bits`: by default the smallest sizes
ICAO 9303-11 admits, which deployed passports use (RSA-1024 AA keys), so a bank raises them. A
deployment loosens it explicitly, in code or in a TOML file (`Policy.from_toml`), e.g. a bank
that accepts only its own country's passports and documents whose chips cannot prove
themselves:

    name = "uto-passports"
    issuing_states = ["UTO"]
    document_types = ["P"]
    clone_detection = "data_only_accepted"
    revocation = "best_effort"
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from pathlib import Path

from mrtd.bounded import read_toml
from mrtd.errors import PolicyError

__all__ = [
    "STRICT",
    "ActiveAuthentication",
    "CloneDetection",
    "DocumentStatus",
    "FaceMatch",
    "Policy",
    "Revocation",
]

SHA2 = frozenset({"sha224", "sha256", "sha384", "sha512"})
MAX_POLICY_BYTES = 64 * 1024

# The chip keys' floors under the strict default: the smallest keys ICAO 9303-11 admits for the
# chip, so that deployed passports keep reading genuine. DH and EC: the smallest standardized
# domain parameters of 9303-11 §9.5.1 (BSI TR-03110-3 Table 4), which Chip Authentication
# (§6.2) and PACE-CAM (§4.4.3.5) use as PACE does: id 0, the 1024-bit MODP group of RFC 5114
# §2.1, and ids 8 and 9, the 192-bit curves secp192r1 and brainpoolP192r1. RSA: we found no
# minimum for Active Authentication's modulus in 9303-11 §6.1; 1024 bits is the size of the
# AA keys of early chips still in circulation, so the strict default admits it.
CHIP_RSA_BITS, CHIP_DH_BITS, CHIP_EC_BITS = 1024, 1024, 192
KEY_SIZES = ("min_rsa_bits", "min_ec_bits", "min_chip_rsa_bits", "min_chip_dh_bits",
             "min_chip_ec_bits")  # fmt: skip


class CloneDetection(enum.StrEnum):
    """Whether the chip must prove it holds a key no copy has (AA, CA or PACE-CAM)."""

    REQUIRED = "required"
    DATA_ONLY_ACCEPTED = "data_only_accepted"  # a document whose chip has no such key may pass


class ActiveAuthentication(enum.StrEnum):
    """Whether a document whose verified EF.SOD lists DG15 must pass Active Authentication.
    A back-end requires it: there another proof (CA, PACE-CAM run by the client) shows
    nothing, and leaving DG15 out of an upload must not skip it (the verification service)."""

    OPTIONAL = "optional"  # any one proof of clone detection suffices (AA, CA or PACE-CAM)
    REQUIRED = "required"  # DG15 listed: AA must pass, whatever else passed


class DocumentStatus(enum.StrEnum):
    """Whether a document-status provider (lost, stolen, revoked, blocked) must clear the
    document. A listed document fails under every policy; these say what else passes."""

    REQUIRED = "required"  # a provider must have answered "not listed"
    IF_CONFIGURED = "if_configured"  # a provider that was asked must answer; none: not needed
    BEST_EFFORT = "best_effort"  # an unavailable provider is accepted (a listing still fails)


class FaceMatch(enum.StrEnum):
    """Whether the verification service accepts only when a capture sent with the upload
    matches DG2's portrait (docs/face.md). The document's verdict never depends on it: the
    face decision is its own field, and the service's `accepted` needs both."""

    NOT_REQUIRED = "not_required"  # a capture, if sent, is compared and reported
    REQUIRED = "required"  # no capture, or no match: not accepted


class Revocation(enum.StrEnum):
    """Whether a current CRL must have cleared the Document Signer."""

    REQUIRED = "required"
    BEST_EFFORT = "best_effort"  # checked when a CRL is at hand; a revoked DS fails either way


@dataclass(frozen=True, slots=True)
class Policy:
    """What `genuine` requires. Empty `issuing_states` / `document_types` admit any; state
    codes are the MRZ's three letters (DG1's issuing state, as Passive Authentication verified
    it), document types the MRZ document code without fillers ("P", "ID", "PD"; one letter
    admits every code that starts with it)."""

    name: str = "strict"
    clone_detection: CloneDetection = CloneDetection.REQUIRED
    active_authentication: ActiveAuthentication = ActiveAuthentication.OPTIONAL
    document_status: DocumentStatus = DocumentStatus.IF_CONFIGURED
    revocation: Revocation = Revocation.REQUIRED
    issuing_states: frozenset[str] = frozenset()
    document_types: frozenset[str] = frozenset()
    hashes: frozenset[str] = SHA2
    min_rsa_bits: int = 2048
    min_ec_bits: int = 256
    # the chip's Active Authentication, Chip Authentication and PACE-CAM keys
    min_chip_rsa_bits: int = CHIP_RSA_BITS
    min_chip_dh_bits: int = CHIP_DH_BITS
    min_chip_ec_bits: int = CHIP_EC_BITS
    max_trust_age: timedelta | None = None  # the CRL's age at verification; None: any age
    face_match: FaceMatch = FaceMatch.NOT_REQUIRED  # the service's acceptance, not the verdict

    def __post_init__(self) -> None:
        # Policy(revocation="best_effort") as well as Revocation.BEST_EFFORT; sets as well
        # as frozensets; codes in upper case
        for name, kind in (
            ("clone_detection", CloneDetection),
            ("active_authentication", ActiveAuthentication),
            ("document_status", DocumentStatus),
            ("revocation", Revocation),
            ("face_match", FaceMatch),
        ):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, kind(value))
            except ValueError:
                choices = ", ".join(str(c) for c in kind)
                raise PolicyError(f"{name} is one of {choices}") from None
        for name in ("issuing_states", "document_types"):
            codes = frozenset(str(c).strip().upper() for c in getattr(self, name))
            object.__setattr__(self, name, codes)
        object.__setattr__(self, "hashes", frozenset(str(h).lower() for h in self.hashes))
        if not self.name or len(self.name) > 64 or not self.name.isprintable():
            raise PolicyError("a policy's name is 1 to 64 printable characters")
        for name in KEY_SIZES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 16_384:
                raise PolicyError(f"{name} is a whole number from 0 to 16384")
        if self.max_trust_age is not None and self.max_trust_age <= timedelta(0):
            raise PolicyError("max_trust_age is positive")
        if not self.hashes:
            raise PolicyError("a policy accepts at least one hash")

    def admits_document(self, issuing_state: str, document_code: str) -> bool:
        """Whether a document of this state and MRZ document code may be genuine here."""
        state = issuing_state.strip("<").upper()
        code = document_code.strip("<").upper()
        if self.issuing_states and state not in self.issuing_states:
            return False
        if not self.document_types:
            return True
        return any(code == t or (len(t) == 1 and code[:1] == t) for t in self.document_types)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready and loadable again by `from_mapping`."""
        out: dict[str, object] = {
            "name": self.name,
            "clone_detection": str(self.clone_detection),
            "active_authentication": str(self.active_authentication),
            "document_status": str(self.document_status),
            "revocation": str(self.revocation),
            "issuing_states": sorted(self.issuing_states),
            "document_types": sorted(self.document_types),
            "hashes": sorted(self.hashes),
            "min_rsa_bits": self.min_rsa_bits,
            "min_ec_bits": self.min_ec_bits,
            "min_chip_rsa_bits": self.min_chip_rsa_bits,
            "min_chip_dh_bits": self.min_chip_dh_bits,
            "min_chip_ec_bits": self.min_chip_ec_bits,
        }
        if self.face_match is not FaceMatch.NOT_REQUIRED:
            out["face_match"] = str(self.face_match)
        if self.max_trust_age is not None:
            out["max_trust_age_days"] = self.max_trust_age / timedelta(days=1)
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Policy:
        """A policy from a mapping (a parsed TOML table): every key optional, unknown keys and
        wrong types refused with `PolicyError`, so a typo never loosens a policy silently."""
        known = {f.name for f in fields(cls)} - {"max_trust_age"} | {"max_trust_age_days"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PolicyError(f"unknown policy setting(s): {', '.join(unknown)}")
        changes: dict[str, object] = {}
        if "name" in data:
            changes["name"] = _text(data, "name")
        if "clone_detection" in data:
            changes["clone_detection"] = _choice(data, "clone_detection", CloneDetection)
        if "active_authentication" in data:
            changes["active_authentication"] = _choice(
                data, "active_authentication", ActiveAuthentication
            )
        if "document_status" in data:
            changes["document_status"] = _choice(data, "document_status", DocumentStatus)
        if "revocation" in data:
            changes["revocation"] = _choice(data, "revocation", Revocation)
        if "face_match" in data:
            changes["face_match"] = _choice(data, "face_match", FaceMatch)
        if "issuing_states" in data:
            changes["issuing_states"] = _codes(data, "issuing_states", 1, 3)
        if "document_types" in data:
            changes["document_types"] = _codes(data, "document_types", 1, 2)
        if "hashes" in data:
            hashes = frozenset(c.lower() for c in _codes(data, "hashes", 4, 10))
            if not hashes <= SHA2 | {"sha1"}:
                raise PolicyError(f"hashes: only {', '.join(sorted(SHA2 | {'sha1'}))} are known")
            changes["hashes"] = hashes
        for key in KEY_SIZES:
            if key in data:
                changes[key] = _integer(data, key)
        if "max_trust_age_days" in data:
            days = data["max_trust_age_days"]
            if isinstance(days, bool) or not isinstance(days, int | float):
                raise PolicyError("max_trust_age_days is a number of days")
            if not 0 < days <= 36_500:
                raise PolicyError("max_trust_age_days is between 0 and 36,500")
            changes["max_trust_age"] = timedelta(days=days)
        return replace(cls(), **changes)  # type: ignore[arg-type]

    @classmethod
    def from_toml(cls, path: str | Path) -> Policy:
        """A policy from a TOML file: its settings at the top level or in a [policy] table;
        the name defaults to the file's stem."""
        path = Path(path)
        data = read_toml(path, MAX_POLICY_BYTES, PolicyError, "the policy file")
        table = data.get("policy", data)
        if not isinstance(table, dict) or ("policy" in data and len(data) > 1):
            raise PolicyError("a policy file holds its settings at the top or in [policy] alone")
        return cls.from_mapping({"name": path.stem, **table})


STRICT = Policy()


def _text(data: Mapping[str, object], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise PolicyError(f"{key} is text")
    return value


def _choice(data: Mapping[str, object], key: str, kind: type[enum.StrEnum]) -> object:
    value = _text(data, key)
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(str(c) for c in kind)
        raise PolicyError(f"{key} is one of {choices}") from None


def _codes(data: Mapping[str, object], key: str, shortest: int, longest: int) -> frozenset[str]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{key} is a list of text")
    codes: Iterable[str] = (v.strip().upper() for v in value)
    out = frozenset(codes)
    if any(not (shortest <= len(c) <= longest and c.isalnum()) for c in out):
        raise PolicyError(f"{key}: each entry is {shortest} to {longest} letters or digits")
    return out


def _integer(data: Mapping[str, object], key: str) -> int:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 16_384:
        raise PolicyError(f"{key} is a whole number from 0 to 16384")
    return value
