"""The audit chain: each record's year, position, prev_hash and hash; signed checkpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06

Records are chained per calendar year (mrtd/service/audit.py), so a record's place is its
(year, position), unique. An existing record cannot be chained after the fact without
vouching for what nobody signed, and no deployment holds any yet: the migration refuses a
non-empty audit_records (export or delete them first), then rebuilds the (empty) table with
the new columns, which SQLite could not add as NOT NULL in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _audit_records(*chain: sa.Column[object], unique: Sequence[sa.Constraint] = ()) -> None:
    op.create_table(
        "audit_records",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("verification_id", sa.String(64), nullable=False),
        sa.Column("time_us", sa.BigInteger, nullable=False),
        sa.Column("document_number", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(128), nullable=True),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reason_codes", sa.Text, nullable=False),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("challenge_id", sa.String(32), nullable=True),
        *chain,
        sa.UniqueConstraint("verification_id", name="uq_audit_records_verification_id"),
        sa.UniqueConstraint("challenge_id", name="uq_audit_records_challenge_id"),
        *unique,
        sa.CheckConstraint(
            "verdict IN ('genuine', 'failed', 'incomplete')", name="ck_audit_records_verdict"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_records_time_us", "audit_records", ["time_us"])


def _refuse_records(what: str) -> None:
    count = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_records")).scalar()
    if count:
        raise RuntimeError(
            f"audit_records holds {count} record(s) {what}; this migration rebuilds the table "
            "and will not drop them: copy them elsewhere and delete them, then migrate again"
        )


def upgrade() -> None:
    _refuse_records("written before the audit chain")
    op.drop_index("ix_audit_records_time_us", table_name="audit_records")
    op.drop_table("audit_records")
    _audit_records(
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        unique=[sa.UniqueConstraint("year", "position", name="uq_audit_records_year_position")],
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("position", sa.BigInteger, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("head", sa.String(64), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("time_us", sa.BigInteger, nullable=False),
        sa.Column("key_id", sa.String(16), nullable=True),
        sa.Column("signature", sa.String(128), nullable=True),
        sa.CheckConstraint("kind IN ('interval', 'year_end')", name="ck_audit_checkpoints_kind"),
    )


def downgrade() -> None:
    _refuse_records("in the chain")
    op.drop_table("audit_checkpoints")
    op.drop_index("ix_audit_records_time_us", table_name="audit_records")
    op.drop_table("audit_records")
    _audit_records()
