"""Clone detection during a read: Chip Authentication after DG14, Active Authentication after
DG15 (ICAO 9303-11 §6). The protocols are sans-I/O (`mrtd.verify.chip_auth`,
`mrtd.verify.active`); this module runs them over a `ChipLink` (the `Session` is one) and turns
what happens into check outcomes. A chip that fails either is still read to the end: the
verdict says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Mapping
from typing import Protocol, TypeVar

from mrtd.access.pace.policy import AccessReport
from mrtd.apdu import CommandAPDU, ResponseAPDU
from mrtd.errors import CardStatusError, ChipAuthError, DecodeError, SecureMessagingError
from mrtd.lds.dg15 import DG15File
from mrtd.lds.security.infos import Mapping as PACEMapping
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.sod import parse_sod
from mrtd.sm import SecureChannel
from mrtd.verify.active import active_authentication
from mrtd.verify.chip_auth import chip_authentication, choose_chip_authentication
from mrtd.verify.outcome import CheckOutcome, CheckStatus

T = TypeVar("T")
PASSED, FAILED = CheckStatus.PASSED, CheckStatus.FAILED
NOT_SUPPORTED, NOT_CHECKED = CheckStatus.NOT_SUPPORTED, CheckStatus.NOT_CHECKED


class ChipLink(Protocol):
    """What the checks need of the conversation with the chip (`Session` has it all)."""

    random_bytes: Callable[[int], bytes]

    @property
    def access(self) -> AccessReport: ...

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
    """PACE-CAM's outcome, or Chip Authentication v1 with DG14's key.

    After CA the session continues under the new keys; the chip proves it holds the private
    key by answering the next command (a SELECT of the application) under them. If it cannot,
    the check fails and access is opened again so the rest of the chip is still read."""
    access = link.access
    if access.pace.get("mapping") == PACEMapping.CAM.value:
        status = access.chip_authentication
        if status == "passed":
            return CheckOutcome(PASSED, "PACE-CAM")
        return CheckOutcome(FAILED if status == "failed" else NOT_CHECKED,
                            f"PACE-CAM chip authentication {status}")  # fmt: skip
    dg14 = files.get("DG14")
    if dg14 is None:
        return _missing(files, 14, "Chip Authentication")
    try:
        chosen = choose_chip_authentication(SecurityInfos.from_dg14(dg14))
    except DecodeError as exc:
        return CheckOutcome(FAILED, f"DG14 is malformed: {exc}")
    if chosen is None:
        return CheckOutcome(NOT_SUPPORTED, "DG14 offers no Chip Authentication")
    info, key = chosen
    try:
        done = link.run(chip_authentication(info, key, random_bytes=link.random_bytes))
    except ChipAuthError as exc:
        return CheckOutcome(FAILED, f"Chip Authentication: {exc}")
    except CardStatusError as exc:
        return CheckOutcome(FAILED, f"Chip Authentication refused: {exc}")
    except SecureMessagingError as exc:  # its answer under the current keys is not genuine
        link.reopen()
        return CheckOutcome(FAILED, f"Chip Authentication: the chip's answer is not genuine: {exc}")
    link.channel = done.channel
    try:
        link.select_application()
    except SecureMessagingError:
        link.reopen()
        return CheckOutcome(
            FAILED, "the chip's answer under the Chip Authentication keys does not verify: "
            "it does not hold the private key of DG14 (a clone?)",
        )  # fmt: skip
    except CardStatusError as exc:
        link.reopen()
        reason = f"no answer under the Chip Authentication keys ({exc.sw:04X})"
        return CheckOutcome(FAILED, reason)
    cipher = f" {info.cipher.value}" if info.cipher is not None else ""
    return CheckOutcome(PASSED, f"{info.key_agreement.value} {key.domain.name}{cipher}")


def active_check(link: ChipLink, files: Mapping[str, bytes]) -> CheckOutcome:
    """Active Authentication with DG15's key, once EF.SOD vouches for DG15."""
    dg15_bytes = files.get("DG15")
    if dg15_bytes is None:
        return _missing(files, 15, "Active Authentication")
    covered = _covered_by_sod(files, dg15_bytes)
    if covered is not None:
        return covered
    try:
        dg15 = DG15File.from_bytes(dg15_bytes)
        dg14 = files.get("DG14")
        info = SecurityInfos.from_dg14(dg14).active_authentication if dg14 else None
    except DecodeError as exc:
        return CheckOutcome(FAILED, f"Active Authentication key unusable: {exc}")
    try:
        return link.run(active_authentication(dg15, info, link.random_bytes))
    except SecureMessagingError as exc:
        link.reopen()
        return CheckOutcome(FAILED, f"the answer to INTERNAL AUTHENTICATE is not genuine: {exc}")


def _missing(files: Mapping[str, bytes], number: int, protocol: str) -> CheckOutcome:
    """A chip without DG`number` does not support `protocol`, unless EF.SOD says it has one:
    then the group was hidden or refused, and the check fails."""
    raw = files.get("EF.SOD")
    try:
        listed = raw is not None and number in parse_sod(raw).data_group_hashes
    except DecodeError:
        listed = False
    if listed:
        return CheckOutcome(FAILED, f"EF.SOD lists DG{number} but the chip did not give it")
    return CheckOutcome(NOT_SUPPORTED, f"no DG{number}: the chip has no {protocol} key")


def _covered_by_sod(files: Mapping[str, bytes], dg15: bytes) -> CheckOutcome | None:
    """None when EF.SOD hashes DG15 to what was read; else why AA cannot be trusted."""
    raw = files.get("EF.SOD")
    if raw is None:
        return CheckOutcome(NOT_CHECKED, "no EF.SOD to vouch for DG15's key")
    try:
        sod = parse_sod(raw)
    except DecodeError:
        return CheckOutcome(NOT_CHECKED, "EF.SOD is malformed: DG15's key is not vouched for")
    expected = sod.data_group_hashes.get(15)
    if expected is None:
        return CheckOutcome(FAILED, "DG15 is not covered by EF.SOD")
    if hashlib.new(sod.hash_algorithm, dg15).digest() != expected:
        return CheckOutcome(FAILED, "DG15 does not match its hash in EF.SOD")
    return None
