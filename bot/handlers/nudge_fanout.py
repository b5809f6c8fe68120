"""The monthly nudge's fan-out for the whole organization in a few queries: what each
member's nudge needs (their budget and quiet hours, where to reach them, their language,
their month's outreach) is read once for everyone, and the questions, deliveries and budgets
are written in bulk. The rules are write_nudge's (bot.handlers.nudges), member by member."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from bot.core.events import ChatRef
from bot.core.outgoing import Choice, Outgoing, Priority
from bot.core.services import Services
from bot.core.voice import Voice
from bot.i18n.formatting import zone
from bot.i18n.locale import negotiate_language, normalize_language
from bot.storage.models import (
    Chat,
    Identity,
    Member,
    NudgeState,
    OutreachEntry,
    PendingAction,
    utcnow,
)
from bot.storage.outbox import OutboxStore

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
        after_quiet_hours,
        answer_options,
        due_for,
        nudge_words,
        quiet_hours,
    )

    members = session.exec(
        select(Member).where(Member.nudges == "monthly", col(Member.onboarded_at).is_not(None))
    ).all()
    states = {s.member_id: s for s in session.exec(select(NudgeState))}
    # Budgets another firing of this batch spent (not flushed yet): theirs count, and stay
    # the ORM's to write.
    touched = {s.member_id: s for s in [*session.new, *session.dirty] if isinstance(s, NudgeState)}
    states.update(touched)
    identities: dict[int, list[Identity]] = defaultdict(list)
    for identity in session.exec(select(Identity).order_by(col(Identity.id))):
        identities[identity.member_id].append(identity)
    chats: dict[int, list[Chat]] = defaultdict(list)
    direct = select(Chat).where(Chat.kind == "direct", col(Chat.member_id).is_not(None))
    for chat in session.exec(direct.order_by(col(Chat.id).desc())):
        chats[chat.member_id or 0].append(chat)
    # Conversations logged from the earliest month start any zone can have.
    earliest = nudge_day.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    logged: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    recent = select(OutreachEntry.member_id, OutreachEntry.logged_at, OutreachEntry.people).where(
        col(OutreachEntry.logged_at) >= earliest.astimezone(UTC) - timedelta(days=1)
    )
    for member_id, logged_at, people in session.exec(recent):
        if member_id is not None:
            logged[member_id].append((_aware(logged_at), people))

    voices: dict[tuple[str, str | None], Voice] = {}
    asks: dict[str, tuple[str, list]] = {}
    outbox = OutboxStore(session)
    actions, new_states, spent = [], [], []
    for member in members:
        assert member.id is not None
        state = states.get(member.id)
        timezone = member.timezone or services.organization.timezone
        due = max(due_for(member, nudge_day, services.organization.timezone), now)
        due = after_quiet_hours(due, timezone, quiet_hours(state))
        if state and state.snoozed_until and due < _aware(state.snoozed_until):
            counted.snoozed += 1
            continue
        if state and state.last_nudged_at and due - _aware(state.last_nudged_at) < BUDGET:
            counted.over_budget += 1
            continue
        mine = identities.get(member.id, [])
        reachable = {i.platform for i in mine if i.unreachable_at is None}
        chat = next((c for c in chats.get(member.id, []) if c.platform in reachable), None)
        if chat is None:
            counted.unreachable += 1
            continue
        hint = next((i.language_hint for i in mine if normalize_language(i.language_hint)), None)
        language = negotiate_language(
            member.language, hint, None, services.organization.default_language
        )
        voice = voices.setdefault(
            (language, member.timezone),
            Voice(services.catalogs.translator(language), member.timezone),
        )
        month_start = due.astimezone(zone(member.timezone)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        if any(at >= month_start for at, _people in logged.get(member.id, [])):
            text = nudge_words(session, voice, member, due)  # the thank-you: a few members
            options = answer_options(voice)
        else:
            if language not in asks:
                asks[language] = (nudge_words(session, voice, member, due), answer_options(voice))
            text, options = asks[language]
        target = ChatRef(chat.platform, chat.chat_id)
        prompt_id = "a" + secrets.token_urlsafe(6)
        actions.append(
            {
                "id": prompt_id,
                "member_id": member.id,
                "chat_key": target.key,
                "kind": ANSWER,
                "payload": {},
                "options": [[o.key, o.label] for o in options],
                "created_at": utcnow(),
            }
        )
        message = Outgoing(
            chat=target,
            body=Choice(prompt_id=prompt_id, text=text, options=tuple(options)),
            priority=Priority.BROADCAST,
            language=language,
            notify=True,
        )
        outbox.enqueue(message, member.id, occurrence, due_at=due)
        if member.id in touched:
            touched[member.id].last_nudged_at = due
        elif state is None:
            new_states.append({"member_id": member.id, "last_nudged_at": due})
        else:
            spent.append({"state_id": member.id, "last_nudged_at": due})
        counted.written += 1
    # Core INSERTs (not the ORM's bulk path): the rows are not read back in this firing.
    connection = session.connection()
    if actions:
        connection.execute(insert(PendingAction.__table__), actions)  # type: ignore[attr-defined]
    if new_states:
        connection.execute(insert(NudgeState.__table__), new_states)  # type: ignore[attr-defined]
    if spent:
        connection.execute(
            update(NudgeState.__table__)
            .where(NudgeState.__table__.c.member_id == bindparam("state_id"))
            .values(last_nudged_at=bindparam("last_nudged_at")),
            spent,
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
