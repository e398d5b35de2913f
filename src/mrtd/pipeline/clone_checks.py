"""Clone detection during a read: Chip Authentication after DG14, Active Authentication after
DG15 (ICAO 9303-11 §6), PACE-CAM's proof judged (§4.4.3.5). The protocols are sans-I/O
(`mrtd.verify.chip_auth`, `mrtd.verify.active`); this module runs them over a `ChipLink` (the
`Session` is one) and turns what happens into check outcomes. A chip that fails either is
still read to the end: the verdict says why.

A key is used only once the file that carries it is the one EF.SOD vouches for: DG14's and
DG15's hashes are checked against EF.SOD before Chip or Active Authentication runs with them
(`vouched`), with the very bytes the read keeps and Passive Authentication hashes again. PACE-CAM
proves the chip only when EF.CardSecurity, where its key comes from, is signed by a Document
Signer of a trusted CSCA (`mrtd.verify.card_security`) and its key is one of DG14's Chip
Authentication keys when DG14 lists any; otherwise DG14's Chip Authentication runs as if there
were no PACE-CAM.

Every outcome has a code. `active.no_key` and `chip.no_key` say the document carries no such
key (no DG15; no Chip Authentication public key in DG14 and no PACE-CAM), and nothing else
does: a key that is there but cannot be exercised is not_supported with another code
(`active.unsupported_algorithm`, `active.unsupported_key`, `chip.unsupported_version`,
`chip.unsupported_algorithm`, `chip.unsupported_key`, `chip.key_id_mismatch`). The others:

- passed: `chip.passed` (Chip Authentication), `chip.cam_passed` (PACE-CAM), `active.passed`;
- failed: `chip.failed`, `chip.refused`, `chip.cam_failed` (the chip's PACE-CAM data does not
  map to EF.CardSecurity's key, or EF.CardSecurity is unusable), `chip.clone_key_mismatch`
  (the key PACE-CAM proved is not DG14's), `chip.dg14_malformed`, `active.failed`,
  `active.refused`, `active.key_malformed`; `{chip,active}.key_withheld` (EF.SOD lists the
  group, the chip did not give it), `{chip,active}.key_not_in_sod` (EF.SOD does not hash it),
  `{chip,active}.key_hash_mismatch` (its hash differs: the key is not used);
- not_checked: `chip.cam_unverified` (EF.CardSecurity not verified to a trusted CSCA, and no
  other key proved the chip), `chip.cam_not_run` (the signed DG14 lists PACE-CAM, the read ran
  another mapping or BAC, and no other key proved the chip), `{chip,active}.key_not_vouched`
  (no usable EF.SOD to check the key with), `{chip,active}.not_run` (the read did not get that
  far, `ReadResult`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from asn1crypto import keys

from mrtd import tlv
from mrtd.access.pace import PACEResult
from mrtd.access.pace.policy import AccessReport
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.errors import CardStatusError, ChipAuthError, DecodeError, SecureMessagingError
from mrtd.lds.dg15 import DG15File
from mrtd.lds.security.infos import (
    ChipAuthenticationInfo,
    ChipAuthenticationPublicKeyInfo,
    SecurityInfos,
)
from mrtd.lds.security.infos import Mapping as PACEMapping
from mrtd.lds.security.kinds import ActiveAuthenticationInfo
from mrtd.lds.sod import parse_sod
from mrtd.sm import SecureChannel
from mrtd.verify.active import AAResult, active_authentication_exchange
from mrtd.verify.card_security import check_card_security
from mrtd.verify.chip_auth import (
    chip_authentication,
    choose_chip_authentication,
    domain_key,
    unusable_reason,
)
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.trust import TrustStore

T = TypeVar("T")
PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
NOT_SUPPORTED, NOT_CHECKED = CheckStatus.NOT_SUPPORTED, CheckStatus.NOT_CHECKED
NO_KEY = ".no_key"


@dataclass(frozen=True, slots=True, repr=False)
class CAMProof:
    """What PACE-CAM showed during access: EF.CardSecurity as read (the bytes its keys came
    from) and the key of it the chip's mapping data matched; `key` None with the `problem`
    when none did (EF.CardSecurity absent, refused or malformed, or no key matched)."""

    card_security: bytes
    key: ChipAuthenticationPublicKeyInfo | None
    problem: str = ""

    def __repr__(self) -> str:
        return f"CAMProof({'a key matched' if self.key is not None else self.problem})"


def cam_proof(
    result: PACEResult,
    card_security: bytes,
    keys: Sequence[ChipAuthenticationPublicKeyInfo],
) -> CAMProof:
    """What PACE-CAM shows with EF.CardSecurity's Chip Authentication `keys`: the key of
    `card_security` the chip's mapping data (CA_IC, 9303-11 §4.4.3.5) matches, or why none
    does. Shared by the session (EF.CardSecurity read on the new channel) and the service's
    remote proof (EF.CardSecurity uploaded, PACE run by the service)."""
    matched = next((k for k in keys if k.domain == result.domain
                    and result.verify_chip_authentication(k.public_key)), None)  # fmt: skip
    problem = "" if matched else "the chip's mapping data matches no key of EF.CardSecurity"
    return CAMProof(card_security, matched, problem)


class ChipLink(Protocol):
    """What the checks need of the conversation with the chip (`Session` has it all)."""

    random_bytes: Callable[[int], bytes]

    @property
    def access(self) -> AccessReport: ...

    @property
    def trust(self) -> TrustStore | None:
        """The CSCAs EF.CardSecurity must chain to for PACE-CAM to count."""
        ...

    @property
    def cam(self) -> CAMProof | None:
        """PACE-CAM's proof, when access ran PACE-CAM."""
        ...

    @property
    def channel(self) -> SecureChannel | None: ...

    @channel.setter
    def channel(self, channel: SecureChannel | None) -> None: ...

    def run(self, protocol: Generator[CommandAPDU, ResponseAPDU, T]) -> T: ...

    def select_application(self) -> None:
        """SELECT the eMRTD application; CardStatusError when the chip refuses."""
        ...

    def reopen(self) -> None:
        """Open access again (the chip dropped secure messaging)."""
        ...


def chip_check(link: ChipLink, files: Mapping[str, bytes]) -> CheckOutcome:
    """PACE-CAM's outcome when it proves the chip, or Chip Authentication v1 with DG14's key.

    After CA the session continues under the new keys; the chip proves it holds the private
    key by answering the next command (a SELECT of the application) under them. If it cannot,
    the check fails and access is opened again so the rest of the chip is still read."""
    dg14, problem = vouched(files, 14, "chip")
    infos: SecurityInfos | None = None
    if dg14 is not None and problem is None:
        try:
            infos = SecurityInfos.from_dg14(dg14)
        except DecodeError as exc:
            problem = CheckOutcome(FAILED, f"DG14 is malformed: {exc}", "chip.dg14_malformed")
    cam: CheckOutcome | None = None
    if link.access.pace.get("mapping") == PACEMapping.CAM.value:
        cam = _cam_check(link, infos if problem is None else None)
        link.access.chip_authentication = {PASSED: "passed", FAILED: "failed"}.get(
            cam.status, "not_checked"
        )
        if cam.status in (PASSED, FAILED) and (problem is None or cam.status is FAILED):
            return cam
    if problem is not None:
        return problem
    chip = _missing(files, 14, "chip") if infos is None else _run_ca(link, infos)
    if cam is not None and chip.code.endswith(NO_KEY):
        return cam  # PACE-CAM ran, and its key could not be verified
    if cam is None and infos is not None and chip.code.endswith(NO_KEY):
        offered = [p for p in infos.pace if p.mapping is PACEMapping.CAM]
        if offered:  # a clone of a PACE-CAM chip offers GM or IM: no key proven, not "no key"
            ran = link.access.pace.get("mapping") or link.access.protocol or "no PACE"
            return CheckOutcome(
                NOT_CHECKED, "DG14 (signed) says the chip offers PACE-CAM, but the read ran "
                f"{ran}: its key was not proven", "chip.cam_not_run",
            )  # fmt: skip
    return chip


def _cam_check(link: ChipLink, dg14: SecurityInfos | None) -> CheckOutcome:
    """PACE-CAM's proof, judged: the mapping matched a key of EF.CardSecurity, EF.CardSecurity
    verifies to a trusted CSCA, and that key is DG14's when DG14 lists keys."""
    proof = link.cam
    if proof is None or proof.key is None:
        problem = proof.problem if proof is not None else "no EF.CardSecurity was read"
        return CheckOutcome(FAILED, f"PACE-CAM chip authentication failed: {problem}",
                            "chip.cam_failed")  # fmt: skip
    signed = check_card_security(proof.card_security, link.trust)
    if signed.status is not PASSED:
        return CheckOutcome(signed.status, f"PACE-CAM not proven: {signed.reason}", signed.code)
    keys = dg14.chip_authentication_keys if dg14 is not None else ()
    if keys and not any(_same_key(key, proof.key) for key in keys):
        return CheckOutcome(
            FAILED, "the key PACE-CAM proved (EF.CardSecurity) is not DG14's Chip "
            "Authentication key (a clone?)", "chip.clone_key_mismatch",
        )  # fmt: skip
    return CheckOutcome(PASSED, "PACE-CAM", "chip.cam_passed", domain_key(proof.key))


def _run_ca(link: ChipLink, infos: SecurityInfos) -> CheckOutcome:
    chosen = choose_chip_authentication(infos)
    if chosen is None:
        reason, code = unusable_reason(infos)
        return CheckOutcome(NOT_SUPPORTED, reason, code)
    info, key = chosen
    return replace(_run_chosen(link, info, key), key=domain_key(key))


def _run_chosen(
    link: ChipLink, info: ChipAuthenticationInfo, key: ChipAuthenticationPublicKeyInfo
) -> CheckOutcome:
    try:
        done = link.run(chip_authentication(info, key, random_bytes=link.random_bytes))
    except ChipAuthError as exc:
        return CheckOutcome(FAILED, f"Chip Authentication: {exc}", "chip.failed")
    except CardStatusError as exc:
        return CheckOutcome(FAILED, f"Chip Authentication refused: {exc}", "chip.refused")
    except SecureMessagingError as exc:  # its answer under the current keys is not genuine
        link.reopen()
        return CheckOutcome(FAILED, "Chip Authentication: the chip's answer is not genuine: "
                            f"{exc}", "chip.failed")  # fmt: skip
    link.channel = done.channel
    try:
        link.select_application()
    except SecureMessagingError:
        link.reopen()
        return CheckOutcome(
            FAILED, "the chip's answer under the Chip Authentication keys does not verify: "
            "it does not hold the private key of DG14 (a clone?)", "chip.failed",
        )  # fmt: skip
    except CardStatusError as exc:
        link.reopen()
        reason = f"no answer under the Chip Authentication keys ({exc.sw:04X})"
        return CheckOutcome(FAILED, reason, "chip.failed")
    cipher = f" {info.cipher.value}" if info.cipher is not None else ""
    return CheckOutcome(
        PASSED, f"{info.key_agreement.value} {key.domain.name}{cipher}", "chip.passed"
    )


def active_check(
    link: ChipLink, files: Mapping[str, bytes], *, challenge: bytes | None = None
) -> AAResult:
    """Active Authentication with DG15's key, once EF.SOD vouches for DG15 (and for DG14,
    whose ActiveAuthenticationInfo names the ECDSA hash; an unvouched DG14 names none), over
    `challenge` when given (a back-end's), else a fresh one. The `AAResult` keeps the challenge
    sent and the chip's signature beside the outcome."""
    key = _active_key(files)
    if isinstance(key, CheckOutcome):
        return AAResult(key)
    dg15, info = key
    protocol = active_authentication_exchange(dg15, info, link.random_bytes, challenge=challenge)
    try:
        return link.run(protocol)
    except SecureMessagingError as exc:
        link.reopen()
        return AAResult(CheckOutcome(FAILED, "the answer to INTERNAL AUTHENTICATE is not "
                                     f"genuine: {exc}", "active.failed"))  # fmt: skip


def _active_key(
    files: Mapping[str, bytes],
) -> tuple[DG15File, ActiveAuthenticationInfo | None] | CheckOutcome:
    """DG15's key and DG14's ActiveAuthenticationInfo when both may be used, else the outcome
    that says why Active Authentication does not run."""
    dg15_bytes, problem = vouched(files, 15, "active")
    if problem is not None:
        return problem
    if dg15_bytes is None:
        return _missing(files, 15, "active")
    dg14, dg14_problem = vouched(files, 14, "active")
    try:
        dg15 = DG15File.from_bytes(dg15_bytes)
    except DecodeError as exc:
        if _key_algorithm(dg15_bytes) not in (None, "rsa", "ec"):
            return CheckOutcome(NOT_SUPPORTED, f"Active Authentication key: {exc}",
                                "active.unsupported_key")  # fmt: skip
        return CheckOutcome(FAILED, f"Active Authentication key unusable: {exc}",
                            "active.key_malformed")  # fmt: skip
    info = None
    if dg14 is not None and dg14_problem is None:
        try:
            info = SecurityInfos.from_dg14(dg14).active_authentication
        except DecodeError:
            info = None  # DG14 malformed: Chip Authentication says so; AA tries every hash
    return dg15, info


def vouched(
    files: Mapping[str, bytes], number: int, check: str
) -> tuple[bytes | None, CheckOutcome | None]:
    """DG`number` as read (None when it was not) and, when EF.SOD does not vouch for exactly
    those bytes, why its key must not be used (codes `check`.key_not_vouched, key_not_in_sod,
    key_hash_mismatch). The bytes returned are the very ones in `files`."""
    data = files.get(f"DG{number}")
    if data is None:
        return None, None
    name = f"DG{number}"
    raw = files.get("EF.SOD")
    if raw is None:
        return data, CheckOutcome(NOT_CHECKED, f"no EF.SOD to vouch for {name}'s key",
                                  f"{check}.key_not_vouched")  # fmt: skip
    try:
        sod = parse_sod(raw)
    except DecodeError:
        return data, CheckOutcome(NOT_CHECKED, f"EF.SOD is malformed: {name}'s key is not "
                                  "vouched for", f"{check}.key_not_vouched")  # fmt: skip
    expected = sod.data_group_hashes.get(number)
    if expected is None:
        return data, CheckOutcome(FAILED, f"{name} is not covered by EF.SOD",
                                  f"{check}.key_not_in_sod")  # fmt: skip
    if hashlib.new(sod.hash_algorithm, data).digest() != expected:
        return data, CheckOutcome(FAILED, f"{name} does not match its hash in EF.SOD: its key "
                                  "is not used", f"{check}.key_hash_mismatch")  # fmt: skip
    return data, None


def _missing(files: Mapping[str, bytes], number: int, check: str) -> CheckOutcome:
    """A chip without DG`number` has no key for `check` (`check`.no_key), unless EF.SOD says it
    has one: then the group was hidden or refused, and the check fails."""
    raw = files.get("EF.SOD")
    try:
        listed = raw is not None and number in parse_sod(raw).data_group_hashes
    except DecodeError:
        listed = False
    if listed:
        return CheckOutcome(FAILED, f"EF.SOD lists DG{number} but the chip did not give it",
                            f"{check}.key_withheld")  # fmt: skip
    protocol = "Chip Authentication" if check == "chip" else "Active Authentication"
    return CheckOutcome(NOT_SUPPORTED, f"no DG{number}: the chip has no {protocol} key",
                        f"{check}{NO_KEY}")  # fmt: skip


def _same_key(a: ChipAuthenticationPublicKeyInfo, b: ChipAuthenticationPublicKeyInfo) -> bool:
    """The same public key: domain and value (key ids and encodings may differ)."""
    return a.domain == b.domain and a.public_key == b.public_key


def _key_algorithm(dg15: bytes) -> str | None:
    """The key algorithm DG15's SubjectPublicKeyInfo names, None when it cannot be read."""
    try:
        info = keys.PublicKeyInfo.load(tlv.decode_one(dg15).value, strict=True)
        return str(info["algorithm"]["algorithm"].native)
    except (DecodeError, ValueError, TypeError, KeyError, IndexError, OverflowError):
        return None
