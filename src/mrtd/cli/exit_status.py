"""Exit status of the `mrtd` command (docs/design.md, "The `mrtd` command")."""

from __future__ import annotations

EXIT_OK = 0  # read and genuine; verify: Passive Authentication passed; the MRZ is valid
EXIT_CHECK_FAILED = 1  # read, but not genuine (a check failed or could not be completed)
EXIT_USAGE = 2  # bad usage or input
EXIT_ACCESS_DENIED = 3  # wrong key
EXIT_TRANSPORT = 4  # reader, transport or chip failure
