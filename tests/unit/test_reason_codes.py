"""Every reason code the verdict can give is documented (docs/verify.md, "Reason codes"): the
codes are a contract with programs, so a new one without a line there fails."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREFIXES = ("passive", "completeness", "expiry", "access", "binding", "issuer", "algorithms",
            "revocation", "clone", "active", "chip", "card_security", "status")  # fmt: skip
CODE = re.compile(rf"""["']((?:{"|".join(PREFIXES)})\.[a-z0-9_]+)["']""")
TEMPLATE = re.compile(r"""f["']\{check\}\.([a-z0-9_]+)["']""")  # f"{check}.key_withheld"
NOT_CODES = {"chip.pace"}  # the simulated chip profile's [chip.pace] table


def codes_in_source() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "mrtd").rglob("*.py"):
        text = path.read_text()
        found.update(CODE.findall(text))
        found.update(f"{check}.{rest}" for rest in TEMPLATE.findall(text)
                     for check in ("active", "chip"))  # fmt: skip
    return found - NOT_CODES


def test_there_are_codes() -> None:
    assert {"clone.no_chip_key", "passive.hash_mismatch", "binding.key_mismatch"} <= (
        codes_in_source()
    )


def test_every_code_is_documented() -> None:
    table = (ROOT / "docs" / "verify.md").read_text().split("## Reason codes", 1)[1]
    documented = set(re.findall(r"`([a-z_]+\.[a-z0-9_]+)`", table))
    missing = sorted(codes_in_source() - documented)
    assert not missing, f"reason codes not in docs/verify.md: {missing}"
