"""The typed result of a read: what the chip holds, parsed, plus how it was read.

Each file is parsed on its own: a malformed DG2 does not lose DG1. Verification is a separate
step (`mrtd.verify`, coming); until it runs, every check is `not_checked` and the verdict
fails closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from mrtd.checks import CheckOutcome, CheckStatus
from mrtd.errors import DecodeError, MRZError
from mrtd.lds import COMFile, DG1File, DG2File, DG11File, DG12File, FaceImage
from mrtd.lds.sod import SODFile
from mrtd.mrz import MRZ
from mrtd.pace.policy import AccessReport
from mrtd.session import ReadResult, Stats


@dataclass(frozen=True, slots=True)
class Verdict:
    """Fail closed: "genuine" only when passive authentication passed against a trusted CSCA."""

    passive: CheckOutcome = CheckOutcome(CheckStatus.NOT_CHECKED, "passive authentication not run")
    active: CheckOutcome = CheckOutcome(CheckStatus.NOT_CHECKED)
    chip: CheckOutcome = CheckOutcome(CheckStatus.NOT_CHECKED)
    expiry: CheckOutcome = CheckOutcome(CheckStatus.NOT_CHECKED)

    @property
    def failed(self) -> bool:
        return any(c.status is CheckStatus.FAILED for c in self.checks().values())

    @property
    def summary(self) -> str:
        if self.failed:
            return "failed"
        return "genuine" if self.passive.status is CheckStatus.PASSED else "unverified"

    def checks(self) -> dict[str, CheckOutcome]:
        return {"passive": self.passive, "active": self.active, "chip": self.chip,
                "expiry": self.expiry}  # fmt: skip


@dataclass(frozen=True, slots=True, repr=False)
class Document:
    files: Mapping[str, bytes]
    access: AccessReport = field(default_factory=AccessReport)
    denied: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    com: COMFile | None = None
    mrz: MRZ | None = None
    faces: tuple[FaceImage, ...] = ()
    sod: SODFile | None = None
    personal_details: DG11File | None = None
    document_details: DG12File | None = None
    problems: tuple[str, ...] = ()  # files that could not be parsed, and why
    verdict: Verdict = field(default_factory=Verdict)
    stats: Stats = field(default_factory=Stats)

    @classmethod
    def from_read(cls, read: ReadResult, *, today: date | None = None) -> Document:
        problems: list[str] = []

        def parse(name: str, parser: type) -> object:
            raw = read.files.get(name)
            if raw is None:
                return None
            try:
                return parser.from_bytes(raw)  # type: ignore[attr-defined]
            except (DecodeError, MRZError) as exc:
                problems.append(f"{name}: {exc}")
                return None

        com = parse("EF.COM", COMFile)
        dg1 = parse("DG1", DG1File)
        dg2 = parse("DG2", DG2File)
        sod = parse("EF.SOD", SODFile)
        dg11 = parse("DG11", DG11File)
        dg12 = parse("DG12", DG12File)
        mrz = dg1.mrz if isinstance(dg1, DG1File) else None
        expiry = _expiry_check(mrz, today or date.today())
        passive = _passive_check(sod if isinstance(sod, SODFile) else None, read.files)
        return cls(
            files=dict(read.files),
            access=read.access,
            denied=tuple(read.denied),
            absent=tuple(read.absent),
            com=com if isinstance(com, COMFile) else None,
            mrz=mrz,
            faces=dg2.faces if isinstance(dg2, DG2File) else (),
            sod=sod if isinstance(sod, SODFile) else None,
            personal_details=dg11 if isinstance(dg11, DG11File) else None,
            document_details=dg12 if isinstance(dg12, DG12File) else None,
            problems=tuple(problems),
            verdict=Verdict(passive=passive, expiry=expiry),
            stats=read.stats,
        )

    @property
    def access_protocol(self) -> str:
        """ "PACE" or "BAC"."""
        return self.access.protocol

    def __repr__(self) -> str:
        return f"Document({', '.join(self.files)}, <personal data redacted>)"


def _passive_check(sod: SODFile | None, files: Mapping[str, bytes]) -> CheckOutcome:
    """Fail closed: a data group that differs from its EF.SOD hash, or a DS signature that does
    not verify, fails; when all verify the check stays not_checked, because the DS certificate
    has not been chained to a trusted CSCA yet."""
    if sod is None:
        return CheckOutcome(CheckStatus.NOT_CHECKED, "no EF.SOD")
    from mrtd.verify.passive import check_sod  # noqa: PLC0415 - verify imports this module

    result = check_sod(sod, files)
    if result.failed:
        reasons = [c.reason for c in result.data_groups.values() if c.status is CheckStatus.FAILED]
        if result.signature.status is CheckStatus.FAILED:
            reasons.append(result.signature.reason)
        return CheckOutcome(CheckStatus.FAILED, "; ".join(reasons))
    if result.signature.status is not CheckStatus.PASSED:
        return CheckOutcome(CheckStatus.NOT_CHECKED, result.signature.reason)
    return CheckOutcome(
        CheckStatus.NOT_CHECKED,
        "data group hashes and DS signature verify; chain to a trusted CSCA not checked",
    )


def _expiry_check(mrz: MRZ | None, today: date) -> CheckOutcome:
    if mrz is None or mrz.expiry_date is None:
        return CheckOutcome(CheckStatus.NOT_CHECKED, "no date of expiry")
    if mrz.expiry_date < today:
        return CheckOutcome(CheckStatus.FAILED, "document expired")
    return CheckOutcome(CheckStatus.PASSED)
