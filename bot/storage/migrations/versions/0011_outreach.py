"""outreach: logged conversations, personal invitation codes, recruitments, nudge budget

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outreachentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("chapter_id", sa.Integer(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chapter_id"], ["chapter.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_outreach_chapter_logged", "outreachentry", ["chapter_id", "logged_at"], unique=False
    )
    op.create_index(
        "ix_outreach_member_logged", "outreachentry", ["member_id", "logged_at"], unique=False
    )
    op.create_table(
        "invitationcode",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("member_id"),
    )
    op.create_table(
        "recruitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inviter_id", sa.Integer(), nullable=True),
        sa.Column("newcomer_id", sa.Integer(), nullable=True),
        sa.Column("chapter_id", sa.Integer(), nullable=True),
        sa.Column("name_shared", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chapter_id"], ["chapter.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["inviter_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["newcomer_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("newcomer_id"),
    )
    op.create_index("ix_recruitment_chapter_id", "recruitment", ["chapter_id"], unique=False)
    op.create_index("ix_recruitment_inviter_id", "recruitment", ["inviter_id"], unique=False)
    op.create_table(
        "nudgestate",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("last_nudged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("quiet_from", sa.Integer(), nullable=True),
        sa.Column("quiet_until", sa.Integer(), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id"),
    )


def downgrade() -> None:
    op.drop_table("nudgestate")
    op.drop_index("ix_recruitment_inviter_id", table_name="recruitment")
    op.drop_index("ix_recruitment_chapter_id", table_name="recruitment")
    op.drop_table("recruitment")
    op.drop_table("invitationcode")
    op.drop_index("ix_outreach_member_logged", table_name="outreachentry")
    op.drop_index("ix_outreach_chapter_logged", table_name="outreachentry")
    op.drop_table("outreachentry")
