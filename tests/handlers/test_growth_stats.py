"""/stats with growth: graded activity, the last six months, the projection at the chapter's
pace; /stats all with the organization's milestones and its own arithmetic. Every figure is
checked against one computed by hand from the rows set up here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlmodel import select

from bot.app import build_application
from bot.core.outgoing import Image
from bot.handlers.monthly_report import REPORT, keep_report
from bot.scheduling.clock import Clock
from bot.storage.models import (
    Member,
    Membership,
    OutreachEntry,
    PollRecord,
    PollVoter,
    Recruitment,
    Schedule,
    utcnow,
)
from tests.conftest import make_settings
from tests.handlers.test_chapters import chapter
from tests.handlers.test_nudges import aware
from tests.handlers.test_polls import GROUP, linked_group
from tests.support.harness import Harness
from tests.support.organizations import CHAPTERS_ORG

MILESTONES = """
[[milestones]]
name = { en = "Founding convention", fr = "Congrès fondateur", nl = "Oprichtingscongres" }
chapters = 3
min_members = 2
members = 10
"""
NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
# When each one joined Brussels and was onboarded (gert: Ghent; admin: no chapter).
JOINED = {
    "olga": datetime(2026, 7, 10, tzinfo=UTC),
    "nina": datetime(2026, 9, 5, tzinfo=UTC),
    "jan": datetime(2026, 10, 20, tzinfo=UTC),
    "lou": datetime(2026, 11, 3, tzinfo=UTC),
    "max": datetime(2026, 12, 2, tzinfo=UTC),
    "gert": datetime(2026, 12, 3, tzinfo=UTC),
    "admin": datetime(2026, 12, 4, tzinfo=UTC),
}


@pytest.fixture
def growth_bot(
    sqlite_url: str, locales_dir: Path, cache_dir: Path, tmp_path: Path
) -> Iterator[Harness]:
    org_file = tmp_path / "organization.toml"
    org_file.write_text(CHAPTERS_ORG + MILESTONES, encoding="utf-8")
    settings = replace(make_settings(sqlite_url, locales_dir, cache_dir), org_file=org_file)
    application = build_application(settings)
    with time_machine.travel(NOW, tick=False):
        yield Harness(application)
    application.close()


async def a_chapter_s_year(bot: Harness) -> None:
    await linked_group(bot, "nina", "jan", "lou", "max")
    with time_machine.travel(datetime(2026, 11, 20, tzinfo=UTC), tick=False):
        await bot.say("/talked 1", member="lou")  # last month: not this month's
    await bot.say("/talked 2 colleagues", member="nina")
    await bot.say("/talked 3", member="jan")
    brussels = chapter(bot, "Brussels").id
    with bot.app.services.database.session() as session:
        for name, joined in JOINED.items():
            member = session.get(Member, bot.member(name).id)
            member.onboarded_at = joined
            session.add(member)
            for membership in session.exec(
                select(Membership).where(Membership.member_id == member.id)
            ):
                membership.joined_at = joined
                session.add(membership)
        # Lou's conversations at a Ghent event count for Ghent, not for Brussels.
        session.add(
            OutreachEntry(
                member_id=bot.member("lou").id,
                chapter_id=chapter(bot, "Ghent").id,
                people=4,
                logged_at=datetime(2026, 12, 12, tzinfo=UTC),
            )
        )
        # Olga voted in this month's poll; Nina's invitation brought someone this month.
        session.add(PollRecord(id="p1", chapter_id=brussels, question="When?", options=["a"]))
        session.flush()
        session.add(PollVoter(poll_id="p1", member_id=bot.member("olga").id, voted=True))
        session.add(
            Recruitment(
                inviter_id=bot.member("nina").id,
                chapter_id=brussels,
                joined_at=datetime(2026, 12, 10, tzinfo=UTC),
            )
        )


async def test_stats_shows_graded_activity_six_months_and_the_projection(
    growth_bot: Harness,
) -> None:
    bot = growth_bot
    await a_chapter_s_year(bot)
    text = (await bot.say_in_group("/stats", member="nina", chat=GROUP)).text
    # Five members; this month Max joined, last month Lou.
    assert "5 members" in text and "1 joined this month" in text and "1 joined last month" in text
    # Olga voted; Nina and Jan logged outreach; Nina invited; Lou and Max: nothing yet.
    for line in (
        "Voted in a poll: 1",
        "Logged outreach: 2",
        "Invited someone who joined: 1",
        "Nothing yet: 2",
        "Conversations logged: 5",
        "Recruited through invitations: 1",
    ):
        assert line in text, line
    history = [
        "July 2026: 1 (+1)",
        "August 2026: 1 (+0)",
        "September 2026: 2 (+1)",
        "October 2026: 3 (+1)",
        "November 2026: 4 (+1)",
        "December 2026: 5 (+1)",
    ]
    assert "\n".join(history) in text
    # One a month over September–November; 5 more to the next milestone (10): May 2027.
    assert "At this pace (1 a month), Brussels reaches 10 members around May 2027." in text
    for name in JOINED:
        assert name.title() not in text.replace("Brussels", "")  # counts only, never names


async def test_who_leaves_or_forgets_stays_in_the_months_they_were_there(
    growth_bot: Harness,
) -> None:
    bot = growth_bot
    await a_chapter_s_year(bot)
    reply = await bot.say("/leave", member="lou")  # in Brussels since November
    reply = await bot.say(reply.option_number(str(chapter(bot, "Brussels").id)), member="lou")
    assert "You have left Brussels" in reply.text
    reply = await bot.say("/forget", member="jan")  # in Brussels since October
    await bot.say(reply.option_number("erase"), member="jan")
    text = (await bot.say_in_group("/stats", member="nina", chat=GROUP)).text
    # Olga, Nina and Max now; Jan and Lou still in October and November, and their joins too.
    assert "3 members" in text and "1 joined this month" in text and "1 joined last month" in text
    # July–September as before; Jan still in October, Lou in November; both gone now.
    assert "October 2026: 3 (+1)\nNovember 2026: 4 (+1)\nDecember 2026: 3 (+1)" in text
    # Net growth over September–November is still 3 (1 → 4): one a month; 7 more to 10.
    assert "At this pace (1 a month), Brussels reaches 10 members around July 2027." in text
    # The organization: Jan's /forget leaves his months; Lou is still a member of it.
    text = (await bot.say("/stats all", member="admin")).text
    assert "6 members" in text and "3 joined this month" in text
    assert "November 2026: 4 (+1)\nDecember 2026: 6 (+3)" in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Founding convention", "Members: 7 of 10", "around March 2027", "January 2027"]),
        ("fr", ["Congrès fondateur", "mars 2027", "janvier 2027"]),
        ("nl", ["Oprichtingscongres", "maart 2027", "januari 2027"]),
    ],
)
async def test_stats_all_shows_the_organization_and_its_milestones(
    growth_bot: Harness, lang: str, words: list[str]
) -> None:
    bot = growth_bot
    await a_chapter_s_year(bot)
    with bot.app.services.database.session() as session:
        admin = session.get(Member, bot.member("admin").id)
        admin.language = lang
        session.add(admin)
    text = (await bot.say("/stats all", member="admin")).text
    for word in words:
        assert word in text, word
    if lang == "en":
        # 7 onboarded; this month Max, Gert and the admin; last month Lou.
        assert "7 members" in text and "3 joined this month" in text
        assert "1 joined last month" in text and "2 chapters with members" in text
        assert "Chapters with at least 2 members: 1 of 3" in text
        # 3 more at one a month: March; doubling 7 → 14 ≥ 10 takes one month: January.
        assert "reaches 10 members around March 2027" in text
        assert "we would double each month: 10 members around January 2027" in text


async def test_organizers_get_last_month_s_report_on_the_first(growth_bot: Harness) -> None:
    bot = growth_bot
    await a_chapter_s_year(bot)
    await bot.say("/story We cooked soup for 80 people on Saturday.", member="olga")
    await bot.inbox("olga")
    await bot.inbox("gert")
    with bot.app.services.database.session() as session:
        keep_report(bot.app.services, session)
    with bot.app.services.database.session() as session:
        [schedule] = session.exec(select(Schedule).where(Schedule.kind == REPORT)).all()
        assert aware(schedule.next_at) == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2027, 1, 1, 9, 0, 1, tzinfo=UTC), tick=False):
        Clock.for_router(bot.app.services, bot.app.dispatcher.router).fire_due(utcnow())
        report = (await bot.inbox("olga")).text
        ghent = (await bot.inbox("gert")).text
        assert (await bot.inbox("nina")).texts == []  # organizers only
    for line in (
        "Brussels in December 2026",
        "5 members",
        "New members: 1 (the month before: 1)",
        "Conversations logged: 5 (the month before: 1)",
        "Recruited through invitations: 1",
        "Voted in a poll: 1",
        "Logged outreach: 2",
        "Invited someone who joined: 1",
        "Nothing yet: 2",
        # Jan (October), Lou (November), Max (December): one a month.
        "Trend (new members a month over the last three months): 1",
        "Stories of the month:",
        "• We cooked soup for 80 people on Saturday. — Olga, Brussels",
    ):
        assert line in report, line
    assert "Ghent in december 2026" in ghent and "1 lid" in ghent  # Gert reads Dutch


@pytest.mark.parametrize(
    ("lang", "title", "month"),
    [("en", "Growth of Brussels", "Dec 2026"), ("fr", "Croissance : Brussels", "déc."),
     ("nl", "Groei van Brussels", "dec 2026")],
)  # fmt: skip
async def test_growth_is_a_png_in_the_reader_s_language(
    growth_bot: Harness, lang: str, title: str, month: str
) -> None:
    bot = growth_bot
    await a_chapter_s_year(bot)
    with bot.app.services.database.session() as session:
        nina = session.get(Member, bot.member("nina").id)
        nina.language = lang
        session.add(nina)
    reply = await bot.say("/growth", member="nina")
    [image] = [m.body for m in reply.messages if isinstance(m.body, Image)]
    png = image.png
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (800, 450)
    assert title in reply.text.replace("\xa0", " ")
    assert month in image.alt and "5" in image.alt
    # The sparkline of 1, 1, 2, 3, 4, 5 members: steps of (v - 1) / 4 × 7 = 0, 0, 2, 4, 5, 7.
    assert image.text == "▁▁▃▅▆█ 1 → 5"
    reply = await bot.say("/growth all", member="nina")
    assert any(isinstance(m.body, Image) for m in reply.messages)


async def test_growth_without_a_chapter_points_to_growth_all(growth_bot: Harness) -> None:
    bot = growth_bot
    await bot.onboard("zed")
    reply = await bot.say("/growth", member="zed")
    assert "/growth all" in reply.text and not any(
        isinstance(m.body, Image) for m in reply.messages
    )


async def test_the_terminal_saves_the_picture_and_prints_its_path(tmp_path: Path) -> None:
    import io

    from bot.adapters.terminal.chat import TerminalOutbox
    from bot.charts import GrowthChart, growth_png
    from bot.core.events import ChatRef
    from bot.core.outgoing import Outgoing

    png = growth_png(GrowthChart("T", "M", ["a", "b"], [1, 2], [2, 3], "so far", "pace"))
    out = io.StringIO()
    message = Outgoing(
        ChatRef("terminal", "dm:x"), Image.of(png, "alt", "<b>Growth</b>", "▁█ 1 → 2")
    )
    await TerminalOutbox(out, tmp_path).send(message)
    printed = out.getvalue().strip().splitlines()
    assert printed[:2] == ["Growth", "▁█ 1 → 2"]
    assert Path(printed[2]).read_bytes() == png and Path(printed[2]).parent == tmp_path
