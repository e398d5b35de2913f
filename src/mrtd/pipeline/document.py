"""The typed result of a read: what the chip holds, parsed, plus how it was read.

Each file is parsed on its own: a malformed DG2 does not lose DG1. Passive Authentication runs
on every document (`mrtd.verify.passive`); without a trust store it stays `not_checked` and
the verdict fails closed: "genuine" needs a trusted CSCA.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeVar

from mrtd import redact
from mrtd.access.pace.policy import AccessReport
from mrtd.errors import DecodeError, MRZError
from mrtd.lds import (
    PARSERS,
    COMFile,
    DG1File,
    DG2File,
    DG3File,
    DG4File,
    DG5File,
    DG7File,
    DG11File,
    DG12File,
    DG13File,
    DG15File,
    DG16File,
    DisplayedImage,
    FaceImage,
    PersonToNotify,
    parse_file,
)
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.sod import SODFile
from mrtd.mrz import MRZ
from mrtd.pipeline.result import ReadResult, Stats
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.passive import PassiveReport, passive_authentication
from mrtd.verify.verdict import Verdict, access_check, expiry_check

if TYPE_CHECKING:
    from mrtd.verify.trust import TrustStore


_T = TypeVar("_T")
_log = logging.getLogger(__name__)


FAILED = CheckStatus.FAILED


@dataclass(frozen=True, slots=True, repr=False)
class Document:
    """What was read, parsed, and the verdict.

    Personal data is only where a caller asks for it: `mrz` (its attributes), `files`,
    `parsed`, `faces`, the DG11/DG12 details. `repr()` names the files, the access protocol and
    the verdict, nothing personal. For display or logging, `redacted()` gives a JSON-able
    summary with the holder's data masked (`mrtd.redact`):

        {"document": {"format": "TD3", "document_code": "P", "issuing_state": "UTO",
                      "nationality": "UTO", "document_number": "U0•••••••",
                      "surname": "S•••", "given_names": "A••• J•••",
                      "birth_date": "••••-••-••", "expiry_date": "••••-••-••"},
         "access": {"protocol": "BAC", "downgraded": false},
         "files": {"EF.COM": 22, "EF.SOD": 991, "DG1": 93, "DG2": 21469},
         "denied": [], "absent": [], "problems": [],
         "checks": {"passive": {"status": "not_checked", "reason": "..."}, ...},
         "verdict": "incomplete", "verdict_reasons": ["passive: ..."]}
    """

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
    parsed: Mapping[str, object] = field(default_factory=dict)  # every file parsed, by name
    verdict: Verdict = field(default_factory=Verdict)
    passive: PassiveReport = field(default_factory=PassiveReport)
    stats: Stats = field(default_factory=Stats)

    @classmethod
    def from_files(
        cls,
        files: Mapping[str, bytes],
        *,
        trust: TrustStore | None = None,
        today: date | None = None,
        now: datetime | None = None,
    ) -> Document:
        """A document from files already read (a dump, a back-end upload), keyed by LDS name
        ("EF.COM", "EF.SOD", "DG1", ...), parsed and verified as after a read."""
        return cls.from_read(ReadResult(files=dict(files)), trust=trust, today=today, now=now)

    @classmethod
    def from_read(
        cls,
        read: ReadResult,
        *,
        trust: TrustStore | None = None,
        today: date | None = None,
        now: datetime | None = None,
    ) -> Document:
        """Parse every file on its own and run the checks; `trust` (CSCA certificates, master
        lists, CRLs) is what can make the verdict genuine."""
        problems: list[str] = []
        parsed: dict[str, object] = {}
        for name, raw in read.files.items():
            if name not in PARSERS:
                continue
            try:
                parsed[name] = parse_file(name, raw)
            except (DecodeError, MRZError) as exc:
                _log.warning("%s could not be parsed: %s", name, exc)
                problems.append(f"{name}: {exc}")
        com, dg1, dg2 = parsed.get("EF.COM"), parsed.get("DG1"), parsed.get("DG2")
        sod, dg11, dg12 = parsed.get("EF.SOD"), parsed.get("DG11"), parsed.get("DG12")
        mrz = dg1.mrz if isinstance(dg1, DG1File) else None
        expiry = expiry_check(mrz, today or date.today())
        passive = passive_authentication(
            sod if isinstance(sod, SODFile) else None,
            read.files,
            trust,
            issuing_state=mrz.issuing_state if mrz is not None else None,
            now=now,
        )
        if "EF.SOD" in read.files and not isinstance(sod, SODFile):
            # a chip that sends an EF.SOD no parser accepts has failed, not "has no EF.SOD"
            why = next((p for p in problems if p.startswith("EF.SOD:")), "EF.SOD: malformed")
            passive = PassiveReport(signature=CheckOutcome(FAILED, why))
        _log_passive(passive)
        document = cls(
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
            parsed=parsed,
            verdict=Verdict(
                passive=passive.outcome,
                active=read.active,
                chip=read.chip,
                expiry=expiry,
                access=access_check(read.access),
            ),
            passive=passive,
            stats=read.stats,
        )
        if _log.isEnabledFor(logging.INFO):
            checks = ", ".join(f"{n} {c.status}" for n, c in document.verdict.checks().items())
            _log.info("verdict %s (%s)", document.verdict.summary, checks)
            for reason in document.verdict.reasons:
                _log.debug("verdict reason: %s", reason)
        return document

    def _parsed(self, name: str, kind: type[_T]) -> _T | None:
        value = self.parsed.get(name)
        return value if isinstance(value, kind) else None

    @property
    def fingerprints(self) -> DG3File | None:
        """DG3's records (headers typed, data opaque); chips guard it with EAC."""
        return self._parsed("DG3", DG3File)

    @property
    def irises(self) -> DG4File | None:
        return self._parsed("DG4", DG4File)

    @property
    def displayed_portraits(self) -> tuple[DisplayedImage, ...]:
        dg5 = self._parsed("DG5", DG5File)
        return dg5.images if dg5 is not None else ()

    @property
    def signature_images(self) -> tuple[DisplayedImage, ...]:
        """DG7: the holder's displayed signature or usual mark."""
        dg7 = self._parsed("DG7", DG7File)
        return dg7.images if dg7 is not None else ()

    @property
    def optional_details(self) -> DG13File | None:
        """DG13, issuer-defined: kept as it is."""
        return self._parsed("DG13", DG13File)

    @property
    def security_infos(self) -> SecurityInfos | None:
        """DG14: the chip's Chip Authentication (and PACE) parameters."""
        return self._parsed("DG14", SecurityInfos)

    @property
    def active_authentication_key(self) -> DG15File | None:
        return self._parsed("DG15", DG15File)

    @property
    def persons_to_notify(self) -> tuple[PersonToNotify, ...]:
        dg16 = self._parsed("DG16", DG16File)
        return dg16.persons if dg16 is not None else ()

    @property
    def access_protocol(self) -> str:
        """ "PACE" or "BAC"."""
        return self.access.protocol

    def redacted(self) -> dict[str, object]:
        """A JSON-able summary safe to log or show: document type, issuing state and
        nationality as they are; document number, names and dates masked; access, the files
        with their sizes, every check and the verdict. See the class docstring."""
        mrz = self.mrz
        document: dict[str, object] = {}
        if mrz is not None:
            document = {
                "format": mrz.format.value,
                "document_code": mrz.document_code,
                "issuing_state": mrz.issuing_state,
                "nationality": mrz.nationality,
                "document_number": redact.document_number(mrz.document_number),
                "surname": redact.name(mrz.surname),
                "given_names": redact.name(mrz.given_names),
                "birth_date": redact.date(mrz.birth_date or mrz.birth_date_text),
                "expiry_date": redact.date(mrz.expiry_date or mrz.expiry_date_text),
            }
        return {
            "document": document,
            "access": self.access.as_dict(),
            "files": {name: len(data) for name, data in self.files.items()},
            "denied": list(self.denied),
            "absent": list(self.absent),
            "problems": list(self.problems),
            "checks": {name: check.as_dict() for name, check in self.verdict.checks().items()},
            "verdict": self.verdict.summary,
            "verdict_reasons": list(self.verdict.reasons),
        }

    def __repr__(self) -> str:
        files = ", ".join(f"{name} {len(data)} B" for name, data in self.files.items())
        access = f"; {self.access.protocol}" if self.access.protocol else ""
        return f"Document({files or 'no files'}{access}; verdict {self.verdict.summary})"


def _log_passive(passive: PassiveReport) -> None:
    if _log.isEnabledFor(logging.DEBUG):
        for name, check in passive.data_groups.items():
            _log.debug("passive: %s hash %s", name, check.status)
        for part in ("signature", "chain", "revocation"):
            _log.debug("passive: %s %s", part, getattr(passive, part).describe())
    _log.info("passive authentication: %s", passive.outcome.describe())
