"""Fuzz SecurityInfos (EF.CardAccess, DG14, EF.CardSecurity) and what a reader does with them
before the chip answers: pick the PACE variant and set up its key agreement, pick the Chip
Authentication key and validate it (the first step of CA).

The first byte picks the file kind; the rest is the file. Whatever parses must re-encode to a
file that parses again.
"""

from __future__ import annotations

from harness import InvariantBrokenError, fuzz, instrumented, rejecting

with instrumented(__name__ == "__main__", "asn1crypto"):
    from mrtd.access.pace.groups import agreement_for
    from mrtd.access.pace.policy import choose
    from mrtd.errors import MRTDError
    from mrtd.lds.security.infos import SecurityInfos
    from mrtd.verify.chip_auth import chip_authentication, choose_chip_authentication

READERS = (SecurityInfos.from_bytes, SecurityInfos.from_dg14, SecurityInfos.from_card_security)
EPHEMERAL_PRIVATE = 0x1234567  # a fixed terminal key: runs are reproducible


def check_security_infos(data: bytes) -> None:
    if not data:
        return
    infos = READERS[data[0] % len(READERS)](data[1:])
    _check_round_trip(infos)
    for info in infos.pace:
        infos.pace_domain(info)
    pace = choose(infos)
    if pace is not None:
        agreement_for(pace.domain)
    chosen = choose_chip_authentication(infos)
    if chosen is not None:
        next(chip_authentication(*chosen, ephemeral_private=EPHEMERAL_PRIVATE))


def _check_round_trip(infos: SecurityInfos) -> None:
    try:
        again = SecurityInfos.from_bytes(infos.to_bytes())
    except MRTDError as exc:
        raise InvariantBrokenError(f"re-encoded SecurityInfos do not parse: {exc}") from exc
    if len(again.infos) != len(infos.infos):
        raise InvariantBrokenError("re-encoded SecurityInfos hold a different number of infos")


test_one_input = rejecting(check_security_infos)

if __name__ == "__main__":
    fuzz(test_one_input, max_len=4096, dictionary="asn1")
