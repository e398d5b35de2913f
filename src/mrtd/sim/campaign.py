"""The malicious-chip campaign: hostile simulated chips against the reader, one table of cases.

Each case is a fault of `mrtd.sim.hostile` (or a card removal) at one place of a full read
(BAC or PACE, the files, Chip and Active Authentication) and what a robust reader must make of
it: a specific `mrtd.errors` exception that keeps the files read and verified before the fault,
or a read that completes (resumed, or with access opened again) whose verdict says why it
fails. Every read is bounded in time and memory. The two sweeps remove the card at every APDU
of a full read; every one of them must resume.

    for case in CASES:
        outcome = run_case(case)
        assert not check(case, outcome), outcome.summary()

tools/malicious_chip_table.py prints the table; tests/integration/test_malicious_chip.py runs it.
Randomness is seeded, so every run sends the same bytes.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mrtd import errors
from mrtd.access.keys import MRZKey
from mrtd.errors import MRTDError
from mrtd.pipeline.document import Document
from mrtd.pipeline.result import ReadResult
from mrtd.pipeline.session import AccessMode, Session
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.pki import TestPKI
from mrtd.sim.profile import Profile
from mrtd.verify.trust import TrustStore

__all__ = ["CASES", "Case", "Expect", "Outcome", "check", "run_case", "sweep_indices"]

TIME_LIMIT = 5.0  # seconds per read
MEMORY_LIMIT = 64 << 20  # peak Python memory per read
SEED = b"mrtd malicious-chip campaign"

# Both chips prove their keys with Active and Chip Authentication, so faults can hit AA and CA.
BAC_CHIP: Mapping[str, Any] = {"aa": "ecdsa-brainpoolP256r1-sha256",
                               "ca": "ecdh-brainpoolP256r1-aes128"}  # fmt: skip
PACE_CHIP: Mapping[str, Any] = {**BAC_CHIP, "access": ["pace", "bac"]}
CAM_CHIP: Mapping[str, Any] = {"access": ["pace", "bac"], "pace": {"mapping": "CAM"}}  # no AA/CA
# Chips with one key: Chip Authentication (CA_CHIP; with PACE-CAM on the same key, CAM_CA_CHIP)
# or Active Authentication (AA_CHIP), for the forgeries that try to hide a clone.
CA_CHIP: Mapping[str, Any] = {"ca": "ecdh-brainpoolP256r1-aes128"}
CAM_CA_CHIP: Mapping[str, Any] = {**CAM_CHIP, **CA_CHIP}
# PACE-CAM and PACE-GM on one chip, no AA/CA: a clone may hide the mapping it cannot pass.
CAM_GM_CHIP: Mapping[str, Any] = {"access": ["pace", "bac"],
                                  "pace": [{"mapping": "CAM"}, {"mapping": "GM"}]}  # fmt: skip
AA_CHIP: Mapping[str, Any] = {"aa": "ecdsa-brainpoolP256r1-sha256"}
# The BAC chip with DG11, or DG3 (EAC-protected), beside DG1 and DG2: groups to withhold.
DG11_CHIP: Mapping[str, Any] = {**BAC_CHIP, "data_groups": [1, 2, 11]}
DG3_CHIP: Mapping[str, Any] = {**BAC_CHIP, "data_groups": [1, 2, 3]}
# The order of a BAC read of BAC_CHIP: EF.CardAccess probe (6A82), SELECT, GET CHALLENGE,
# MUTUAL AUTHENTICATE, EF.COM (APDU 5), EF.SOD (6-10), DG14, CA, DG1, DG2, DG15, AA.
# A PACE read: EF.CardAccess (1), MSE:Set AT (2), GENERAL AUTHENTICATE nonce (3), mapping (4),
# key agreement (5), tokens (6), SELECT (7), then the files as above.
ALL_FILES = ("EF.COM", "EF.SOD", "DG14", "DG1", "DG2", "DG15")
BEFORE_DG1 = ("EF.COM", "EF.SOD", "DG14")
BEFORE_DG2 = (*BEFORE_DG1, "DG1")
CAM_FILES = ("EF.COM", "EF.SOD", "DG14", "DG1", "DG2")  # DG14: its PACEInfo


@dataclass(frozen=True, slots=True)
class Expect:
    """What a robust reader makes of a case."""

    error: type[MRTDError] | None = None  # the read raises exactly this; None: it completes
    match: str = ""  # in the error's message, or in the verdict's reasons / the read's notes
    kept: tuple[str, ...] | None = None  # the files kept (each as the chip holds it)
    verdict: str = ""  # of a completed read: "genuine", "failed" or "incomplete"
    access: str = ""  # "PACE" or "BAC", once access is open
    resumes: int = 0
    reopened: int = 0
    altered: tuple[str, ...] = ()  # files the fault changes: read plain, or junk within Le
    chip: str = ""  # the code of the read's chip outcome (clone_checks), when given
    active: str = ""  # and of its active outcome
    downgraded: bool | None = None  # whether the access report says downgraded, when given


@dataclass(frozen=True, slots=True)
class Case:
    fault: str  # the table's "fault" column
    where: str  # and its "where"
    chip: Mapping[str, Any]  # the profile's [chip] table
    faults: Mapping[str, Any]  # and its [faults] table
    expect: Expect
    access: AccessMode = "auto"
    sweep: bool = False  # remove the card at every APDU of the read, one read per index
    xfail: str = ""  # a known crash outside the reader (the parsers): why

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", f"{self.fault} {self.where}".lower()).strip("-")


@dataclass
class Outcome:
    """One read of a case's chip: what came out of it, how long it took, its peak memory."""

    chip: SimulatedChip
    result: ReadResult
    document: Document | None = None
    error: BaseException | None = None
    seconds: float = 0.0
    peak_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the table: the error and the files kept, or the completed read."""
        kept = ", ".join(self.result.files) or "none"
        if self.error is not None:
            message = str(self.error).split("\n")[0]
            message = message if len(message) <= 90 else message[:87] + "..."
            return f"{type(self.error).__name__}: {message} (kept: {kept})"
        document = self.document
        assert document is not None
        verdict = document.verdict
        text = f"read ({document.access.protocol}), {verdict.summary}"
        if verdict.summary != "genuine":
            text += ": " + "; ".join(verdict.reasons)
        checks = (self.result.chip, self.result.active)
        codes = [c.code for c in checks if c.status != "passed" and c.code not in text
                 and verdict.summary != "genuine"]  # fmt: skip
        notes = [n for n in (*document.problems, document.access.reason, *codes)
                 if n and n not in text]  # fmt: skip
        if notes:
            text += f" [{'; '.join(notes)}]"
        stats = self.result.stats
        extra = [f"{n} {what}" for n, what in ((stats.resumes, "resumed"),
                                               (stats.reopened, "reopened")) if n]  # fmt: skip
        return text + (f" ({', '.join(extra)})" if extra else "")


# -- the cases --------------------------------------------------------------------------------


def _error(kind: type[MRTDError], match: str, kept: tuple[str, ...] = ()) -> Expect:
    return Expect(error=kind, match=match, kept=kept)


def _read(verdict: str, match: str = "", **more: Any) -> Expect:
    return Expect(verdict=verdict, match=match, **more)


_MAC = errors.MACError
_FAILED_ACCESS = "access: downgraded from PACE to BAC"
_DG14_SAYS_PACE = "DG14 (signed) says the chip supports PACE, read with BAC"
CA_FILES = ("EF.COM", "EF.SOD", "DG14", "DG1", "DG2")

CASES: tuple[Case, ...] = (
    Case("none", "BAC read (AA, CA)", BAC_CHIP, {},
         _read("genuine", access="BAC", kept=ALL_FILES)),
    Case("none", "PACE read (AA, CA)", PACE_CHIP, {},
         _read("genuine", access="PACE", kept=("EF.CardAccess", *ALL_FILES))),
    Case("none", "PACE-CAM read", CAM_CHIP, {},
         _read("genuine", access="PACE", kept=("EF.CardAccess", "EF.CardSecurity", *CAM_FILES))),
    # -- wrong MAC -----------------------------------------------------------------------------
    Case("wrong-mac", "BAC: MUTUAL AUTHENTICATE", BAC_CHIP,
         {"hostile": "wrong-mac", "target_step": "BAC"},
         _error(errors.BACError, "wrong MAC")),
    Case("wrong-mac", "PACE: tokens (APDU 6)", PACE_CHIP,
         {"hostile": "wrong-mac", "at_apdu": 6},
         _read("failed", _FAILED_ACCESS, access="BAC")),
    Case("wrong-mac", "PACE: tokens (APDU 6), access = pace", PACE_CHIP,
         {"hostile": "wrong-mac", "at_apdu": 6},
         _error(errors.PACEError, "token does not verify", ("EF.CardAccess",)), access="pace"),
    Case("wrong-mac", "EF.CardAccess (plain: its last byte)", PACE_CHIP,
         {"hostile": "wrong-mac", "target_file": "EF.CardAccess"},
         _read("failed", _FAILED_ACCESS, access="BAC", altered=("EF.CardAccess",))),
    Case("wrong-mac", "EF.SOD: first chunk", BAC_CHIP,
         {"hostile": "wrong-mac", "target_file": "EF.SOD"},
         _error(_MAC, "MAC does not verify", ("EF.COM",))),
    Case("wrong-mac", "DG2: chunk at APDU 40", BAC_CHIP,
         {"hostile": "wrong-mac", "at_apdu": 40, "target_file": "DG2"},
         _error(_MAC, "MAC does not verify", BEFORE_DG2)),
    Case("wrong-mac", "CA: MSE:Set AT", BAC_CHIP,
         {"hostile": "wrong-mac", "target_step": "CA"},
         _read("failed", "chip: Chip Authentication", kept=ALL_FILES, reopened=0)),
    Case("wrong-mac", "AA: INTERNAL AUTHENTICATE", BAC_CHIP,
         {"hostile": "wrong-mac", "target_step": "AA"},
         _read("failed", "active: the answer to INTERNAL AUTHENTICATE is not genuine",
               kept=ALL_FILES)),
    # -- replayed answer, reused or skipped SSC --------------------------------------------------
    Case("replay", "EF.SOD: first chunk (EF.COM's answer again)", BAC_CHIP,
         {"hostile": "replay", "target_file": "EF.SOD"},
         _error(_MAC, "MAC does not verify", ("EF.COM",))),
    Case("replay", "PACE: key agreement (APDU 5)", PACE_CHIP,
         {"hostile": "replay", "at_apdu": 5},
         _read("failed", _FAILED_ACCESS, access="BAC")),
    Case("replay", "AA: INTERNAL AUTHENTICATE", PACE_CHIP,
         {"hostile": "replay", "target_step": "AA"},
         _read("failed", "active: the answer to INTERNAL AUTHENTICATE is not genuine",
               access="PACE")),
    Case("replay", "CA: GENERAL AUTHENTICATE", BAC_CHIP,
         {"hostile": "replay", "target_step": "CA", "at_apdu": 14},
         _read("failed", "chip: Chip Authentication", kept=ALL_FILES)),
    Case("reuse-ssc", "DG1", BAC_CHIP,
         {"hostile": "reuse-ssc", "target_file": "DG1"},
         _error(_MAC, "MAC does not verify", BEFORE_DG1)),
    Case("reuse-ssc", "CA: GENERAL AUTHENTICATE", PACE_CHIP,
         {"hostile": "reuse-ssc", "target_step": "CA", "at_apdu": 17},
         _read("failed", "chip: Chip Authentication", access="PACE", kept=("EF.CardAccess",
                                                                           *ALL_FILES))),
    Case("skip-ssc", "EF.COM", BAC_CHIP,
         {"hostile": "skip-ssc", "target_file": "EF.COM"},
         _error(_MAC, "MAC does not verify")),
    Case("skip-ssc", "DG15 (the last file)", PACE_CHIP,
         {"hostile": "skip-ssc", "target_file": "DG15"},
         _error(_MAC, "MAC does not verify", ("EF.CardAccess", *BEFORE_DG2, "DG2"))),
    # -- DO'99' left out -------------------------------------------------------------------------
    Case("no-do99", "DG2: one chunk", BAC_CHIP,
         {"hostile": "no-do99", "target_file": "DG2"},
         _read("genuine", kept=ALL_FILES, reopened=1)),
    Case("no-do99", "CA: MSE:Set AT", PACE_CHIP,
         {"hostile": "no-do99", "target_step": "CA"},
         _read("failed", "chip: Chip Authentication", access="PACE")),
    Case("no-do99", "AA: INTERNAL AUTHENTICATE", BAC_CHIP,
         {"hostile": "no-do99", "target_step": "AA"},
         _read("failed", "active: the answer to INTERNAL AUTHENTICATE is not genuine",
               kept=ALL_FILES)),
    Case("no-do99", "PACE-CAM: SELECT after EF.CardSecurity (APDU 12)", CAM_CHIP,
         {"hostile": "no-do99", "at_apdu": 12},
         _read("genuine", access="PACE", reopened=1,
               kept=("EF.CardAccess", "EF.CardSecurity", *CAM_FILES))),
    Case("no-do99", "every answer from DG1 on", BAC_CHIP,
         {"hostile": "no-do99", "target_file": "DG1", "times": 0},
         _error(errors.SecureMessagingError, "DO'99'", BEFORE_DG1)),
    # -- truncated answers -----------------------------------------------------------------------
    Case("truncate", "BAC: MUTUAL AUTHENTICATE", BAC_CHIP,
         {"hostile": "truncate", "target_step": "BAC"},
         _error(errors.BACError, "wrong length")),
    Case("truncate", "PACE: mapping (APDU 4)", PACE_CHIP,
         {"hostile": "truncate", "at_apdu": 4},
         _read("failed", _FAILED_ACCESS, access="BAC")),
    Case("truncate", "EF.SOD: one chunk", BAC_CHIP,
         {"hostile": "truncate", "target_file": "EF.SOD"},
         _read("genuine", kept=ALL_FILES, reopened=1)),
    Case("truncate", "DG2: to 1 byte, no status word", BAC_CHIP,
         {"hostile": "truncate", "target_file": "DG2", "size": 1},
         _error(errors.TransportError, "no status word", BEFORE_DG2)),
    Case("drip", "DG2: one byte per READ BINARY", BAC_CHIP,
         {"hostile": "drip", "target_file": "DG2", "times": 0},
         _error(errors.DecodeError, "pieces of fewer than 16 bytes", BEFORE_DG2)),
    Case("truncate", "CA: GENERAL AUTHENTICATE", BAC_CHIP,
         {"hostile": "truncate", "target_step": "CA", "at_apdu": 14},
         _read("failed", "chip: Chip Authentication", kept=ALL_FILES)),
    Case("truncate", "AA: INTERNAL AUTHENTICATE", BAC_CHIP,
         {"hostile": "truncate", "target_step": "AA"},
         _read("failed", "active: the answer to INTERNAL AUTHENTICATE is not genuine",
               kept=ALL_FILES)),
    # -- over-long answers -----------------------------------------------------------------------
    Case("overlong", "BAC: GET CHALLENGE (64 kB)", BAC_CHIP,
         {"hostile": "overlong", "at_apdu": 3},
         _error(errors.BACError, "GET CHALLENGE")),
    Case("overlong", "EF.CardAccess (64 kB, plain)", PACE_CHIP,
         {"hostile": "overlong", "target_file": "EF.CardAccess"},
         _read("genuine", access="PACE")),
    Case("overlong", "DG2: one chunk (64 kB under a valid MAC)", BAC_CHIP,
         {"hostile": "overlong", "target_file": "DG2"},
         _read("genuine", kept=ALL_FILES)),
    Case("overlong", "EF.SOD: first chunk (junk within Le)", BAC_CHIP,
         {"hostile": "overlong", "at_apdu": 6},
         _read("failed", "passive: DG15 does not match its hash", kept=ALL_FILES,
               altered=("EF.SOD",))),
    Case("overlong", "EF.COM (1 MB, more than a reader takes)", BAC_CHIP,
         {"hostile": "overlong", "target_file": "EF.COM", "size": 1 << 20},
         _error(errors.TransportError, "64 kB")),
    Case("overlong", "AA: INTERNAL AUTHENTICATE (64 kB)", BAC_CHIP,
         {"hostile": "overlong", "target_step": "AA"},
         _read("failed", "active:", kept=ALL_FILES)),
    # -- endless 61xx and 6Cxx -------------------------------------------------------------------
    Case("loop-61", "EF.CardAccess probe", PACE_CHIP,
         {"hostile": "loop-61", "at_apdu": 1},
         _error(errors.TransportError, "keeps answering 61xx")),
    Case("loop-61", "DG2", BAC_CHIP,
         {"hostile": "loop-61", "target_file": "DG2"},
         _error(errors.TransportError, "keeps answering 61xx", BEFORE_DG2)),
    Case("loop-61", "PACE: nonce (APDU 3)", PACE_CHIP,
         {"hostile": "loop-61", "at_apdu": 3},
         _error(errors.TransportError, "keeps answering 61xx", ("EF.CardAccess",))),
    Case("loop-61", "CA: MSE:Set AT", BAC_CHIP,
         {"hostile": "loop-61", "target_step": "CA"},
         _error(errors.TransportError, "keeps answering 61xx", BEFORE_DG1)),
    Case("loop-6c", "BAC: GET CHALLENGE", BAC_CHIP,
         {"hostile": "loop-6c", "at_apdu": 3},
         _error(errors.CardStatusError, "GET CHALLENGE")),
    Case("loop-6c", "EF.COM", BAC_CHIP,
         {"hostile": "loop-6c", "target_file": "EF.COM"},
         _error(errors.CardStatusError, "wrong Le")),
    Case("loop-6c", "AA: INTERNAL AUTHENTICATE", BAC_CHIP,
         {"hostile": "loop-6c", "target_step": "AA"},
         _read("failed", "active:", kept=ALL_FILES)),
    Case("loop-6c", "CA: GENERAL AUTHENTICATE", BAC_CHIP,
         {"hostile": "loop-6c", "target_step": "CA", "at_apdu": 14},
         # the chip took the CA keys all the same: the next command fails SM, access reopens
         _read("failed", "chip: Chip Authentication", kept=ALL_FILES, reopened=1)),
    Case("loop-6c", "DG2: chunk at APDU 40", PACE_CHIP,
         {"hostile": "loop-6c", "target_file": "DG2", "at_apdu": 40},
         _error(errors.CardStatusError, "wrong Le", ("EF.CardAccess", *BEFORE_DG2))),
    # -- a stalled chip --------------------------------------------------------------------------
    Case("stall", "BAC: MUTUAL AUTHENTICATE (10 s)", BAC_CHIP,
         {"hostile": "stall", "target_step": "BAC"},
         _error(errors.CardTimeoutError, "within 5 s")),
    Case("stall", "PACE: key agreement (10 s)", PACE_CHIP,
         {"hostile": "stall", "at_apdu": 5},
         _error(errors.CardTimeoutError, "within 5 s", ("EF.CardAccess",))),
    Case("stall", "DG2 (10 s)", BAC_CHIP,
         {"hostile": "stall", "target_file": "DG2"},
         _error(errors.CardTimeoutError, "within 5 s", BEFORE_DG2)),
    Case("stall", "CA: MSE:Set AT (10 s)", BAC_CHIP,
         {"hostile": "stall", "target_step": "CA"},
         _error(errors.CardTimeoutError, "within 5 s", BEFORE_DG1)),
    Case("stall", "AA (10 s)", BAC_CHIP,
         {"hostile": "stall", "target_step": "AA"},
         _error(errors.CardTimeoutError, "within 5 s", ALL_FILES)),
    Case("stall", "DG1 (3 s, within the timeout)", BAC_CHIP,
         {"hostile": "stall", "target_file": "DG1", "delay_ms": 3000},
         _read("genuine", kept=ALL_FILES)),
    # -- card removal ----------------------------------------------------------------------------
    Case("remove", "every APDU of a BAC read", BAC_CHIP, {},
         _read("genuine", access="BAC", kept=ALL_FILES, resumes=1), sweep=True),
    Case("remove", "every APDU of a PACE read", PACE_CHIP, {},
         _read("genuine", access="PACE", kept=("EF.CardAccess", *ALL_FILES), resumes=1),
         sweep=True),
    Case("remove", "DG2, never back", BAC_CHIP,
         {"remove_at_apdu": 30, "return_after_ms": -1},
         _error(errors.CardRemovedError, "did not come back", BEFORE_DG2)),
    # -- file headers claiming up to 4 GB --------------------------------------------------------
    Case("claim-length", "EF.COM claims 0xFFFFFFFF bytes", BAC_CHIP,
         {"hostile": "claim-length", "target_file": "EF.COM"},
         _error(errors.DecodeError, "EF.COM")),
    Case("claim-length", "EF.SOD claims 0xFFFFFFFF bytes", BAC_CHIP,
         {"hostile": "claim-length", "target_file": "EF.SOD"},
         _error(errors.DecodeError, "EF.SOD", ("EF.COM",))),
    Case("claim-length", "DG1 claims 0xFFFFFFFF bytes", BAC_CHIP,
         {"hostile": "claim-length", "target_file": "DG1"},
         _error(errors.DecodeError, "DG1", BEFORE_DG1)),
    Case("claim-length", "DG2 claims 1,000,000 bytes", BAC_CHIP,
         {"hostile": "claim-length", "target_file": "DG2", "size": 1_000_000},
         _error(errors.DecodeError, "shorter than the length in its header", BEFORE_DG2)),
    Case("claim-length", "EF.CardAccess claims 0xFFFFFFFF bytes", PACE_CHIP,
         {"hostile": "claim-length", "target_file": "EF.CardAccess"},
         _read("failed", _DG14_SAYS_PACE, access="BAC", kept=ALL_FILES, downgraded=True)),
    Case("claim-length", "EF.CardSecurity claims 0xFFFFFFFF bytes (PACE-CAM)", CAM_CHIP,
         {"hostile": "claim-length", "target_file": "EF.CardSecurity"},
         _read("failed", "chip: PACE-CAM chip authentication failed", access="PACE",
               kept=("EF.CardAccess", *CAM_FILES))),
    # -- TLVs nested 1000 deep -------------------------------------------------------------------
    Case("deep-nesting", "EF.COM (1000 levels)", BAC_CHIP,
         {"hostile": "deep-nesting", "target_file": "EF.COM"},
         _read("genuine", "EF.COM: nesting deeper", kept=ALL_FILES)),
    Case("deep-nesting", "EF.SOD (1000 levels)", BAC_CHIP,
         {"hostile": "deep-nesting", "target_file": "EF.SOD"},
         _read("failed", "EF.SOD: nested more than", kept=ALL_FILES)),
    Case("deep-nesting", "DG1 (1000 levels)", BAC_CHIP,
         {"hostile": "deep-nesting", "target_file": "DG1"},
         _read("failed", "DG1 does not match its hash", kept=ALL_FILES)),
    Case("deep-nesting", "DG14 (1000 levels)", BAC_CHIP,
         {"hostile": "deep-nesting", "target_file": "DG14"},
         _read("failed", "DG14 does not match its hash", kept=ALL_FILES,
               chip="chip.key_hash_mismatch")),
    Case("deep-nesting", "EF.CardAccess (1000 levels)", PACE_CHIP,
         {"hostile": "deep-nesting", "target_file": "EF.CardAccess"},
         _read("failed", "EF.CardAccess is malformed", access="BAC", downgraded=True)),
    Case("deep-nesting", "EF.CardSecurity (1000 levels, PACE-CAM)", CAM_CHIP,
         {"hostile": "deep-nesting", "target_file": "EF.CardSecurity"},
         _read("failed", "chip: PACE-CAM chip authentication failed", access="PACE",
               kept=("EF.CardAccess", "EF.CardSecurity", *CAM_FILES))),
    # -- unknown OIDs ----------------------------------------------------------------------------
    Case("unknown-oids", "EF.CardAccess", PACE_CHIP,
         {"hostile": "unknown-oids", "target_file": "EF.CardAccess"},
         _read("genuine", access="PACE", kept=("EF.CardAccess", *ALL_FILES))),
    Case("unknown-oids", "DG14", BAC_CHIP,
         {"hostile": "unknown-oids", "target_file": "DG14"},
         _read("failed", "DG14 does not match its hash", kept=ALL_FILES,
               chip="chip.key_hash_mismatch")),
    # -- chips that try to pass for genuine ----------------------------------------------------
    Case("com-duplicate-dg14", "EF.COM lists DG14 twice; a clone's DG14 first", CA_CHIP,
         {"hostile": "com-duplicate-dg14"},
         _read("failed", "DG14 does not match its hash", kept=CA_FILES, altered=("DG14",),
               chip="chip.key_hash_mismatch", active="active.no_key")),
    Case("card-security-self-signed", "PACE-CAM with a clone's key, self-made CSCA", CAM_CHIP,
         {"hostile": "card-security-self-signed"},
         _read("incomplete", "EF.CardSecurity's signer", access="PACE",
               kept=("EF.CardAccess", "EF.CardSecurity", *CAM_FILES),
               altered=("EF.CardSecurity",), chip="chip.cam_unverified")),
    Case("card-security-unsigned", "PACE-CAM with a clone's key, no SignerInfo", CAM_CHIP,
         {"hostile": "card-security-unsigned"},
         _read("incomplete", "EF.CardSecurity is not signed", access="PACE",
               kept=("EF.CardAccess", "EF.CardSecurity", *CAM_FILES),
               altered=("EF.CardSecurity",), chip="chip.cam_unverified")),
    Case("card-security-self-signed", "PACE-CAM and DG14's CA key (CA runs)", CAM_CA_CHIP,
         {"hostile": "card-security-self-signed"},
         _read("failed", "does not hold the private key of DG14", access="PACE",
               kept=("EF.CardAccess", "EF.CardSecurity", *CAM_FILES),
               altered=("EF.CardSecurity",), chip="chip.failed")),
    Case("clone", "PACE-CAM, the genuine EF.CardSecurity copied", CAM_CA_CHIP,
         {"clone": True},
         _read("failed", "PACE-CAM chip authentication failed", access="PACE",
               kept=("EF.CardAccess", "EF.CardSecurity", *CAM_FILES), chip="chip.cam_failed")),
    Case("card-access-without-cam", "PACE-CAM chip's clone: EF.CardAccess offers GM only",
         CAM_GM_CHIP, {"hostile": "card-access-without-cam"},
         _read("incomplete", "offers PACE-CAM, but the read ran GM", access="PACE",
               kept=("EF.CardAccess", *CAM_FILES), altered=("EF.CardAccess",),
               chip="chip.cam_not_run", active="active.no_key")),
    Case("dg14-ca-v2-only", "DG14: Chip Authentication version 2 only", CA_CHIP,
         {"hostile": "dg14-ca-v2-only"},
         _read("incomplete", "version 2 only", kept=CA_FILES,
               chip="chip.unsupported_version", active="active.no_key")),
    Case("dg14-key-id-mismatch", "DG14: info keyId 1, public key keyId 2", CA_CHIP,
         {"hostile": "dg14-key-id-mismatch"},
         _read("incomplete", "other key ids", kept=CA_FILES,
               chip="chip.key_id_mismatch", active="active.no_key")),
    Case("dg15-unmapped-algorithm", "DG14's AA info: ecdsa-with-SHA3-256", AA_CHIP,
         {"hostile": "dg15-unmapped-algorithm"},
         _read("incomplete", "which mrtd cannot check", kept=(*CA_FILES, "DG15"),
               chip="chip.no_key", active="active.unsupported_algorithm")),
    Case("card-access-absent", "PACE chip: EF.CardAccess answers 6A82", PACE_CHIP,
         {"hostile": "card-access-absent"},
         _read("failed", _DG14_SAYS_PACE, access="BAC", kept=ALL_FILES, downgraded=True)),
    Case("card-access-garbled", "PACE chip: EF.CardAccess no SecurityInfos", PACE_CHIP,
         {"hostile": "card-access-garbled"},
         _read("failed", _DG14_SAYS_PACE, access="BAC", kept=("EF.CardAccess", *ALL_FILES),
               downgraded=True)),
    Case("withhold-6982", "DG2, which EF.SOD lists", BAC_CHIP,
         {"hostile": "withhold-6982", "target_file": "DG2"},
         _read("incomplete", "not read: DG2", kept=("EF.COM", "EF.SOD", "DG14", "DG1", "DG15"))),
    Case("withhold-6a82", "DG2, which EF.SOD lists", BAC_CHIP,
         {"hostile": "withhold-6a82", "target_file": "DG2"},
         _read("incomplete", "not read: DG2", kept=("EF.COM", "EF.SOD", "DG14", "DG1", "DG15"))),
    Case("withhold-6a82", "DG11, which EF.SOD lists", DG11_CHIP,
         {"hostile": "withhold-6a82", "target_file": "DG11"},
         _read("incomplete", "not read: DG11", kept=ALL_FILES)),
    Case("withhold-6a82", "DG3 (behind EAC: may stay unread)", DG3_CHIP,
         {"hostile": "withhold-6a82", "target_file": "DG3"},
         _read("genuine", kept=ALL_FILES)),
    Case("other-holder", "another holder's signed files behind this MRZ", BAC_CHIP,
         {"hostile": "other-holder"},
         _read("failed", "the key that opened the chip is not DG1's", kept=ALL_FILES,
               chip="chip.passed", active="active.passed")),
    Case("none", "PACE chip read with access = bac", PACE_CHIP, {},
         _read("failed", 'the caller asked for BAC (access="bac")', access="BAC",
               kept=ALL_FILES, downgraded=True), access="bac"),
)  # fmt: skip


# -- running a case ---------------------------------------------------------------------------


def seeded_random(seed: bytes = SEED) -> Callable[[int], bytes]:
    """Deterministic 'random' bytes (SHAKE-256 of a seed and a counter): for tests only."""
    counter = itertools.count()

    def random_bytes(n: int) -> bytes:
        return hashlib.shake_256(seed + next(counter).to_bytes(8, "big")).digest(n)

    return random_bytes


@cache
def trust_store() -> TrustStore:
    """The test PKI's CSCAs: a genuine simulated chip reads as genuine."""
    store = TrustStore(allow_test_pki=True)  # the test CSCA, on purpose
    store.add_bytes(TestPKI().all_csca_pem(), source="test CSCA")
    return store


def run_case(case: Case, *, remove_at: int | None = None) -> Outcome:
    """Read the case's chip once (for a sweep: with the card removed at APDU `remove_at`)."""
    faults = (
        dict(case.faults) if remove_at is None else {**case.faults, "remove_at_apdu": remove_at}
    )
    profile = Profile.from_dict({"chip": dict(case.chip), "faults": faults})
    chip = SimulatedChip(profile, random_bytes=seeded_random(SEED + b"chip"))
    result = ReadResult()
    outcome = Outcome(chip, result)
    key = MRZKey.from_mrz(profile.mrz)
    trust = trust_store()
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    try:
        reader = SimulatedReader(chip)
        with Session(reader, random_bytes=seeded_random(), access=case.access, trust=trust) as s:
            s.read_document(key, result=result)
        outcome.document = Document.from_read(result, trust=trust, key=key)  # bound to DG1
    except MRTDError as exc:
        outcome.error = exc
    except Exception as exc:  # what a reader must never raise: reported, and checks fail
        outcome.error = exc
    finally:
        outcome.seconds = time.perf_counter() - started
        outcome.peak_bytes = max(0, tracemalloc.get_traced_memory()[1] - before)
        if not tracing:
            tracemalloc.stop()
    return outcome


def sweep_indices(case: Case) -> range:
    """APDU numbers 1..N of the case's read without removal (N: all the APDUs it sends)."""
    return range(1, _clean_apdus(case) + 1)


def _clean_apdus(case: Case) -> int:
    outcome = run_case(case)
    if outcome.error is not None:
        raise AssertionError(f"{case.id}: the read without removal fails: {outcome.summary()}")
    return outcome.chip.apdus


def run_sweep(case: Case) -> Iterator[tuple[int, Outcome]]:
    for index in sweep_indices(case):
        yield index, run_case(case, remove_at=index)


# -- checking an outcome ----------------------------------------------------------------------


def check(case: Case, outcome: Outcome) -> list[str]:
    """How the outcome differs from what the case expects (empty: as expected), bounds
    included."""
    expect, problems = case.expect, []
    error = outcome.error
    if expect.error is not None:
        if type(error) is not expect.error:
            problems.append(f"expected {expect.error.__name__}, got {_describe(outcome)}")
        elif expect.match not in str(error):
            problems.append(f"expected {expect.match!r} in the message: {error}")
    elif error is not None or outcome.document is None:
        problems.append(f"expected a completed read, got {_describe(outcome)}")
    else:
        problems += _check_read(expect, outcome, outcome.document)
    problems += _check_files(expect, outcome)
    if outcome.seconds > TIME_LIMIT:
        problems.append(f"took {outcome.seconds:.1f} s, more than {TIME_LIMIT:g} s")
    if outcome.peak_bytes > MEMORY_LIMIT:
        problems.append(f"peak memory {outcome.peak_bytes >> 20} MB")
    return problems


def _check_read(expect: Expect, outcome: Outcome, document: Document) -> list[str]:
    problems = []
    verdict = document.verdict
    if expect.verdict and verdict.summary != expect.verdict:
        problems.append(f"verdict {verdict.summary}, not {expect.verdict}: {verdict.reasons}")
    read = outcome.result
    said = " | ".join((*verdict.reasons, *document.problems, document.access.reason,
                       read.chip.reason, read.active.reason))  # fmt: skip
    if expect.match not in said:
        problems.append(f"expected {expect.match!r} in the verdict: {said}")
    if expect.access and document.access.protocol != expect.access:
        problems.append(f"access {document.access.protocol}, not {expect.access}")
    for what, code, got in (("chip", expect.chip, read.chip), ("active", expect.active,
                                                                 read.active)):  # fmt: skip
        if code and got.code != code:
            problems.append(f"{what} code {got.code!r} ({got.describe()}), not {code!r}")
    if expect.downgraded is not None and document.access.downgraded != expect.downgraded:
        problems.append(f"access downgraded {document.access.downgraded}, not "
                        f"{expect.downgraded}")  # fmt: skip
    stats = outcome.result.stats
    if (stats.resumes, stats.reopened) != (expect.resumes, expect.reopened):
        problems.append(f"resumed {stats.resumes}, reopened {stats.reopened} times; expected "
                        f"{expect.resumes} and {expect.reopened}")  # fmt: skip
    return problems


def _check_files(expect: Expect, outcome: Outcome) -> list[str]:
    """Every file kept is the chip's, byte for byte; and the expected ones are kept."""
    problems = []
    chip = outcome.chip
    on_chip = {f.name: f.data for f in (*chip.files.values(), *chip.master_files.values())}
    for name, data in outcome.result.files.items():
        if on_chip.get(name) != data and name not in expect.altered:
            problems.append(f"{name} kept is not what the chip holds")
    if expect.kept is not None and tuple(outcome.result.files) != expect.kept:
        problems.append(f"kept {tuple(outcome.result.files)}, expected {expect.kept}")
    return problems


def _describe(outcome: Outcome) -> str:
    if outcome.error is None:
        return "a completed read"
    return f"{type(outcome.error).__name__}: {outcome.error}"
