"""Alembic's environment for mrtd's database, run only by `Store.migrate()`.

The store passes the connection in `config.attributes["connection"]`, already inside the one
transaction (and, on PostgreSQL, the advisory lock) the whole upgrade runs in, and the name of
the version table in `config.attributes["version_table"]`. Alembic sees the transaction is
external and leaves the commit to the store.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "mrtd's migrations run through mrtd.service.store.Store.migrate() "
        "(mrtd serve --migrate-only), which passes the connection"
    )

context.configure(
    connection=connection,
    target_metadata=None,
    version_table=config.attributes["version_table"],
)
with context.begin_transaction():
    context.run_migrations()
