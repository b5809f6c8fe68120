"""Privacy from the schema: every table and column is walked for what identifies a member, so a
table added later is covered without touching this test. After /forget nothing is found; before
it, /mydata shows every row that was found."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import ForeignKey, select
from sqlmodel import SQLModel
from sqlmodel import select as sqlmodel_select

from bot.core.events import PollVote
from bot.storage.adapter_state import AdapterStateRepository
from bot.storage.members import EXPORT_SECTIONS
from bot.storage.models import Departure, NudgeState, OutreachEntry, Recruitment, utcnow
from bot.storage.outreach import OutreachRepository
from bot.storage.selections import SelectionRepository
from tests.handlers.test_chapters import meet_organizers, request_brussels
from tests.handlers.test_connect import code_in, say_on
from tests.handlers.test_outreach import invitation_in, start_with
from tests.support.harness import Harness

NAME = "NinaZed"
USER = "ninazed"
MATRIX_ID = "@ninazed:example.org"
SECRET_TEXT = "Quokka picnic question"


def member_columns(table: Any) -> list[Any]:
    """Columns that point at a member."""
    return [
        c
        for c in table.columns
        if any(
            isinstance(fk, ForeignKey) and fk.column.table.name == "member" for fk in c.foreign_keys
        )
        or (table.name == "member" and c.name == "id")
    ]


def pattern_of(needles: list[str]) -> re.Pattern:
    return re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)


def walk(bot: Harness, member_id: int, needles: list[str]) -> list[tuple[str, dict, set[str]]]:
    """(table, row, columns that gave it away) for every row about the member."""
    pattern = pattern_of(needles)
    found = []
    with bot.app.services.database.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            ids = {c.name for c in member_columns(table)}
            for row in connection.execute(select(table)).mappings():
                hits = {name for name in ids if row[name] == member_id}
                for column, value in row.items():
                    if column in ids or value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    if pattern.search(text):
                        hits.add(column)
                if hits:
                    found.append((table.name, dict(row), hits))
    return found


def entries(section: Any) -> list[Any]:
    return section if isinstance(section, list) else [section]


def shown(
    export: dict, table: str, row: dict, hits: set[str], member_id: int, needles: re.Pattern
) -> bool:
    """Some entry of the table's sections is this row: its keys, and what gave it away."""
    keys = [c.name for c in SQLModel.metadata.tables[table].primary_key]
    ids = {c.name for c in member_columns(SQLModel.metadata.tables[table])}
    for name in EXPORT_SECTIONS[table]:
        for entry in entries(export.get(name, [])):
            if not isinstance(entry, dict):  # a list of plain values (the interests)
                if entry in row.values():
                    return True
                continue
            if any(entry.get(k) != row[k] for k in keys):
                continue
            dumped = json.dumps(entry, default=str)
            if all(
                entry.get(c) == member_id if c in ids else bool(needles.search(dumped))
                for c in hits
            ):
                return True
    return False


async def nina_s_life(bot: Harness) -> None:
    """Everything the bot can come to know about one member, in every kind of table."""
    await meet_organizers(bot)
    await bot.onboard(USER, "fr", place="Antwerpen", name=NAME)
    await request_brussels(bot, USER, "fr")  # Olga is told: "NinaZed … asks to join"
    await bot.inbox("olga")
    await bot.say("/chapters", member=USER, lang="fr")  # a conversation state
    # Polls: one she created (named), one she voted in anonymously, in private.
    await bot.say_in_group(f"/poll {SECRET_TEXT}? | yes | no", member=USER, chat="g1")
    await bot.say_in_group("1", member=USER, chat="g1")
    reply = await bot.say_in_group("/poll Secret? | yes | no | anonymous", member="olga", chat="g2")
    poll_id = next(m.body.poll_id for m in reply.messages if hasattr(m.body, "poll_id"))
    await bot.say(f"/vote {poll_id} 1", member=USER)
    await bot.send(PollVote(poll_id=poll_id, option_keys=("0",), **bot._common("olga", None, "g2")))
    # A Matrix account, joined to hers; the adapter remembers she invited the bot to a room.
    await say_on(bot, "matrix", MATRIX_ID, "bonjour")
    code = code_in(await bot.say("/connect", member=USER, lang="fr"))
    await say_on(bot, "matrix", MATRIX_ID, f"/connect {code}")
    await bot.say("/connect", member=USER)  # and a live code
    # Outreach: conversations with a note, her invitation, someone she brought, who brought her.
    await bot.say(f"/talked 2 {SECRET_TEXT}", member=USER)
    invitation = invitation_in(await bot.say("/invite", member=USER))
    chapters = await start_with(bot, "zed", invitation)
    await bot.say(chapters.option_number("none"), member="zed")
    await bot.say("1", member="zed")
    reply = await bot.say("1", member="zed")
    await bot.say(reply.option_number("name"), member="zed")
    await bot.inbox(USER)
    with bot.app.services.database.session() as session:
        olga = bot.member("olga")
        nina = bot.member(USER)
        assert olga is not None and nina is not None
        OutreachRepository(session).credit(olga.id, nina.id, None, True)
        session.add(NudgeState(member_id=nina.id, last_nudged_at=utcnow()))
    with bot.app.services.database.session() as session:
        # Options she selected in a poll with buttons and has not cast yet.
        SelectionRepository(session).toggle("test", "p-days", "g2", USER, 1)
    with bot.app.services.database.session() as session:
        AdapterStateRepository(session).set(
            "matrix", "room:!dm:example.org", {"kind": "direct", "inviter": MATRIX_ID}
        )
        AdapterStateRepository(session).set(
            "matrix", "room:!other:example.org", {"kind": "group", "inviter": "@olga:example.org"}
        )


@pytest.mark.parametrize("lang", ["fr"])
async def test_mydata_shows_every_row_about_a_member_and_forget_leaves_none(
    chapters_bot: Harness, lang: str
) -> None:
    bot = chapters_bot
    await nina_s_life(bot)
    member = bot.member(USER)
    assert member is not None
    needles = [USER, NAME, MATRIX_ID, SECRET_TEXT]
    before = walk(bot, member.id, needles)
    tables = {table for table, _row, _hits in before}
    # The scenario reaches the tables where a member's traces hide.
    assert {"delivery", "messageabout", "adapterstate", "poll", "connectcode"} <= tables
    assert {"outreachentry", "invitationcode", "recruitment", "nudgestate"} <= tables
    assert "pollselection" in tables

    reply = await bot.say("/mydata", member=USER, lang=lang)
    export = json.loads(reply.texts[-1].split("\n", 1)[1])
    missing = [
        (table, {k: row[k] for k in sorted(hits)})
        for table, row, hits in before
        if table not in EXPORT_SECTIONS
        or not shown(export, table, row, hits, member.id, pattern_of(needles))
    ]
    assert missing == [], "rows about the member that /mydata does not show"

    reply = await bot.say("/forget", member=USER, lang=lang)
    await bot.say(reply.option_number("erase"), member=USER, lang=lang)
    # Her own poll stays with the group, without her name; its question is hers, though.
    after = [
        (table, {k: row[k] for k in sorted(hits)})
        for table, row, hits in walk(bot, member.id, [USER, NAME, MATRIX_ID])
    ]
    assert after == []
    # What belongs to others is still there: Olga's Matrix room, the anonymous tally.
    with bot.app.services.database.session() as session:
        room = AdapterStateRepository(session).get("matrix", "room:!other:example.org")
        assert room == {"kind": "group", "inviter": "@olga:example.org"}
        assert AdapterStateRepository(session).get("matrix", "room:!dm:example.org") == {
            "kind": "direct",
            "inviter": None,
        }
    # Her conversations and invitations stay as numbers, naming nobody.
    with bot.app.services.database.session() as session:
        [entry] = session.exec(sqlmodel_select(OutreachEntry)).all()
        assert (entry.member_id, entry.people, entry.note) == (None, 2, None)
        recruitments = session.exec(sqlmodel_select(Recruitment)).all()
        assert len(recruitments) == 2
        assert all(member.id not in (r.inviter_id, r.newcomer_id) for r in recruitments)
        # Her months in the organization too: a departure holds two dates and no one's id
        # (the walk above found nothing of her in it), so /mydata has nothing to show of it.
        [departure] = session.exec(sqlmodel_select(Departure)).all()
        assert departure.chapter_id is None and departure.joined_at <= departure.left_at
        assert "departure" not in EXPORT_SECTIONS
    results = await bot.say_in_group("/results", member="olga", chat="g2")
    assert "2 people voted" in results.text
