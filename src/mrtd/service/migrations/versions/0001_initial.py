"""The initial schema: single-use challenges and the audit records.

Revision ID: 0001
Revises:
Create Date: 2026-12-06

Times are integer microseconds since 1970-01-01 UTC (`*_us`, BIGINT). `audit_records.seq`
numbers the records in the order they were written (SQLite: AUTOINCREMENT, never reused;
PostgreSQL: a BIGSERIAL). Reason codes are one space-separated text.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "challenges",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("nonce", sa.LargeBinary(8), nullable=False),
        sa.Column("issued_at_us", sa.BigInteger, nullable=False),
        sa.Column("expires_at_us", sa.BigInteger, nullable=False),
        sa.Column("redeemed_at_us", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_challenges_expires_at_us", "challenges", ["expires_at_us"])
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
        sa.UniqueConstraint("verification_id", name="uq_audit_records_verification_id"),
        sa.UniqueConstraint("challenge_id", name="uq_audit_records_challenge_id"),
        sa.CheckConstraint(
            "verdict IN ('genuine', 'failed', 'incomplete')", name="ck_audit_records_verdict"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_records_time_us", "audit_records", ["time_us"])


def downgrade() -> None:
    op.drop_index("ix_audit_records_time_us", table_name="audit_records")
    op.drop_table("audit_records")
    op.drop_index("ix_challenges_expires_at_us", table_name="challenges")
    op.drop_table("challenges")
