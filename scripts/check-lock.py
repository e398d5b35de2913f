#!/usr/bin/env python3
"""Compare the installed distributions with the pins of lock files (requirements/*.txt).

Default: exit 1 and list every package whose installed version is not the locked one (or
that is missing), so `make test` runs only on exactly what the locks say. With --report
(`make test-latest`): list the differences, newest first in mind, and exit 0.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def locked_pins(lock: Path) -> dict[str, str]:
    """The pins of `lock` whose environment marker holds here."""
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match is None:
            continue
        name, version, marker = match.groups()
        if marker is None or Marker(marker).evaluate():
            pins[canonicalize_name(name)] = version
    return pins


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("locks", nargs="+", type=Path)
    parser.add_argument("--report", action="store_true", help="list differences, exit 0")
    args = parser.parse_args()
    pins: dict[str, str] = {}
    for lock in args.locks:
        pins.update(locked_pins(lock))
    differences = []
    for name, version in sorted(pins.items()):
        installed = installed_version(name)
        if installed != version:
            differences.append(f"  {name}: locked {version}, installed {installed or 'nothing'}")
    locks = ", ".join(str(lock) for lock in args.locks)
    if not differences:
        print(f"check-lock: {len(pins)} packages installed exactly as {locks} pin them")
        return 0
    print(f"check-lock: {len(differences)} of {len(pins)} packages differ from {locks}:")
    print("\n".join(differences))
    return 0 if args.report else 1


if __name__ == "__main__":
    sys.exit(main())
