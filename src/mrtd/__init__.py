"""mrtd: read and verify ICAO 9303 electronic passports and ID cards.

The main jobs, from this package alone:

    from mrtd import MRZKey, TrustStore, read_document, verify_files

    document = read_document("pcsc", MRZKey("L898902C3", "740812", "120415"))
    print(document.mrz.surname, document.verdict.summary, document.verdict.reasons)

- read a chip: `read_document` (a reader by name, "sim", "pcsc", "nfc", as `mrtd read
  --reader` takes it, or a `Transport`), `open_reader`, `list_readers`; for an application,
  the progress events (`ReadEvent`: `WaitingForCard`, `AccessStarted`, `AccessOpened`,
  `FileProgress`, `FileDone`, `CheckDone`; `OnEvent`), `Cancel`, a `timeout`, and the
  `ReadResult` that a failed read carries as `exc.partial`;
- verify files read before: `verify_files`; an upload of them (a phone's or kiosk's, with
  an Active Authentication signature over the verifier's challenge): `parse_upload`,
  `Upload`, `verify_upload`;
- the result: `Document` and its `Verdict` (`CheckOutcome`, `CheckStatus`, `Reason`), decided
  under a `Policy` (what genuine requires; `STRICT` unless given);
- the trust store: `TrustStore` (CSCA certificates, master lists, LDIF, CRLs);
- the keys: `AccessKey`, `MRZKey`, `CANKey`;
- the MRZ: `MRZ`, `parse_mrz`, `repair_mrz` (`Check`, `RepairStatus`); from a photo or
  scan `read_mrz_image`, from one cropped line `read_mrz_line` (the `image` extra);
- the face: `compare_faces` of a live capture with the DG2 portrait, a `FaceComparison` (the
  `face` extra; docs/face.md);
- the errors: `MRTDError` and its subclasses (`mrtd.errors`; no card or no answer in time is
  `CardTimeoutError`, a `TransportError`, not the builtin `TimeoutError`).

Names are resolved on first use (PEP 562): `import mrtd` loads `mrtd.errors` only, and the
parsers, the crypto, pyscard, nfcpy and OpenCV come when a name that needs them is used.

Public modules (a change to them is a CHANGELOG entry; before 1.0, in minor releases only):
`mrtd`, `mrtd.errors`, `mrtd.tlv`, `mrtd.mrz`, `mrtd.mrz.ocr`, `mrtd.lds` (with
`mrtd.lds.security`), `mrtd.verify.trust`, `mrtd.verify.outcome`, `mrtd.verify.verdict`,
`mrtd.verify.policy`,
`mrtd.access.keys`, `mrtd.readers` (`Transport` for an application's own transport,
`open_reader`), `mrtd.readers.simulated`, `mrtd.pipeline.events`, `mrtd.pipeline.result`,
`mrtd.status` (document-status providers), `mrtd.face` (face comparison), `mrtd.service`
(`create_app`, `ServiceConfig`, `load_config`, the client's `verify_with_service`; the HTTP
API is docs/service.md), and
the simulated chip for tests and demos: `mrtd.sim.chip`, `mrtd.sim.profile`, `mrtd.sim.pki`.
Internal (may change in any release): names with a leading underscore, `mrtd.apdu`,
`mrtd.der`, `mrtd.redact`, `mrtd.crypto` (except `crypto.backend()`), `mrtd.sm`,
`mrtd.access.bac`, `mrtd.access.pace`, the rest of `mrtd.verify` and `mrtd.pipeline`
(`session`, `read_binary`, `clone_checks`), the rest of `mrtd.sim`, and `mrtd.cli` (the
`mrtd` command is the interface: docs/design.md, "The `mrtd` command").

The library logs under the "mrtd" logger (a NullHandler here: nothing is shown unless the
application configures logging), one logger per module (`mrtd.pipeline.session`): INFO for
the access protocol, files read and checks, DEBUG for protocol steps, and "mrtd.apdu" DEBUG
for each APDU's header, sizes and status word. No record carries personal data or key
material.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from mrtd.errors import (
    AccessDeniedError,
    AccessKeyError,
    ActiveAuthError,
    BACError,
    CardRemovedError,
    CardStatusError,
    CardTimeoutError,
    ChallengeError,
    CheckDigitError,
    ChipAuthError,
    DecodeError,
    FaceError,
    InvalidPointError,
    MACError,
    MRTDError,
    MRZError,
    MRZNotFoundError,
    OptionalDependencyError,
    PACEError,
    PassiveAuthError,
    PolicyError,
    ReadCancelledError,
    ReaderNotFoundError,
    SecureMessagingError,
    ServiceConfigError,
    ServiceError,
    TransportError,
    TrustStoreError,
    UploadError,
    VerificationError,
)

if TYPE_CHECKING:
    from mrtd.access.keys import AccessKey, CANKey, MRZKey
    from mrtd.face.compare import FaceComparison, compare_faces
    from mrtd.mrz import MRZ, Check, RepairStatus, parse_mrz, repair_mrz
    from mrtd.mrz.ocr import read_mrz_image, read_mrz_line
    from mrtd.pipeline.document import Document, verify_files
    from mrtd.pipeline.events import (
        AccessOpened,
        AccessStarted,
        CheckDone,
        FileDone,
        FileProgress,
        OnEvent,
        ReadEvent,
        WaitingForCard,
    )
    from mrtd.pipeline.read_chip import read_document
    from mrtd.pipeline.result import ReadResult
    from mrtd.pipeline.upload import Upload, parse_upload, verify_upload
    from mrtd.readers.base import Cancel, Transport
    from mrtd.readers.open import ReaderInfo, list_readers, open_reader
    from mrtd.verify.outcome import CheckOutcome, CheckStatus
    from mrtd.verify.policy import STRICT, Policy
    from mrtd.verify.trust import TrustStore
    from mrtd.verify.verdict import Reason, Verdict

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

_EVENTS = ("ReadEvent", "OnEvent", "WaitingForCard", "AccessStarted", "AccessOpened",
           "FileProgress", "FileDone", "CheckDone")  # fmt: skip
# name -> the module it lives in, imported when the name is first used
_HOMES = {
    "read_document": "mrtd.pipeline.read_chip",
    "verify_files": "mrtd.pipeline.document",
    "Document": "mrtd.pipeline.document",
    "ReadResult": "mrtd.pipeline.result",
    "Upload": "mrtd.pipeline.upload",
    "parse_upload": "mrtd.pipeline.upload",
    "verify_upload": "mrtd.pipeline.upload",
    **dict.fromkeys(_EVENTS, "mrtd.pipeline.events"),
    "open_reader": "mrtd.readers.open",
    "list_readers": "mrtd.readers.open",
    "ReaderInfo": "mrtd.readers.open",
    "Transport": "mrtd.readers.base",
    "Cancel": "mrtd.readers.base",
    "Verdict": "mrtd.verify.verdict",
    "Reason": "mrtd.verify.verdict",
    "Policy": "mrtd.verify.policy",
    "STRICT": "mrtd.verify.policy",
    "CheckOutcome": "mrtd.verify.outcome",
    "CheckStatus": "mrtd.verify.outcome",
    "TrustStore": "mrtd.verify.trust",
    "AccessKey": "mrtd.access.keys",
    "MRZKey": "mrtd.access.keys",
    "CANKey": "mrtd.access.keys",
    "MRZ": "mrtd.mrz",
    "parse_mrz": "mrtd.mrz",
    "repair_mrz": "mrtd.mrz",
    "Check": "mrtd.mrz",
    "RepairStatus": "mrtd.mrz",
    "read_mrz_image": "mrtd.mrz.ocr",
    "read_mrz_line": "mrtd.mrz.ocr",
    "compare_faces": "mrtd.face.compare",
    "FaceComparison": "mrtd.face.compare",
}

__all__ = [
    "MRZ",
    "STRICT",
    "AccessDeniedError",
    "AccessKey",
    "AccessKeyError",
    "AccessOpened",
    "AccessStarted",
    "ActiveAuthError",
    "BACError",
    "CANKey",
    "Cancel",
    "CardRemovedError",
    "CardStatusError",
    "CardTimeoutError",
    "ChallengeError",
    "Check",
    "CheckDigitError",
    "CheckDone",
    "CheckOutcome",
    "CheckStatus",
    "ChipAuthError",
    "DecodeError",
    "Document",
    "FaceComparison",
    "FaceError",
    "FileDone",
    "FileProgress",
    "InvalidPointError",
    "MACError",
    "MRTDError",
    "MRZError",
    "MRZKey",
    "MRZNotFoundError",
    "OnEvent",
    "OptionalDependencyError",
    "PACEError",
    "PassiveAuthError",
    "Policy",
    "PolicyError",
    "ReadCancelledError",
    "ReadEvent",
    "ReadResult",
    "ReaderInfo",
    "ReaderNotFoundError",
    "Reason",
    "RepairStatus",
    "SecureMessagingError",
    "ServiceConfigError",
    "ServiceError",
    "Transport",
    "TransportError",
    "TrustStore",
    "TrustStoreError",
    "Upload",
    "UploadError",
    "Verdict",
    "VerificationError",
    "WaitingForCard",
    "__version__",
    "compare_faces",
    "list_readers",
    "open_reader",
    "parse_mrz",
    "parse_upload",
    "read_document",
    "read_mrz_image",
    "read_mrz_line",
    "repair_mrz",
    "verify_files",
    "verify_upload",
]


def __getattr__(name: str) -> Any:
    """The public names not imported yet: import their module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once: later uses are plain attribute lookups
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
