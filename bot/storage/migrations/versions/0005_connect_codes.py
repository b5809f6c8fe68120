"""connect codes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "connectcode",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("connectcode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connectcode_member_id"), ["member_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("connectcode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connectcode_member_id"))

    op.drop_table("connectcode")
