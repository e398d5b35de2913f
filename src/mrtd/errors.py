"""One exception hierarchy for the whole library (docs/design.md, "Errors").

Messages never carry personal data or key material: they name the field or the check that
failed, not its value, so they are safe to log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # the type of `partial` only; pipeline.result imports nothing from here
    from mrtd.pipeline.result import ReadResult


class MRTDError(Exception):
    """Base of every error this library raises on purpose.

    `partial` is set when a read of a chip fails: what it had read and verified before the
    fault (a `ReadResult`: the files, the access report, clone-check outcomes, denied and
    absent files, statistics). It is None for every other error."""

    partial: ReadResult | None = None


# -- input: MRZ, files, images ---------------------------------------------------------------


class MRZError(MRTDError, ValueError):
    """The MRZ (typed, OCR'd or derived) is malformed or fails validation."""


class CheckDigitError(MRZError):
    """One or more MRZ check digits do not match their fields."""

    def __init__(self, message: str, failed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.failed = failed


class MRZNotFoundError(MRZError):
    """An image holds no MRZ that reads valid (all check digits). `best_guess` keeps the
    closest invalid reading, if any, for the caller; it is left out of the message."""

    def __init__(self, message: str, best_guess: str = "") -> None:
        super().__init__(message)
        self.best_guess = best_guess


class AccessKeyError(MRTDError, ValueError):
    """A CAN or manually typed key input is malformed (not an MRZ problem)."""


class DecodeError(MRTDError, ValueError):
    """Bad TLV, ASN.1, LDS structure or image data."""


class InvalidPointError(DecodeError):
    """An elliptic-curve point is malformed, off the curve, at infinity or outside the
    prime-order subgroup: a chip or a file sent a point it must not send."""


# -- the chip said no -------------------------------------------------------------------------


class CardStatusError(MRTDError):
    """The chip answered with a status word other than 9000."""

    KNOWN: ClassVar[dict[int, str]] = {
        0x6282: "end of file reached before Le bytes",
        0x6700: "wrong length",
        0x6982: "security status not satisfied",
        0x6985: "conditions of use not satisfied",
        0x6986: "command not allowed",
        0x6987: "expected secure messaging data objects missing",
        0x6988: "secure messaging data objects incorrect",
        0x6A80: "incorrect parameters in the data field",
        0x6A82: "file not found",
        0x6A86: "incorrect parameters P1-P2",
        0x6B00: "wrong parameters (offset outside the file)",
        0x6D00: "instruction not supported",
        0x6E00: "class not supported",
    }

    def __init__(self, sw: int, context: str = "") -> None:
        self.sw = sw
        meaning = self.KNOWN.get(sw, "")
        if not meaning and sw >> 8 == 0x6C:
            meaning = f"wrong Le, chip offers {sw & 0xFF}"
        text = f"status word {sw:04X}" + (f" ({meaning})" if meaning else "")
        super().__init__(f"{context}: {text}" if context else text)


class AccessDeniedError(MRTDError):
    """The chip refused access: wrong MRZ/CAN or an unsupported protocol."""


class BACError(AccessDeniedError):
    """Basic Access Control failed."""


class PACEError(AccessDeniedError):
    """PACE failed. `wrong_key` is True when the chip rejected the password (MRZ or CAN), so
    falling back to BAC would not help; False for a protocol or crypto failure."""

    def __init__(self, message: str, *, wrong_key: bool = False) -> None:
        super().__init__(message)
        self.wrong_key = wrong_key


class SecureMessagingError(MRTDError):
    """A secure-messaging response is malformed or out of step."""


class MACError(SecureMessagingError):
    """The chip answered with a wrong MAC (tampering, or SSC out of step)."""


# -- verification -----------------------------------------------------------------------------


class VerificationError(MRTDError):
    """A verification step ran and failed."""


class PassiveAuthError(VerificationError):
    """SOD hashes, the DS signature or the CSCA chain do not verify."""


class ActiveAuthError(VerificationError):
    """The chip's Active Authentication signature does not verify."""


class ChipAuthError(VerificationError):
    """Chip Authentication failed."""


class TrustStoreError(MRTDError, ValueError):
    """Trust material (CSCA certificate, master list, LDIF, CRL) that cannot be used: not
    recognised, malformed, or a master list whose own signature does not verify."""


class PolicyError(MRTDError, ValueError):
    """A verification policy that cannot be used: an unknown setting, a value of the wrong
    type or out of range, a policy file that is not TOML (so a typo never loosens a policy)."""


class UploadError(DecodeError):
    """An upload of files read from a chip that cannot be verified as sent: not JSON, an
    unknown format, an unknown file name ("SOD", "dg1"), bad base64 or hex, a field of the
    wrong type. `field` names the offending field (a JSON pointer such as "/files/DG1"), so a
    service can say where the problem is without echoing the value."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class FaceError(MRTDError, ValueError):
    """Two images whose faces cannot be compared: `reason` is "no_face", "several_faces",
    "image_unreadable" or "no_portrait" (a document without a DG2 face), and `image` says
    which image ("capture" or "portrait"). A refusal, never a guess at the face meant."""

    def __init__(self, message: str, reason: str, image: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.image = image


class ChallengeError(MRTDError):
    """An Active Authentication challenge the verification service cannot redeem: unknown,
    expired, or already used (a replay). `reason` is "unknown", "expired" or "used"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ServiceError(MRTDError):
    """The verification service could not be reached, or refused a request: `status` is the
    HTTP status (0 when no answer came) and `problem` its RFC 9457 problem document, if any."""

    def __init__(self, message: str, status: int = 0, problem: dict[str, object] | None = None):
        super().__init__(message)
        self.status = status
        self.problem = problem or {}


class ServiceConfigError(MRTDError, ValueError):
    """A verification-service configuration that cannot be used: not TOML, an unknown
    setting, a value of the wrong type, a database URL or trust path that does not work."""


class OptionalDependencyError(MRTDError, ImportError):
    """A feature needs an optional extra that is not installed (e.g. `mrtd[image]`)."""


# -- transport --------------------------------------------------------------------------------


class TransportError(MRTDError):
    """The reader or the link failed."""


class CardRemovedError(TransportError):
    """The card left the field."""


class ReaderNotFoundError(TransportError):
    """No reader matches the request."""


class CardTimeoutError(TransportError):
    """Waiting for a card or an answer took too long (no card in time, a chip that does not
    answer, a read past its `timeout`). A `TransportError` only: not the builtin
    `TimeoutError`, which is an `OSError`, so code that handles file errors never takes it."""


# -- the caller -------------------------------------------------------------------------------


class ReadCancelledError(MRTDError):
    """The caller's `cancel` was set: the read stopped between two APDUs, or stopped waiting
    for a card."""
