"""poll deadlines are schedules: each open poll with a deadline gets its own

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    polls = connection.execute(
        sa.text("SELECT id, closes_at FROM poll WHERE closed_at IS NULL AND closes_at IS NOT NULL")
    ).all()
    for poll_id, closes_at in polls:
        if isinstance(closes_at, str):  # SQLite hands raw SQL its text
            closes_at = datetime.fromisoformat(closes_at)
        moment = closes_at if closes_at.tzinfo else closes_at.replace(tzinfo=UTC)
        at = moment.astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0)
        connection.execute(
            sa.text(
                "INSERT INTO schedule (kind, key, rule, timezone, payload, status, next_at, "
                "due_at, created_at, updated_at) VALUES ('poll.deadline', :key, :rule, 'UTC', "
                ":payload, 'active', :at, :at, :now, :now)"
            ),
            {
                "key": f"poll:{poll_id}",
                "rule": json.dumps(
                    {
                        "type": "once",
                        "at": at.isoformat(),
                        "minute": "0",
                        "hour": "*",
                        "day": "*",
                        "month": "*",
                        "day_of_week": "*",
                        "every_weeks": 1,
                    }
                ),
                "payload": json.dumps({"poll_id": poll_id}),
                "at": moment,
                "now": now,
            },
        )
    # The minute-by-minute job that closed them is gone.
    connection.execute(sa.text("DELETE FROM schedule WHERE key = 'periodic:polls.close-due'"))


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM schedule WHERE kind = 'poll.deadline'"))
