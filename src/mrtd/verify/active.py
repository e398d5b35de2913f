"""Active Authentication, terminal side (ICAO 9303-11 §6.1), as a sans-I/O generator:

    outcome = yield from active_authentication(dg15, info, random_bytes)

One INTERNAL AUTHENTICATE with a fresh 8-byte challenge, or the caller's (a back-end that
issued it checks the chip's signature itself: `active_authentication_exchange` keeps it in an
`AAResult`); the chip signs it with the private key of DG15. RSA signs with ISO/IEC 9796-2
scheme 1 (`mrtd.crypto.iso9796`); ECDSA with the hash DG14's ActiveAuthenticationInfo names,
as plain r || s (BSI TR-03111, 9303-11 §6.1.2.2; DER is tolerated). The result is a
`CheckOutcome`, never an exception.

Only the files, which EF.SOD vouches for, can make the check NOT_SUPPORTED (a curve or an
algorithm this library cannot use). Whatever the chip answers passes or fails: a clone must not
turn the check into "not supported" with a status word (6D00) or a signature whose trailer
names an unknown hash. Without ActiveAuthenticationInfo an ECDSA signature is tried with each
SHA hash rather than left unchecked, for the same reason.

Every outcome has a code: `active.passed`; `active.failed` (the signature does not verify),
`active.refused` (the chip would not sign), `active.key_malformed` (DG15's key is unusable);
`active.unsupported_algorithm` (DG14's ActiveAuthenticationInfo names a signature algorithm
mrtd has no mapping for) and `active.unsupported_key` (a key mrtd cannot verify with), both
not_supported: the document has a key, mrtd cannot exercise it. None of them is
`active.no_key`, which only the absence of DG15 gives (`mrtd.pipeline.clone_checks`).
Every outcome of a run carries DG15's key described (`CheckOutcome.key`: type and size), so
that a policy can refuse a chip key too small to tell the chip from a clone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from asn1crypto import algos
from cryptography.hazmat.primitives.asymmetric import rsa, utils

from mrtd import tlv
from mrtd.apdu import EXTENDED_MAX_NE, SHORT_MAX_NE, CommandAPDU, ResponseAPDU
from mrtd.crypto import iso9796
from mrtd.errors import CardStatusError, DecodeError
from mrtd.lds.dg15 import DG15File
from mrtd.lds.security.kinds import ActiveAuthenticationInfo
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.signature import PLAIN_ECDSA, SignatureCheckError, describe_key, verify

__all__ = [
    "CHALLENGE_SIZE",
    "ECDSA_HASHES",
    "INS_INTERNAL_AUTHENTICATE",
    "PLAIN_OIDS",
    "AAResult",
    "active_authentication",
    "active_authentication_exchange",
    "check_active_authentication",
    "check_challenge",
    "internal_authenticate",
    "response_size",
    "unsupported_algorithm",
]

Protocol = Generator[CommandAPDU, ResponseAPDU, CheckOutcome]
PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
NOT_SUPPORTED = CheckStatus.NOT_SUPPORTED

CHALLENGE_SIZE = 8  # RND.IFD (9303-11 §6.1.2)
INS_INTERNAL_AUTHENTICATE = 0x88
DOES_NOT_VERIFY = "Active Authentication signature does not verify"
PASSED_CODE, FAILED_CODE = "active.passed", "active.failed"

#: The hash of each ECDSA signature algorithm ActiveAuthenticationInfo may name: X9.62
#: ecdsa-with-SHA* (9303-11's example) and BSI TR-03111 ecdsa-plain-SHA*.
ECDSA_HASHES = {
    "1.2.840.10045.4.1": "sha1",
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
    **PLAIN_ECDSA,
}
PLAIN_OIDS = {digest: oid for oid, digest in PLAIN_ECDSA.items()}
UNNAMED_HASHES = ("sha256", "sha384", "sha512", "sha224", "sha1")  # tried without DG14's info
HASH_NAMES = {name: name.upper().replace("SHA", "SHA-") for name in iso9796.HASH_IDS}


def internal_authenticate(challenge: bytes, ne: int = SHORT_MAX_NE) -> CommandAPDU:
    """INTERNAL AUTHENTICATE (00 88 00 00) with RND.IFD and Le = `ne`: 00 (256) by default, as
    most terminals send it; an RSA signature over 2048 bits needs an extended Le."""
    if len(challenge) != CHALLENGE_SIZE:
        raise ValueError(f"the challenge must be {CHALLENGE_SIZE} bytes")
    return CommandAPDU(0x00, INS_INTERNAL_AUTHENTICATE, 0x00, 0x00, bytes(challenge), ne)


def response_size(dg15: DG15File) -> int:
    """The Le to ask: the modulus size (RSA), or the longest DER encoding of an ECDSA signature
    (a plain one, twice the order's size, is shorter). Asking no more than needed keeps the
    protected answer within a short APDU where it can be (RSA up to 1792 bits, every curve);
    a 256-byte signature asks for an extended Le (0000)."""
    if dg15.curve is None:
        size = (dg15.key_size + 7) // 8
        # RSA-2048: Le 00 would read as "up to 256" and stay short; 0000 asks for extended
        return size if size != SHORT_MAX_NE else EXTENDED_MAX_NE
    integer = tlv.encode(0x02, bytes(1 + (dg15.curve.n.bit_length() + 7) // 8))
    return len(tlv.encode(0x30, integer + integer))


@dataclass(frozen=True, slots=True, repr=False)
class AAResult:
    """One run of Active Authentication: its outcome, the challenge sent (None when nothing
    was sent) and the chip's answer as received after secure messaging (None when nothing was
    sent or the chip refused), so that whoever issued the challenge can check the signature
    again (`check_active_authentication`)."""

    outcome: CheckOutcome
    challenge: bytes | None = None
    signature: bytes | None = None

    def __repr__(self) -> str:
        signed = "no signature" if self.signature is None else f"{len(self.signature)} B signed"
        return f"AAResult({self.outcome.status}, {signed})"


def check_challenge(challenge: bytes) -> bytes:
    """A caller's challenge, checked before any command: bytes, exactly `CHALLENGE_SIZE` long
    (RND.IFD, 9303-11 §6.1.2); ValueError (TypeError for another type) otherwise."""
    if not isinstance(challenge, bytes | bytearray | memoryview):
        raise TypeError(f"the challenge must be bytes, not {type(challenge).__name__}")
    if len(challenge) != CHALLENGE_SIZE:
        raise ValueError(f"the challenge must be {CHALLENGE_SIZE} bytes, not {len(challenge)}")
    return bytes(challenge)


def active_authentication(
    dg15: DG15File,
    info: ActiveAuthenticationInfo | None,
    random_bytes: Callable[[int], bytes] = os.urandom,
    *,
    challenge: bytes | None = None,
) -> Protocol:
    """Challenge the chip once and check its answer with DG15's key (and DG14's `info`): the
    outcome of `active_authentication_exchange`."""
    done = yield from active_authentication_exchange(dg15, info, random_bytes, challenge=challenge)
    return done.outcome


def active_authentication_exchange(
    dg15: DG15File,
    info: ActiveAuthenticationInfo | None,
    random_bytes: Callable[[int], bytes] = os.urandom,
    *,
    challenge: bytes | None = None,
) -> Generator[CommandAPDU, ResponseAPDU, AAResult]:
    """Challenge the chip once, with `challenge` when given (8 bytes, `check_challenge`; a
    fresh one from `random_bytes` otherwise), and check its answer with DG15's key (and DG14's
    `info`). A signature algorithm `info` names that mrtd cannot check is known before any
    command: not_supported, and nothing is sent."""
    given = check_challenge(challenge) if challenge is not None else None
    unsupported = unsupported_algorithm(dg15, info)
    if unsupported is not None:
        return AAResult(unsupported)
    sent = given if given is not None else random_bytes(CHALLENGE_SIZE)
    answer = yield internal_authenticate(sent, response_size(dg15))
    if not answer.ok:
        refused = CardStatusError(answer.sw, "the chip refused INTERNAL AUTHENTICATE")
        outcome = CheckOutcome(
            FAILED, f"{refused}, although DG15 holds an Active Authentication key", "active.refused"
        )
        return AAResult(_with_key(outcome, dg15), sent)
    signature = bytes(answer.data)
    return AAResult(check_active_authentication(dg15, info, sent, signature), sent, signature)


def unsupported_algorithm(
    dg15: DG15File, info: ActiveAuthenticationInfo | None
) -> CheckOutcome | None:
    """Not_supported (`active.unsupported_algorithm`) when DG15's key is EC and DG14's `info`
    names a signature algorithm that is no ECDSA this library maps to a hash; else None."""
    if dg15.curve is None or info is None or info.signature_algorithm in ECDSA_HASHES:
        return None
    return CheckOutcome(NOT_SUPPORTED, "ActiveAuthenticationInfo names the signature algorithm "
                        f"{info.signature_algorithm}, which mrtd cannot check",
                        "active.unsupported_algorithm")  # fmt: skip


def check_active_authentication(
    dg15: DG15File,
    info: ActiveAuthenticationInfo | None,
    challenge: bytes,
    signature: bytes,
) -> CheckOutcome:
    """Whether `signature` is the chip's over `challenge` with DG15's key. `info` names the
    ECDSA hash; RSA signatures name theirs in the ISO/IEC 9796-2 trailer. The outcome carries
    DG15's key described (type, size, curve)."""
    if dg15.curve is None:
        return _with_key(_check_rsa(dg15, challenge, signature), dg15)
    return _with_key(_check_ecdsa(dg15, info, challenge, signature), dg15)


def _with_key(outcome: CheckOutcome, dg15: DG15File) -> CheckOutcome:
    """`outcome` with DG15's key described, for a policy to judge its size."""
    return replace(outcome, key=describe_key(dg15.public_key_info))


def _check_rsa(dg15: DG15File, challenge: bytes, signature: bytes) -> CheckOutcome:
    try:
        modulus, exponent = _rsa_numbers(dg15)
    except DecodeError as exc:
        return CheckOutcome(FAILED, f"Active Authentication key unusable: {exc}",
                            "active.key_malformed")  # fmt: skip
    try:
        recovered = iso9796.recover(iso9796.rsa_open(signature, modulus, exponent), dg15.key_size)
    except DecodeError:
        return CheckOutcome(FAILED, DOES_NOT_VERIFY, FAILED_CODE)
    if not recovered.matches(challenge):
        return CheckOutcome(FAILED, DOES_NOT_VERIFY, FAILED_CODE)
    name = HASH_NAMES[recovered.hash_algorithm]
    return CheckOutcome(PASSED, f"RSA-{dg15.key_size} ISO/IEC 9796-2, {name}", PASSED_CODE)


def _check_ecdsa(
    dg15: DG15File, info: ActiveAuthenticationInfo | None, challenge: bytes, signature: bytes
) -> CheckOutcome:
    assert dg15.curve is not None
    candidates: tuple[str, ...]
    if info is None:
        candidates, plain_only = UNNAMED_HASHES, False
    else:
        unsupported = unsupported_algorithm(dg15, info)
        if unsupported is not None:
            return unsupported
        candidates = (ECDSA_HASHES[info.signature_algorithm],)
        plain_only = info.signature_algorithm in PLAIN_ECDSA
    der = not plain_only and _is_der(signature)
    try:
        for hash_algorithm in candidates:
            algorithm = _algorithm(f"{hash_algorithm}_ecdsa" if der else PLAIN_OIDS[hash_algorithm])
            if verify(dg15.public_key_info, algorithm, hash_algorithm, challenge, signature):
                unnamed = " (found by trial: DG14 names no hash)" if info is None else ""
                name = HASH_NAMES[hash_algorithm]
                return CheckOutcome(
                    PASSED, f"ECDSA {dg15.curve.name}, {name}{unnamed}", PASSED_CODE
                )
    except SignatureCheckError as exc:
        return CheckOutcome(NOT_SUPPORTED, f"Active Authentication key: {exc}",
                            "active.unsupported_key")  # fmt: skip
    return CheckOutcome(FAILED, DOES_NOT_VERIFY, FAILED_CODE)


@lru_cache(maxsize=64)
def _rsa_numbers(dg15: DG15File) -> tuple[int, int]:
    """(n, e), checked by `DG15File.public_key` (n and e odd, 3 <= e < n); a negative modulus
    read unsigned."""
    key = dg15.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    numbers = key.public_numbers()
    return numbers.n, numbers.e


@cache
def _algorithm(name: str) -> algos.SignedDigestAlgorithm:
    return algos.SignedDigestAlgorithm({"algorithm": name})


def _is_der(signature: bytes) -> bool:
    """Whether `signature` is a DER ECDSA-Sig-Value (X9.62), exactly as encoded."""
    try:
        r, s = utils.decode_dss_signature(signature)
    except ValueError:
        return False
    return utils.encode_dss_signature(r, s) == signature
