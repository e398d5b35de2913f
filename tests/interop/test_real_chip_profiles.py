"""Issue 18's chip behaviours over the real PC/SC stack (pcscd + vpcd + pyscard): a chip that
answers a wrong key with 6988, one without short file identifiers, one with an empty data
group, and a reader with no card, each read as a user would read a real chip."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from mrtd import MRZKey, read_document
from mrtd.readers.pcsc import PCSCReader
from mrtd.readers.simulated import SimulatedReader
from mrtd.sim.chip import SimulatedChip
from mrtd.sim.profile import Profile
from tests.integration.test_file_selection import RefusingChip
from tests.interop.conftest import PCSCStack, served

DEFAULT = Profile.default()
KEY = MRZKey.from_mrz(DEFAULT.mrz)


def _profile(**chip: Any) -> Profile:
    return Profile.from_dict({"chip": chip})


def _read_through_pcscd(profile: Profile, stack: PCSCStack) -> Any:
    with served(SimulatedChip(profile), stack):
        reader = PCSCReader(stack.readers[0], timeout=5)
        try:
            return read_document(reader, KEY)
        finally:
            reader.close()


def _cli(stack: PCSCStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mrtd.cli", "read", *args],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_wrong_mrz_answered_with_6988_exits_3(pcsc_stack: PCSCStack) -> None:
    with served(SimulatedChip(_profile(wrong_key_sw="6988")), pcsc_stack):
        result = _cli(
            pcsc_stack, "--reader", f"pcsc:{pcsc_stack.readers[0]}",
            "--doc-number", "X1234567", "--birth", "880517", "--expiry", "350930",
        )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "6988" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_chip_without_short_file_identifiers_reads_whole(pcsc_stack: PCSCStack) -> None:
    document = _read_through_pcscd(_profile(sfi=False), pcsc_stack)
    in_process = read_document(SimulatedReader(SimulatedChip(DEFAULT)), KEY)
    assert set(document.files) == {"EF.COM", "EF.SOD", "DG1", "DG2"}
    same = {n: d for n, d in in_process.files.items() if n != "EF.SOD"}  # ECDSA: new signature
    assert {n: d for n, d in document.files.items() if n != "EF.SOD"} == same
    assert document.passive.data_groups["DG1"].status == "passed"  # EF.SOD read whole
    assert document.passive.data_groups["DG2"].status == "passed"


def test_an_empty_data_group_does_not_abort_the_read(pcsc_stack: PCSCStack) -> None:
    document = _read_through_pcscd(_profile(empty_data_groups=[2]), pcsc_stack)
    assert "DG1" in document.files
    assert "DG2" not in document.files
    assert "DG2" in document.absent
    assert not document.verdict.genuine


def test_no_card_in_the_reader_exits_4(pcsc_stack: PCSCStack) -> None:
    """pcscd has the reader but no card is in it: after the wait, exit 4 (transport), not 2."""
    result = _cli(pcsc_stack, "--reader", f"pcsc:{pcsc_stack.readers[1]}",
                  "--mrz", *DEFAULT.mrz.lines)  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert "waiting up to" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_chip_refusing_sfi_reads_with_6982_reads_whole(pcsc_stack: PCSCStack) -> None:
    """6982 to every READ BINARY by SFI (every file was listed as denied): read after SELECT."""
    with served(RefusingChip(DEFAULT, sfi_sw=0x6982), pcsc_stack):
        reader = PCSCReader(pcsc_stack.readers[0], timeout=5)
        try:
            document = read_document(reader, KEY)
        finally:
            reader.close()
    assert {"EF.COM", "EF.SOD", "DG1", "DG2"} <= set(document.files)
    assert document.denied == ()


def test_a_pace_only_chip_whose_ef_cardaccess_has_no_sfi_reads_with_pace(
    pcsc_stack: PCSCStack,
) -> None:
    """It was refused with the right MRZ ('probably wrong', exit 3): PACE was never tried."""
    profile = _profile(access=["pace"])
    with served(RefusingChip(profile, no_sfi=("EF.CardAccess",)), pcsc_stack):
        result = _cli(pcsc_stack, "--reader", f"pcsc:{pcsc_stack.readers[0]}",
                      "--mrz", *profile.mrz.lines, "--json")  # fmt: skip
    assert result.returncode == 1, result.stderr  # read; not genuine without trust material
    assert json.loads(result.stdout)["access"]["protocol"] == "PACE"


def test_error_answers_without_secure_messaging_over_pcscd(pcsc_stack: PCSCStack) -> None:
    """A chip that answers errors as bare status words under SM, without SFI support and with
    DG3 behind EAC: the refused SFI reads (6A86) and DG3 (6982) come back plain, and the read
    goes on under the same channel to the end."""
    document = _read_through_pcscd(
        _profile(plain_errors=True, sfi=False, data_groups=[1, 2, 3]), pcsc_stack
    )
    assert {"EF.COM", "EF.SOD", "DG1", "DG2"} <= set(document.files)
    assert document.denied == ("DG3",)
    assert document.passive.data_groups["DG1"].status == "passed"
    assert document.passive.data_groups["DG2"].status == "passed"
