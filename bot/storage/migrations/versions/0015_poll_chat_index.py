"""poll chats found by chat: every group message asks for its chat's latest poll

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pollchat_chat", "pollchat", ["platform", "chat_id"])


def downgrade() -> None:
    op.drop_index("ix_pollchat_chat", table_name="pollchat")
