"""Every reason code the verdict can give is documented (docs/verify.md, "Reason codes"): the
codes are a contract with programs, so a new one without a line there fails."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREFIXES = ("passive", "completeness", "expiry", "access", "binding", "issuer", "algorithms",
            "revocation", "clone")  # fmt: skip
CODE = re.compile(rf"""["']((?:{"|".join(PREFIXES)})\.[a-z0-9_]+)["']""")


def codes_in_source() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "mrtd").rglob("*.py"):
        found.update(CODE.findall(path.read_text()))
    return found


def test_there_are_codes() -> None:
    assert {"clone.no_chip_key", "passive.hash_mismatch", "binding.key_mismatch"} <= (
        codes_in_source()
    )


def test_every_code_is_documented() -> None:
    table = (ROOT / "docs" / "verify.md").read_text().split("## Reason codes", 1)[1]
    documented = set(re.findall(r"`([a-z_]+\.[a-z0-9_]+)`", table))
    missing = sorted(codes_in_source() - documented)
    assert not missing, f"reason codes not in docs/verify.md: {missing}"
