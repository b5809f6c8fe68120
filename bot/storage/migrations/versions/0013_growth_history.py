"""growth history: departures as numbers, the hourly tally, indexes for /stats

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chapter_id", sa.Integer(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chapter_id"], ["chapter.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_departure_chapter_left", "departure", ["chapter_id", "left_at"])
    op.create_index("ix_departure_chapter_joined", "departure", ["chapter_id", "joined_at"])
    op.create_table(
        "growthday",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("departed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "chaptersize",
        sa.Column("chapter_id", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["chapter_id"], ["chapter.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chapter_id"),
    )
    op.create_table(
        "growthtally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_member_onboarded_at", "member", ["onboarded_at"])
    op.create_index("ix_membership_chapter_joined", "membership", ["chapter_id", "joined_at"])
    op.create_index("ix_membership_joined_at", "membership", ["joined_at"])
    op.create_index("ix_outreach_logged_at", "outreachentry", ["logged_at"])
    op.create_index("ix_recruitment_joined_at", "recruitment", ["joined_at"])


def downgrade() -> None:
    op.drop_index("ix_recruitment_joined_at", table_name="recruitment")
    op.drop_index("ix_outreach_logged_at", table_name="outreachentry")
    op.drop_index("ix_membership_joined_at", table_name="membership")
    op.drop_index("ix_membership_chapter_joined", table_name="membership")
    op.drop_index("ix_member_onboarded_at", table_name="member")
    op.drop_table("growthtally")
    op.drop_table("chaptersize")
    op.drop_table("growthday")
    op.drop_index("ix_departure_chapter_joined", table_name="departure")
    op.drop_index("ix_departure_chapter_left", table_name="departure")
    op.drop_table("departure")
