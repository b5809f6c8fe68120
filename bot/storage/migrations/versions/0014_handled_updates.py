"""handled updates in the turn's transaction; poll selections not cast yet

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Where the Telegram adapter kept the ids of the last updates it handled until now.
_OLD_PLATFORM, _OLD_KEY = "telegram", "handled_update_ids"


def upgrade() -> None:
    handled = op.create_table(
        "handledupdate",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.String(length=64), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "update_id"),
    )
    op.create_index(
        op.f("ix_handledupdate_handled_at"), "handledupdate", ["handled_at"], unique=False
    )
    op.create_table(
        "pollselection",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("poll", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "poll", "chat_id", "user_id"),
    )
    op.create_index(
        op.f("ix_pollselection_updated_at"), "pollselection", ["updated_at"], unique=False
    )
    # The updates handled just before the upgrade stay handled: one delivered again after
    # the restart is still skipped.
    state = sa.table(
        "adapterstate",
        sa.column("platform", sa.String),
        sa.column("key", sa.String),
        sa.column("value", sa.JSON),
    )
    where = sa.and_(state.c.platform == _OLD_PLATFORM, state.c.key == _OLD_KEY)
    connection = op.get_bind()
    ids = connection.execute(sa.select(state.c.value).where(where)).scalar()
    if isinstance(ids, list) and ids:
        now = datetime.now(UTC)
        rows = [{"platform": _OLD_PLATFORM, "update_id": str(i), "handled_at": now} for i in ids]
        op.bulk_insert(handled, list({row["update_id"]: row for row in rows}.values()))
    connection.execute(sa.delete(state).where(where))


def downgrade() -> None:
    op.drop_index(op.f("ix_pollselection_updated_at"), table_name="pollselection")
    op.drop_table("pollselection")
    op.drop_index(op.f("ix_handledupdate_handled_at"), table_name="handledupdate")
    op.drop_table("handledupdate")
