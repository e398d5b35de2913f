"""Fixtures of the service's tests, on both databases.

- `postgres_cluster` (session): a private PostgreSQL server (tests/service/postgres.py), started
  on first use, stopped at the end of the session even after failures. Without PostgreSQL's
  programs the tests that need it are skipped with a notice, or fail when
  MRTD_REQUIRE_INTEROP=1 (`make test`).
- `store_url` (function, parametrized "sqlite" and "postgresql"): the URL of a new, empty
  database for each test: a file in tmp_path, or a new database on the cluster (dropped after
  the test). Nothing is migrated. A test that takes it runs once per database; the SQLite
  run never starts the cluster.
- `store` (function): a `Store` on `store_url`, migrated, closed after the test.

The application's tests can take `store_url` (and `store`) the same way.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from mrtd.service.store import Store
from tests.service.postgres import PostgresCluster, PostgresUnavailableError

_databases = itertools.count(1)


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("MRTD_REQUIRE_INTEROP") == "1":
        pytest.fail(f"{reason} (MRTD_REQUIRE_INTEROP=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = PostgresCluster()
    except PostgresUnavailableError as error:
        unavailable(f"PostgreSQL tests not run: {error}")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mrtd.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"test_{next(_databases)}"
    url = cluster.create_database(name)
    try:
        yield url
    finally:
        cluster.drop_database(name)  # closes what the test left connected


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url)
    opened.migrate()
    try:
        yield opened
    finally:
        opened.close()
