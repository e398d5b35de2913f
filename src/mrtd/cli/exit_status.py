"""Exit status of the `mrtd` command (docs/design.md, "The `mrtd` command")."""

from __future__ import annotations

EXIT_OK = 0  # read / verify: genuine under the policy in force; mrz: the MRZ is valid
EXIT_CHECK_FAILED = 1  # read / verify: failed or incomplete under the policy (see the reasons)
EXIT_USAGE = 2  # bad usage or input
EXIT_ACCESS_DENIED = 3  # wrong key
EXIT_TRANSPORT = 4  # reader, transport or chip failure
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT): stopped cleanly, what was read kept (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (a service manager's stop) during a read: the same (128 + SIGTERM)
EXIT_INTERNAL = 70  # an internal error (a bug: please report it); EX_SOFTWARE of sysexits.h

# The version of every `--json` document (one per run, errors included): 2 added
# `verdict_codes`, `policy` and the checks the policy judges to `mrtd read` and `mrtd verify`.
SCHEMA_VERSION = 2
