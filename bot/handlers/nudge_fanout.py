"""The monthly nudge's fan-out for the whole organization in a few queries: what each
member's nudge needs (their budget and quiet hours, where to reach them, their language,
their month's outreach, their home chapter's ask, their invitation code) is read once for
everyone, each language's words are rendered once, and the questions, deliveries and budgets
are written in bulk (COPY on PostgreSQL). The rules are write_nudge's (bot.handlers.nudges),
member by member."""

from __future__ import annotations

import json
import re
import secrets
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from bot.core.events import ChatRef
from bot.core.outgoing import Choice, Option, Outgoing, Priority, new_message_id, to_record
from bot.core.services import Services
from bot.core.voice import Voice
from bot.handlers.outreach import INVITE_PREFIX
from bot.i18n.formatting import zone
from bot.i18n.locale import negotiate_language, normalize_language
from bot.storage.bulk import EncodedJSON, upsert_rows, write_rows
from bot.storage.models import (
    Chapter,
    Chat,
    Delivery,
    Identity,
    Member,
    Membership,
    NudgeState,
    OutreachEntry,
    PendingAction,
    utcnow,
)
from bot.storage.outbox import FILLED
from bot.storage.outreach import OutreachRepository

if TYPE_CHECKING:
    from bot.handlers.nudges import FanOut


def fan_out(
    services: Services,
    session: Session,
    occurrence: tuple[int, datetime],
    nudge_day: datetime,
    now: datetime,
    counted: FanOut,
) -> None:
    # Imported here: bot.handlers.nudges calls this module at its firing.
    from bot.handlers.nudges import (
        ANSWER,
        BUDGET,
        Logged,
        after_quiet_hours,
        answer_options,
        as_aware,
        chosen_quiet,
        due_for,
        nudge_words,
        slot,
        with_invitation,
    )

    organization = services.organization
    members = session.exec(
        select(Member.id, Member.timezone, Member.language).where(
            Member.nudges == "monthly", col(Member.onboarded_at).is_not(None)
        )
    ).all()
    states = {
        row[0]: row
        for row in session.exec(
            select(
                NudgeState.member_id,
                NudgeState.last_nudged_at,
                NudgeState.snoozed_until,
                NudgeState.quiet_from,
                NudgeState.quiet_until,
            )
        )
    }
    # Budgets another firing of this batch spent (not flushed yet): theirs count, and stay
    # the ORM's to write.
    touched = {s.member_id: s for s in [*session.new, *session.dirty] if isinstance(s, NudgeState)}
    for member_id, state in touched.items():
        states[member_id] = (
            member_id,
            state.last_nudged_at,
            state.snoozed_until,
            state.quiet_from,
            state.quiet_until,
        )
    reachable: dict[int, set[str]] = defaultdict(set)
    hints: dict[int, str] = {}
    identities = select(Identity.member_id, Identity.platform, Identity.language_hint).where(
        col(Identity.unreachable_at).is_(None)
    )
    for member_id, platform, hint in session.exec(identities.order_by(col(Identity.id))):
        reachable[member_id].add(platform)
        if member_id not in hints and normalize_language(hint):
            hints[member_id] = hint
    chats: dict[int, list[tuple[str, str]]] = defaultdict(list)
    direct = select(Chat.member_id, Chat.platform, Chat.chat_id).where(
        Chat.kind == "direct", col(Chat.member_id).is_not(None)
    )
    for member_id, platform, chat_id in session.exec(direct.order_by(col(Chat.id).desc())):
        chats[member_id or 0].append((platform, chat_id))
    homes = home_chapters(session)
    chapters = {c.id: c for c in session.exec(select(Chapter))}
    # Conversations logged from the earliest month start any zone can have.
    earliest = nudge_day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    logged: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    recent = select(OutreachEntry.member_id, OutreachEntry.logged_at, OutreachEntry.people).where(
        col(OutreachEntry.logged_at) >= earliest.astimezone(UTC) - timedelta(days=1)
    )
    for member_id, logged_at, people in session.exec(recent):
        if member_id is not None:
            logged[member_id].append((as_aware(logged_at), people))

    voices: dict[tuple[str, str | None], Voice] = {}
    languages: dict[tuple[str | None, str | None], str] = {}
    moments: dict[tuple[str, timedelta, tuple[int, int]], datetime] = {}
    # The same words for every member of one language and chapter ask: rendered once.
    templates: dict[tuple[str, int | None], NudgeTemplate] = {}
    chapter_logged: dict[tuple[int, datetime], int] = {}
    repo = OutreachRepository(session)
    created = utcnow()
    actions, deliveries, budgets = [], [], []
    for member_id, member_zone, member_language in members:
        assert member_id is not None
        state = states.get(member_id)
        timezone = member_zone or organization.timezone
        quiet = chosen_quiet(state[3], state[4]) if state else chosen_quiet(None, None)
        # Members share a zone, a slot and quiet hours by the thousand: placed once.
        key = (timezone, slot(member_id), quiet)
        due = moments.get(key)
        if due is None:
            due = max(due_for(key[1], timezone, nudge_day), now)
            due = moments[key] = after_quiet_hours(due, timezone, quiet)
        if state and state[2] and due < as_aware(state[2]):
            counted.snoozed += 1
            continue
        if state and state[1] and due - as_aware(state[1]) < BUDGET:
            counted.over_budget += 1
            continue
        platforms = reachable.get(member_id, set())
        chat = next((c for c in chats.get(member_id, []) if c[0] in platforms), None)
        if chat is None:
            counted.unreachable += 1
            continue
        hint = hints.get(member_id)
        language = languages.get((member_language, hint))
        if language is None:
            language = negotiate_language(
                member_language, hint, None, organization.default_language
            )
            languages[(member_language, hint)] = language
        voice = voices.get((language, member_zone))
        if voice is None:
            voice = Voice(services.catalogs.translator(language), member_zone)
            voices[(language, member_zone)] = voice
        chapter = chapters.get(homes.get(member_id, 0))
        month_start = due.astimezone(zone(member_zone)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        mine = sum(p for at, p in logged.get(member_id, []) if at >= month_start)
        if mine:  # the thank-you, with the chapter's number: a few members
            count = 0
            if chapter is not None and chapter.id is not None:
                key_month = (chapter.id, month_start)
                if key_month not in chapter_logged:
                    chapter_logged[key_month] = repo.people_of_chapter(
                        chapter.id, month_start.astimezone(UTC)
                    )
                count = chapter_logged[key_month]
            template = NudgeTemplate(
                with_invitation(voice, nudge_words(voice, chapter, Logged(mine, count))),
                answer_options(voice),
                language,
            )
        else:
            asked = chapter.id if chapter is not None and chapter.current_ask else None
            template = templates.get((language, asked))
            if template is None:
                words = with_invitation(voice, nudge_words(voice, chapter, Logged(0, 0)))
                template = NudgeTemplate(words, answer_options(voice), language)
                templates[(language, asked)] = template
        prompt_id = "a" + secrets.token_urlsafe(6)
        chat_key = f"{chat[0]}:{chat[1]}"
        actions.append(
            {
                "id": prompt_id,
                "member_id": member_id,
                "chat_key": chat_key,
                "kind": ANSWER,
                "payload": EMPTY_PAYLOAD,
                "options": template.options,
                "created_at": created,
            }
        )
        deliveries.append((member_id, chat, prompt_id, template, due))
        if member_id in touched:
            touched[member_id].last_nudged_at = due
        else:
            budgets.append({"member_id": member_id, "last_nudged_at": due})
        counted.written += 1
    codes = repo.codes_of([d[0] for d in deliveries])
    rows = []
    for member_id, (platform, chat_id), prompt_id, template, due in deliveries:
        message_id = new_message_id()
        rows.append(
            {
                "message_id": message_id,
                "platform": platform,
                "chat_id": chat_id,
                "member_id": member_id,
                "message": template.record(
                    message_id, platform, chat_id, prompt_id, INVITE_PREFIX + codes[member_id]
                ),
                "priority": int(Priority.BROADCAST),
                "status": "pending",
                "attempts": 0,
                "due_at": due,
                "created_at": created,
                "schedule_id": occurrence[0],
                "occurrence": occurrence[1],
            }
        )
    if rows:
        session.info[FILLED] = True  # the firing's owner wakes the senders after commit
    write_rows(session, PendingAction.__table__, actions)  # type: ignore[attr-defined]
    write_rows(session, Delivery.__table__, rows)  # type: ignore[attr-defined]
    upsert_rows(session, NudgeState.__table__, budgets, "member_id")  # type: ignore[attr-defined]


def home_chapters(session: Session) -> dict[int, int]:
    """Each member's home chapter (the one joined first, as outreach.home_chapter)."""
    homes: dict[int, int] = {}
    rows = select(Membership.member_id, Membership.chapter_id).order_by(
        col(Membership.member_id), col(Membership.joined_at), col(Membership.id)
    )
    for member_id, chapter_id in session.exec(rows):
        homes.setdefault(member_id, chapter_id)
    return homes


EMPTY_PAYLOAD = EncodedJSON("{}")
_BLANK = re.compile(r'"@@(\w+)@@"')


class NudgeTemplate:
    """One nudge's words and buttons, encoded once as the outbox's JSON record
    (bot.core.outgoing.to_record) with blanks for what is each member's own."""

    def __init__(self, text: str, options: list[Option], language: str) -> None:
        sample = Outgoing(
            chat=ChatRef("@@platform@@", "@@chat_id@@"),
            body=Choice(
                prompt_id="@@prompt_id@@",
                text=text,
                options=tuple(options),
                invitation="@@invitation@@",
            ),
            priority=Priority.BROADCAST,
            language=language,
            notify=True,
            id="@@id@@",
        )
        # The words cannot hold a blank: json.dumps escapes every quote they contain.
        self._parts = _BLANK.split(json.dumps(to_record(sample)))
        self.options = EncodedJSON(json.dumps([[o.key, o.label] for o in options]))

    def record(
        self, message_id: str, platform: str, chat_id: str, prompt_id: str, invitation: str
    ) -> EncodedJSON:
        values = {
            "id": message_id,
            "platform": platform,
            "chat_id": chat_id,
            "prompt_id": prompt_id,
            "invitation": invitation,
        }
        parts = self._parts
        pieces = [parts[0]]
        for index in range(1, len(parts), 2):
            pieces.append(json.dumps(values[parts[index]]))
            pieces.append(parts[index + 1])
        return EncodedJSON("".join(pieces))
