"""/growth: the growth of a chapter (or, with "all", of the organization) as a picture:
members per month, history solid, the projection at the present pace dashed, the next
milestone as a line, in the reader's language."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_date
from sqlmodel import Session

from bot.charts import GrowthChart, growth_png, sparkline
from bot.core.access import EVERYWHERE, chapter_in_view
from bot.core.conversation import Conversation
from bot.core.events import CommandMessage
from bot.core.outgoing import Image
from bot.core.router import Router
from bot.core.services import Services
from bot.handlers.growth import (
    HISTORY_MONTHS,
    PACE_MONTHS,
    add_months,
    chapter_target,
    history,
    projection,
    recent_months,
)
from bot.handlers.outreach import home_chapter
from bot.i18n.catalog import N_
from bot.storage.growth import GrowthRepository
from bot.storage.models import utcnow

router = Router("growth")

AHEAD_MONTHS = 6


@router.every(timedelta(hours=1), name="growth.tally")
def tally(services: Services, session: Session) -> None:
    """The organization's days and the chapters' sizes, counted once an hour so that
    /stats all and /growth all need not count 500,000 rows (bot/storage/growth.py)."""
    GrowthRepository(session).count_tally()


@router.command(
    "growth", description=N_("Our growth as a picture (/growth all: everyone's)"), access=EVERYWHERE
)
async def growth(conv: Conversation, command: CommandMessage) -> None:
    everyone = command.args.strip().lower() == "all"
    chapter = (
        None if everyone else chapter_in_view(conv) or home_chapter(conv.session, conv.member.id)
    )
    if not everyone and chapter is None:
        conv.reply(
            conv._("You are not in a chapter yet: send /growth all for the whole organization.")
        )
        return
    conv.send(picture(conv, chapter.id if chapter else None, chapter.name if chapter else None))


def picture(
    conv: Conversation, chapter_id: int | None, name: str | None, now: datetime | None = None
) -> Image:
    now = now or utcnow()
    repo = GrowthRepository(conv.session)
    timezone = conv.member.timezone if conv.incoming.is_direct else None
    every = recent_months(now, timezone, max(HISTORY_MONTHS, PACE_MONTHS + 1))
    months = every[-HISTORY_MONTHS:]
    past = history(repo, chapter_id, every, now)
    members = [past.members(m.end) for m in months]
    per_month = past.pace(every)
    count = members[-1]
    ahead = [count + per_month * step for step in range(AHEAD_MONTHS + 1)]
    firsts = [m.first for m in months] + [
        add_months(months[-1].first, k) for k in range(1, AHEAD_MONTHS + 1)
    ]
    labels = [format_date(first, format="LLL yyyy", locale=conv.language) for first in firsts]
    organization = conv.services.organization
    title_name = name or organization.name
    if chapter_id is not None:
        target = chapter_target(conv, count)
        milestone = (
            conv._("Next milestone: %(count)s members", count=conv.fmt.number(target)),
            target,
        )
    else:
        goals = [m for m in organization.milestones if m.members > count]
        target = goals[0].members if goals else 0
        milestone = (goals[0].name_for(conv.language), target) if goals else None
    chart = GrowthChart(
        title=conv._("Members of %(name)s, month by month", name=title_name),
        y_label=conv._("Members"),
        months=labels,
        history=members,
        projection=ahead,
        history_label=conv._("So far"),
        projection_label=conv._("At the present pace"),
        milestone=milestone,
    )
    caption = conv._("<b>Growth of %(name)s</b>", name=title_name)
    if target:
        caption += "\n" + projection(
            conv, title_name, count, target, per_month, recent_months(now, timezone, 1)
        )
    numbers = ", ".join(
        f"{label}: {conv.fmt.number(v)}" for label, v in zip(labels, members, strict=False)
    )
    return Image.of(
        growth_png(chart),
        alt=conv._("Members per month: %(numbers)s", numbers=numbers),
        caption=caption,
        text=f"{sparkline(members)} {conv.fmt.number(members[0])} → {conv.fmt.number(count)}",
        filename="growth.png",
    )
