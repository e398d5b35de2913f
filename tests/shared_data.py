"""The shared test data: third-party files (BSI data sets, DG2 samples, the German master list,
MRZ photos and line crops) that tests, benchmarks and fuzz seeds read in place and that are
never committed (their provenance: PROVENANCE.md in that folder).

The folder is $MRTD_SHARED_DATA, by default `../shared/data` beside the repository. A test that
needs it asks `shared_data_path(...)`: without the folder the test is skipped with a reason that
names the path and the variable (tests/conftest.py counts those skips into one notice line), or
fails when MRTD_REQUIRE_SHARED_DATA=1 (CI), so these tests never skip silently there.

Importing this module does not import pytest: benchmarks and fuzz seeds use `shared_data_root`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

__all__ = [
    "ENV",
    "REQUIRE_ENV",
    "SKIP_REASON",
    "shared_data_dir",
    "shared_data_file",
    "shared_data_params",
    "shared_data_path",
    "shared_data_required",
    "shared_data_root",
]

ROOT = Path(__file__).resolve().parents[1]
ENV = "MRTD_SHARED_DATA"
REQUIRE_ENV = "MRTD_REQUIRE_SHARED_DATA"
DEFAULT = ROOT.parent / "shared" / "data"
SKIP_REASON = "needs the shared data"
"""Every skip (and failure) for missing shared data starts with this."""
MARKER = "shared_data"
"""The marker of a parameter standing in for a shared folder that is absent."""


def shared_data_dir() -> Path:
    """Where the shared data should be ($MRTD_SHARED_DATA or ../shared/data), present or not."""
    value = os.environ.get(ENV, "")
    return Path(value).expanduser() if value else DEFAULT


def shared_data_root() -> Path | None:
    """The shared data folder, or None when it is absent (never skips: for benchmarks and
    fuzz seeds, which go on without it)."""
    root = shared_data_dir()
    return root if root.is_dir() else None


def shared_data_file(*parts: str) -> Path | None:
    """The shared file or folder `parts`, or None when it is absent (never skips: for samples
    that only add to project-made ones, read when a module loads)."""
    path = shared_data_dir().joinpath(*parts)
    return path if path.exists() else None


def shared_data_required() -> bool:
    """MRTD_REQUIRE_SHARED_DATA=1: missing shared data fails the test instead of skipping it."""
    return os.environ.get(REQUIRE_ENV, "") == "1"


def missing_reason(path: Path) -> str:
    """The one-line reason a test cannot run without `path`."""
    return f"{SKIP_REASON}: {path} is absent (set {ENV})"


def shared_data_path(*parts: str) -> Path:
    """The shared file or folder `parts` (relative to the shared data folder). When it is
    absent the calling test is skipped, or fails under MRTD_REQUIRE_SHARED_DATA=1."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        _absent(path)
    return path


def _absent(path: Path) -> NoReturn:
    import pytest  # noqa: PLC0415 - only tests skip; benchmarks and fuzz seeds import this module

    if shared_data_required():
        pytest.fail(f"{missing_reason(path)}; {REQUIRE_ENV}=1 makes this a failure", pytrace=False)
    # Without the whole folder every skip gives the same reason, so pytest's summary folds them
    # into one line per place; a single missing file inside a present folder is named.
    root = shared_data_dir()
    pytest.skip(missing_reason(path if root.is_dir() else root))


def shared_data_params(
    *parts: str,
    pattern: str = "*",
    pick: Callable[[Path], Iterable[Path]] | None = None,
    ids: Callable[[Path], str] = lambda path: path.name,
) -> list[Any]:
    """pytest parameters for files of the shared folder `parts`: those `pick(folder)` returns,
    or else those matching `pattern` (sorted), with `ids`. When the folder is absent: one
    parameter, the missing folder, that tests/conftest.py skips (or fails) before the test
    runs, so the test still collects."""
    import pytest  # noqa: PLC0415

    folder = shared_data_dir().joinpath(*parts)
    if not folder.is_dir():
        mark = getattr(pytest.mark, MARKER)(folder)
        return [pytest.param(folder, id="shared-data-absent", marks=mark)]
    paths = pick(folder) if pick is not None else sorted(folder.glob(pattern))
    return [pytest.param(path, id=ids(path)) for path in paths]
