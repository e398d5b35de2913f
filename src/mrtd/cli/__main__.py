"""`python -m mrtd.cli ...`: the `mrtd` command where the script is not on PATH."""

import sys

from mrtd.cli import main

sys.exit(main())
