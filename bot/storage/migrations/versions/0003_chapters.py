"""chapters: memberships, join decisions, linked chats, watches, actions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitedorganizer",
        sa.Column("chapter_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["chapter_id"], ["chapter.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chapter_id", "identity"),
    )
    with op.batch_alter_table("invitedorganizer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitedorganizer_identity"), ["identity"], unique=False
        )

    op.create_table(
        "chapterwatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id"),
    )
    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chapter_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("shares_contact", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chapter_id"], ["chapter.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chapter_id", "member_id", name="uq_membership"),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_chapter_id"), ["chapter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_member_id"), ["member_id"], unique=False)

    op.create_table(
        "pendingaction",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("chat_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pendingaction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pending_action_member_chat", ["member_id", "chat_key"], unique=False
        )

    with op.batch_alter_table("chapter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("founded_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_chapter_founded_by_member", "member", ["founded_by"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("chat", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chapter_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("title", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_chat_chapter_id"), ["chapter_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_chat_chapter_id_chapter", "chapter", ["chapter_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("joinrequest", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shares_contact", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_joinrequest_decided_by_member",
            "member",
            ["decided_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:

    with op.batch_alter_table("joinrequest", schema=None) as batch_op:
        batch_op.drop_constraint("fk_joinrequest_decided_by_member", type_="foreignkey")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("notified_at")
        batch_op.drop_column("shares_contact")

    with op.batch_alter_table("chat", schema=None) as batch_op:
        batch_op.drop_constraint("fk_chat_chapter_id_chapter", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_chat_chapter_id"))
        batch_op.drop_column("title")
        batch_op.drop_column("chapter_id")

    with op.batch_alter_table("pendingaction", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_action_member_chat")

    op.drop_table("pendingaction")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_member_id"))
        batch_op.drop_index(batch_op.f("ix_membership_chapter_id"))

    op.drop_table("membership")
    op.drop_table("chapterwatch")
    with op.batch_alter_table("invitedorganizer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitedorganizer_identity"))
    op.drop_table("invitedorganizer")
    with op.batch_alter_table("chapter", schema=None) as batch_op:
        batch_op.drop_constraint("fk_chapter_founded_by_member", type_="foreignkey")
        batch_op.drop_column("founded_by")
