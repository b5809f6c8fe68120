"""a chapter's current ask, carried by its members' nudges

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chapter") as batch:
        batch.add_column(sa.Column("current_ask", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("current_ask_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chapter") as batch:
        batch.drop_column("current_ask_since")
        batch.drop_column("current_ask")
