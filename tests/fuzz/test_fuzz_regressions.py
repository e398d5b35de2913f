"""Inputs the fuzzers found, kept: each file under regressions/<harness>/ goes through that
harness again, and the tests below pin what the library now does with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mrtd.crypto.domains import ECCurve
from mrtd.crypto.ec import ECGroup
from mrtd.errors import ChipAuthError, DecodeError
from mrtd.lds.security.infos import SecurityInfos
from mrtd.lds.sod import parse_sod
from mrtd.verify.chip_auth import chip_authentication, choose_chip_authentication
from mrtd.verify.outcome import CheckStatus
from mrtd.verify.passive import check_signature
from tests.fuzz import harnesses

REGRESSIONS = Path(__file__).resolve().parent / "regressions"
FOUND = sorted(REGRESSIONS.glob("*/*.bin"))


def _found(name: str) -> bytes:
    return next(p for p in FOUND if p.name == name).read_bytes()


def test_every_reproducer_belongs_to_a_harness() -> None:
    assert FOUND
    assert {p.parent.name for p in FOUND} <= set(harnesses.NAMES)


@pytest.mark.parametrize("path", FOUND, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_reproducer_raises_only_mrtd_errors(path: Path) -> None:
    harnesses.test_one_input(path.parent.name)(path.read_bytes())


def test_explicit_curve_the_arithmetic_refuses_fails_chip_authentication() -> None:
    """DG14 whose explicit curve has an order outside the Hasse bound: Chip Authentication
    raised the EC core's ValueError; it now fails with ChipAuthError before any command, and
    the group itself raises DecodeError (PACE turns that into PACEError)."""
    infos = SecurityInfos.from_dg14(_found("dg14-explicit-curve-order-outside-hasse-bound.bin")[1:])
    chosen = choose_chip_authentication(infos)
    assert chosen is not None
    info, key = chosen
    assert isinstance(key.domain, ECCurve)
    with pytest.raises(ChipAuthError, match="domain parameters"):
        next(chip_authentication(info, key, ephemeral_private=0x1234567))
    with pytest.raises(DecodeError, match="not a usable curve"):
        ECGroup(key.domain)


def test_unknown_signer_digest_algorithm_is_not_supported() -> None:
    """A SignerInfo digestAlgorithm no SOD may use: hashlib raised ValueError; now the
    signature check is not_supported."""
    sod = parse_sod(_found("signer-digest-algorithm-unknown-oid.bin"))
    outcome = check_signature(sod)
    assert outcome.status is CheckStatus.NOT_SUPPORTED
    assert "digest algorithm" in outcome.reason


def test_explicit_ecdsa_key_with_composite_order_verifies_nothing() -> None:
    """A DS key on Curve25519 in short Weierstrass form with n = 8l (composite; the C core
    takes it: n*G = O, n*h within the Hasse bound) and a signature with s = 2: the inverse of
    s mod n does not exist, and pow() raised ValueError. Found by reading the code while
    writing fuzz/sod.py; made by hand from the test signer's EF.SOD."""
    sod = parse_sod(_found("ds-key-explicit-curve-composite-order.bin"))
    assert check_signature(sod).status is CheckStatus.FAILED
