"""The typed result of a read: what the chip holds, parsed, plus how it was read.

Each file is parsed on its own: a malformed DG2 does not lose DG1. Passive Authentication runs
on every document (`mrtd.verify.passive`); without a trust store it stays `not_checked` and
the verdict fails closed: "genuine" needs a trusted CSCA.

Files read elsewhere (a dump, a back-end upload) become a `Document` through `verify_files`,
which recognises them by content (`lds_file_name`), never by their names.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from mrtd import redact, tlv
from mrtd.access.keys import AccessKey, MRZKey
from mrtd.access.pace.policy import AccessReport
from mrtd.errors import AccessKeyError, DecodeError, MRZError
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
from mrtd.lds.files import LDS_FILES, LDS_TAGS
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.sod import SODContentTypeError, SODFile
from mrtd.mrz import MRZ
from mrtd.pipeline.result import ReadResult, Stats
from mrtd.status.base import StatusProvider, check_status
from mrtd.verify.card_security import (
    CAM_UNVERIFIED,
    CardSecurityReport,
    DocumentFacts,
    verify_card_security,
)
from mrtd.verify.outcome import CheckOutcome, CheckStatus
from mrtd.verify.passive import PassiveReport, passive_authentication
from mrtd.verify.policy import STRICT, Policy
from mrtd.verify.verdict import (
    Evidence,
    SignerEvidence,
    Verdict,
    access_check,
    decide,
    expiry_check,
)

if TYPE_CHECKING:
    from mrtd.verify.trust import TrustStore


__all__ = [
    "MAX_INPUT_FILE",
    "Document",
    "collect_files",
    "lds_file_name",
    "split_padding",
    "verify_files",
]

_T = TypeVar("_T")
_log = logging.getLogger(__name__)
MAX_INPUT_FILE = 16 << 20  # EF.DG2 and DG3 stay far below this; anything larger is no LDS file


PASSED, FAILED, NOT_CHECKED = CheckStatus.PASSED, CheckStatus.FAILED, CheckStatus.NOT_CHECKED


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
    verdict: Verdict = field(default_factory=lambda: decide(Evidence()))
    passive: PassiveReport = field(default_factory=PassiveReport)
    stats: Stats = field(default_factory=Stats)
    # Active Authentication's challenge and the chip's signature over it (`ReadResult`), for
    # a back-end that issued the challenge to check; None when it did not run. Not in repr().
    active_challenge: bytes | None = None
    active_signature: bytes | None = None

    @classmethod
    def from_files(
        cls,
        files: Mapping[str, bytes],
        *,
        trust: TrustStore | None = None,
        today: date | None = None,
        now: datetime | None = None,
        policy: Policy = STRICT,
    ) -> Document:
        """A document from files already read (a dump, a back-end upload), keyed by LDS name
        ("EF.COM", "EF.SOD", "DG1", ...), parsed and verified as after a read."""
        read = ReadResult(files=dict(files))
        return cls.from_read(read, trust=trust, today=today, now=now, policy=policy)

    @classmethod
    def from_read(
        cls,
        read: ReadResult,
        *,
        trust: TrustStore | None = None,
        today: date | None = None,
        now: datetime | None = None,
        policy: Policy = STRICT,
        key: AccessKey | None = None,
        file_quirks: tuple[str, ...] = (),
        card_security: bool = False,
        status: StatusProvider | None = None,
    ) -> Document:
        """Parse every file on its own, run the checks and decide the verdict under `policy`
        (the strict default unless given); `trust` (CSCA certificates, master lists, CRLs) is
        what can make Passive Authentication pass, `key` the access key that opened the chip
        (it must be DG1's). `file_quirks` (padding cut off files given) go to the passive
        report; `card_security` verifies EF.CardSecurity, if present, there too
        (`verify_files`). `status` is asked whether the document is listed as lost, stolen,
        revoked or blocked (`mrtd.status`)."""
        problems: list[str] = []
        content_type_error = False
        parsed: dict[str, object] = {}
        for name, raw in read.files.items():
            if name not in PARSERS:
                continue
            try:
                parsed[name] = parse_file(name, raw)
            except (DecodeError, MRZError) as exc:
                content_type_error |= isinstance(exc, SODContentTypeError)
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
            document_type=mrz.document_code if mrz is not None else None,
            document_expiry=mrz.expiry_date if mrz is not None else None,
            now=now,
        )
        if "EF.SOD" in read.files and not isinstance(sod, SODFile):
            # a chip that sends an EF.SOD no parser accepts has failed, not "has no EF.SOD"
            why = next((p for p in problems if p.startswith("EF.SOD:")), "EF.SOD: malformed")
            code = "passive.content_type" if content_type_error else "passive.sod_malformed"
            passive = PassiveReport(signature=CheckOutcome(FAILED, why, code))
        if file_quirks:
            passive = replace(passive, quirks=(*passive.quirks, *file_quirks))
        facts = DocumentFacts(
            mrz.issuing_state if mrz is not None else None,
            mrz.document_code if mrz is not None else None,
            mrz.expiry_date if mrz is not None else None,
        )
        if card_security and "EF.CardSecurity" in read.files:
            checked = verify_card_security(
                read.files["EF.CardSecurity"], trust, now=now, document=facts
            )
            passive = replace(passive, card_security=checked)
        chip, cam_signer = _cam_for_this_document(read.chip, read.files, trust, now, facts)
        access = read.access
        if chip is not read.chip and access.chip_authentication == "passed":
            access = replace(access, chip_authentication="not_checked")  # as the verdict says
        _log_passive(passive)
        document = cls(
            files=dict(read.files),
            access=access,
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
            verdict=decide(
                Evidence(
                    passive=passive.outcome,
                    revocation=passive.revocation,
                    algorithms=passive.algorithms,
                    crl_age=_age(passive.crl_issued, now),
                    active=read.active,
                    chip=chip,
                    expiry=expiry,
                    access=access_check(access),
                    binding=binding_check(key, mrz),
                    completeness=completeness_check(read.files, passive),
                    issuing_state=mrz.issuing_state if mrz is not None else "",
                    document_code=mrz.document_code if mrz is not None else "",
                    active_listed=isinstance(sod, SODFile) and 15 in sod.data_group_hashes,
                    status=check_status(status, mrz),
                    card_security=cam_signer,
                ),
                policy,
            ),
            passive=passive,
            stats=read.stats,
            active_challenge=read.active_challenge,
            active_signature=read.active_signature,
        )
        if _log.isEnabledFor(logging.INFO):
            checks = ", ".join(f"{n} {c.status}" for n, c in document.verdict.checks.items())
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
            "checks": {name: check.as_dict() for name, check in self.verdict.checks.items()},
            "verdict": self.verdict.summary,
            "verdict_reasons": list(self.verdict.reasons),
            "verdict_codes": list(self.verdict.codes),
            "policy": self.verdict.policy.name,
        }

    def __repr__(self) -> str:
        files = ", ".join(f"{name} {len(data)} B" for name, data in self.files.items())
        access = f"; {self.access.protocol}" if self.access.protocol else ""
        return f"Document({files or 'no files'}{access}; verdict {self.verdict.summary})"


MANDATORY_GROUPS = ("DG1", "DG2")  # 9303-10 §4.7: the MRZ and the face
EAC_GROUPS = ("DG3", "DG4")  # behind Terminal Authentication, which mrtd does not run


def completeness_check(files: Mapping[str, bytes], passive: PassiveReport) -> CheckOutcome:
    """Passed when DG1, DG2 and every data group EF.SOD lists were read (DG3 and DG4 may stay
    behind EAC): a chip that withholds a group it signed (6A82, 6982 on DG2, DG11, ...) must
    not leave the rest reading as a whole document."""
    missing = [name for name in MANDATORY_GROUPS if name not in files]
    missing += [
        name
        for name, outcome in passive.data_groups.items()
        if outcome.code == "passive.dg_not_read" and name not in (*EAC_GROUPS, *missing)
    ]
    if missing:
        return CheckOutcome(
            NOT_CHECKED, f"not read: {', '.join(missing)}", "completeness.dg_withheld"
        )
    return CheckOutcome(PASSED)


def binding_check(key: AccessKey | None, mrz: MRZ | None) -> CheckOutcome:
    """Whether the MRZ key that opened the chip is DG1's (document number, birth and expiry
    dates): a chip opened with one person's MRZ that serves another's signed files fails.
    A CAN names no holder, so there is nothing to compare."""
    if not isinstance(key, MRZKey):
        return CheckOutcome(NOT_CHECKED, "no MRZ key to compare with DG1", "binding.no_mrz_key")
    if mrz is None:
        return CheckOutcome(NOT_CHECKED, "no DG1 to compare the key with", "binding.no_dg1")
    try:
        with MRZKey.from_mrz(mrz) as dg1_key:
            same = hmac.compare_digest(dg1_key.mrz_information, key.mrz_information)
    except (AccessKeyError, MRZError):
        return CheckOutcome(FAILED, "DG1 makes no access key", "binding.dg1_unusable")
    if not same:
        return CheckOutcome(
            FAILED, "the key that opened the chip is not DG1's", "binding.key_mismatch"
        )
    return CheckOutcome(PASSED)


def _cam_for_this_document(
    chip: CheckOutcome,
    files: Mapping[str, bytes],
    trust: TrustStore | None,
    now: datetime | None,
    facts: DocumentFacts,
) -> tuple[CheckOutcome, SignerEvidence | None]:
    """PACE-CAM's pass, held to the document: the read verified EF.CardSecurity before DG1 was
    read, so here its Document Signer is checked against DG1's issuing state, document type
    and expiry as EF.SOD's is. A DS of another state (or one whose documentTypeList excludes
    the document) proves no key of this document: `chip.cam_unverified`. A pass comes with
    what the policy judges of that signer (revocation, algorithms, the CRL's age)."""
    if chip.status is not PASSED or chip.code != "chip.cam_passed":
        return chip, None
    data = files.get("EF.CardSecurity")
    if data is None:
        return CheckOutcome(NOT_CHECKED, "PACE-CAM not proven: EF.CardSecurity was not kept",
                            CAM_UNVERIFIED, chip.key), None  # fmt: skip
    bound = verify_card_security(data, trust, now=now, document=facts)
    if bound.outcome.status is PASSED:
        return chip, _signer_evidence(bound, now)
    return CheckOutcome(NOT_CHECKED, "PACE-CAM not proven for this document: "
                        f"{bound.outcome.reason}", CAM_UNVERIFIED, chip.key), None  # fmt: skip


def _signer_evidence(report: CardSecurityReport, now: datetime | None) -> SignerEvidence:
    return SignerEvidence(report.revocation, report.algorithms, _age(report.crl_issued, now))


def _age(issued: datetime | None, now: datetime | None) -> timedelta | None:
    if issued is None:
        return None
    return (now or datetime.now(UTC)) - issued


def _log_passive(passive: PassiveReport) -> None:
    if _log.isEnabledFor(logging.DEBUG):
        for name, check in passive.data_groups.items():
            _log.debug("passive: %s hash %s", name, check.status)
        for part in ("signature", "chain", "revocation"):
            _log.debug("passive: %s %s", part, getattr(passive, part).describe())
    _log.info("passive authentication: %s", passive.outcome.describe())


def verify_files(
    files: Mapping[str, bytes] | Iterable[str | os.PathLike[str]],
    *,
    trust: TrustStore | None = None,
    today: date | None = None,
    now: datetime | None = None,
    policy: Policy = STRICT,
    status: StatusProvider | None = None,
) -> Document:
    """Parse and verify files read before (a dump, a back-end upload): the `Document` with its
    verdict, as after a read of the chip (no clone checks: "not read from a chip").

    `files` is a mapping of LDS name ("EF.COM", "EF.SOD", "DG1", ...) to bytes, or paths of
    files and folders, recognised by content (`collect_files`). `trust` (CSCA certificates,
    master lists, CRLs) is what can make Passive Authentication pass. Paths raise `OSError`
    (missing, unreadable) and `DecodeError` (not an eMRTD file, two files that are the same
    file, none at all).

    Each file counts as its TLV object: block padding after it (all 0x00 or all 0xFF) is cut
    off before hashing and reported in `passive.quirks`. EF.CardSecurity, when given, is
    verified too (`passive.card_security`): a signature that does not verify fails Passive
    Authentication. `status` (a `mrtd.status` provider) is asked about the document."""
    if isinstance(files, Mapping):
        given = dict(files)
    else:
        given = {name: data for name, (_, data) in collect_files(files).items()}
    return _verify_given(given, trust=trust, today=today, now=now, policy=policy, status=status)


CloneChecks = Callable[[Mapping[str, bytes]], tuple[CheckOutcome, CheckOutcome]]
"""Files (padding cut off) -> the (active, chip) outcomes a caller established otherwise."""


def _verify_given(
    given: Mapping[str, bytes],
    *,
    trust: TrustStore | None,
    today: date | None,
    now: datetime | None,
    policy: Policy,
    clone_checks: CloneChecks | None = None,
    status: StatusProvider | None = None,
) -> Document:
    """`verify_files`' path, shared with `mrtd.pipeline.upload.verify_upload`: each file cut
    to its TLV object (padding noted in the quirks), EF.CardSecurity verified, and the
    Active and Chip Authentication outcomes `clone_checks` gives for the files as hashed
    (else "not read from a chip")."""
    found: dict[str, bytes] = {}
    quirks: list[str] = []
    for name, data in given.items():
        found[name], note = split_padding(name, bytes(data))
        if note is not None:
            quirks.append(note)
    read = ReadResult(files=found)
    if clone_checks is not None:
        read.active, read.chip = clone_checks(found)
    return Document.from_read(read, trust=trust, today=today, now=now, policy=policy,
                              file_quirks=tuple(quirks), card_security=True,
                              status=status)  # fmt: skip


def collect_files(
    paths: Iterable[str | os.PathLike[str]],
) -> dict[str, tuple[Path, bytes]]:
    """LDS name -> (path, bytes), in LDS order. A file named here must be an eMRTD file; in a
    folder, other files are passed over. Two files that are the same LDS file, or none at all,
    are a `DecodeError`; a path that is not there, or cannot be read, an `OSError`."""
    found: dict[str, tuple[Path, bytes]] = {}
    for path in map(Path, paths):
        if path.is_dir():
            entries = sorted(p for p in path.iterdir() if p.is_file())
            candidates = [(p, lds_file_name(_read(p))) for p in entries]
            named = [(p, n) for p, n in candidates if n is not None]
        elif path.is_file():
            name = lds_file_name(_read(path))
            if name is None:
                raise DecodeError(f"{path}: not an eMRTD file (no LDS tag, not SecurityInfos)")
            named = [(path, name)]
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
        for file, name in named:
            if name in found:
                raise DecodeError(f"{file} and {found[name][0]} are both {name}")
            found[name] = (file, _read(file))
    if not found:
        raise DecodeError("no eMRTD files found")
    order = list(LDS_FILES)
    return dict(sorted(found.items(), key=lambda item: order.index(item[0])))


def lds_file_name(data: bytes) -> str | None:
    """The eMRTD file `data` is, by content: EF.COM, DG1..DG16, EF.SOD by their outer tag,
    EF.CardSecurity by its CMS content type, EF.CardAccess as a bare SecurityInfos SET; None
    if it is none of them.

    An LDS file needs its tag and a length that fills the file (padding after it allowed:
    some readers dump whole blocks), or an indefinite length (BER, seen in EF.SOD): a tag
    byte alone is one chance in four of any file's first byte being 6x or 7x. EF.CardSecurity
    and EF.CardAccess may be padded too."""
    try:
        parsed = tlv.header(data[:8])
        if parsed is not None:
            tag, size, length = parsed
            padding = data[size + length :]
            if size + length > len(data) or padding.strip(b"\x00\xff"):
                return None
            if tag in LDS_TAGS:
                return LDS_TAGS[tag]
            data = data[: size + length]  # a SecurityInfos file, block-padded
    except DecodeError:  # LDS tags are one byte; 80 is the indefinite length
        if data[1:2] == b"\x80":
            return LDS_TAGS.get(data[0])
    for name, parse in (("EF.CardSecurity", SecurityInfos.from_card_security),
                        ("EF.CardAccess", SecurityInfos.from_bytes)):  # fmt: skip
        try:
            parse(data)
        except DecodeError:
            continue
        return name
    return None


def split_padding(name: str, data: bytes) -> tuple[bytes, str | None]:
    """A file given for verification as its TLV object (the outer tag and its length) and a
    note of the block padding after it, if any: trailing bytes all 0x00 or all 0xFF, as some
    dump tools write them. Anything else after the object (mixed bytes, other data) is not
    padding: the file is returned whole, to fail its hash as it did before."""
    try:
        parsed = tlv.header(data[:8])
    except DecodeError:  # indefinite length (BER EF.SOD): nothing to cut
        return data, None
    if parsed is None:
        return data, None
    end = parsed[1] + parsed[2]
    padding = data[end:]
    if not padding or end > len(data):
        return data, None
    for byte in (0x00, 0xFF):
        if padding.count(byte) == len(padding):
            note = f"{name}: {len(padding)} byte(s) of 0x{byte:02X} padding after the TLV"
            return data[:end], note
    return data, None


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_FILE + 1)
    except OSError as exc:
        raise OSError(f"{path}: {exc.strerror}") from None
    if len(data) > MAX_INPUT_FILE:
        raise DecodeError(f"{path}: larger than {MAX_INPUT_FILE >> 20} MiB, not an eMRTD file")
    return data
