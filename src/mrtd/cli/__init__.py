"""The `mrtd` command (`app`: the arguments and `mrtd mrz`; one module per other command:
`chip_command` for `read`, `sim` and `readers`, `verify_command`, `ocr_command`, `demo`,
`doctor`; `report` and `mrz_summary` print, `progress` draws the progress bar,
`exit_status` holds the exit codes). The modules are internal; the command is the interface.

`main` is the console script's entry point (`mrtd = "mrtd.cli:main"`, `python -m mrtd.cli`); it
imports the commands when it runs, so importing one module of this package loads no other.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run `mrtd` with `argv` (default: the process arguments); the exit status."""
    from mrtd.cli.app import main as run  # noqa: PLC0415 - the commands load when they run

    return run(argv)
