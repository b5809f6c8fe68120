"""hardening: private ballots under the poll's first chat; reminders, closed-poll notices and
wrong /connect codes counted; messages that name a member

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _private_ballots_under_the_first_chat()
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("pollvoter", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("told_closed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("connect_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("connect_failed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "messageabout",
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "member_id"),
    )
    with op.batch_alter_table("messageabout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messageabout_member_id"), ["member_id"], unique=False)
    with op.batch_alter_table("connectcode", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("messageabout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messageabout_member_id"))
    op.drop_table("messageabout")
    with op.batch_alter_table("connectcode", schema=None) as batch_op:
        batch_op.drop_column("failed_attempts")
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.drop_column("connect_failed_at")
        batch_op.drop_column("connect_failures")
    with op.batch_alter_table("pollvoter", schema=None) as batch_op:
        batch_op.drop_column("told_closed")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
    # The private chats ballots came from are not kept, by design: nothing to restore.


def _private_ballots_under_the_first_chat() -> None:
    """Ballots cast in a private conversation named it: they count under the poll's first
    chat from now on (as new ones do)."""
    connection = op.get_bind()
    direct = {
        f"{platform}:{chat_id}"
        for platform, chat_id in connection.execute(
            sa.text("SELECT platform, chat_id FROM chat WHERE kind = 'direct'")
        )
    }
    rows = connection.execute(sa.text("SELECT id, poll_id, chat_key FROM ballot")).all()
    for ballot_id, poll_id, chat_key in rows:
        if chat_key not in direct:
            continue
        first = connection.execute(
            sa.text(
                "SELECT platform, chat_id FROM pollchat WHERE poll_id = :poll "
                "ORDER BY posted_at, platform, chat_id LIMIT 1"
            ),
            {"poll": poll_id},
        ).first()
        home = f"{first[0]}:{first[1]}" if first else ""
        connection.execute(
            sa.text("UPDATE ballot SET chat_key = :home WHERE id = :id"),
            {"home": home, "id": ballot_id},
        )
