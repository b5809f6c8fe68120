"""Polls, the chats they run in, ballots (named or not), and who voted or was reminded."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from bot.storage.models import Ballot, PollChat, PollRecord, PollVoter, utcnow
from bot.storage.rows import new_row, row_by_key

_POLL = PollRecord.__table__  # type: ignore[attr-defined]
_POLL_CHAT = PollChat.__table__  # type: ignore[attr-defined]
# Built once, in Core: every group message asks it (and most chats have no poll).
_LATEST_IN_CHAT = (
    sa_select(_POLL.c.id)
    .join(_POLL_CHAT, _POLL_CHAT.c.poll_id == _POLL.c.id)
    .where(
        _POLL_CHAT.c.platform == bindparam("platform"),
        _POLL_CHAT.c.chat_id == bindparam("chat_id"),
    )
    .order_by(_POLL.c.created_at.desc())
    .limit(1)
)
# A ballot and that its member voted, written in Core (a message's worth of ORM
# bookkeeping costs more than the writes on SQLite).
_BALLOT = Ballot.__table__  # type: ignore[attr-defined]
_VOTER = PollVoter.__table__  # type: ignore[attr-defined]
_CAST = _BALLOT.insert()
_TAKE_BACK = _BALLOT.delete().where(
    _BALLOT.c.poll_id == bindparam("poll"), _BALLOT.c.member_id == bindparam("member")
)
_VOTED = sa_select(_VOTER.c.voted).where(
    _VOTER.c.poll_id == bindparam("poll"), _VOTER.c.member_id == bindparam("member")
)
_MARK_VOTED: dict[str, Any] = {}


def _mark_voted(dialect: str) -> Any:
    """INSERT … ON CONFLICT: the voter's row, created or marked as voted."""
    statement = _MARK_VOTED.get(dialect)
    if statement is None:
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(_VOTER)
            .values(poll_id=bindparam("poll"), member_id=bindparam("member"), voted=True)
            .on_conflict_do_update(index_elements=["poll_id", "member_id"], set_={"voted": True})
        )
        _MARK_VOTED[dialect] = statement
    return statement


class PollRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        question: str,
        options: list[str],
        author_id: int,
        chapter_id: int | None,
        multiple: bool,
        anonymous: bool,
        hidden_results: bool,
        closes_at: datetime | None,
    ) -> PollRecord:
        poll = PollRecord(
            id="p" + secrets.token_urlsafe(6),
            question=question,
            options=options,
            author_id=author_id,
            chapter_id=chapter_id,
            multiple=multiple,
            anonymous=anonymous,
            hidden_results=hidden_results,
            closes_at=closes_at,
        )
        self.session.add(poll)
        self.session.flush()
        return poll

    def get(self, poll_id: str) -> PollRecord | None:
        return row_by_key(self.session, PollRecord, poll_id)

    def posted(self, poll: PollRecord, platform: str, chat_id: str) -> None:
        if self.session.get(PollChat, (poll.id, platform, chat_id)) is None:
            self.session.add(PollChat(poll_id=poll.id, platform=platform, chat_id=chat_id))

    def chats(self, poll_id: str) -> list[PollChat]:
        return list(self.session.exec(select(PollChat).where(PollChat.poll_id == poll_id)))

    def home_chat_key(self, poll_id: str) -> str | None:
        """The chat the poll was first posted in."""
        first = self.session.exec(
            select(PollChat)
            .where(PollChat.poll_id == poll_id)
            .order_by(col(PollChat.posted_at), col(PollChat.platform), col(PollChat.chat_id))
        ).first()
        return f"{first.platform}:{first.chat_id}" if first else None

    def in_chat(self, platform: str, chat_id: str, open_only: bool = True) -> list[PollRecord]:
        """The chat's polls, newest first."""
        query = (
            select(PollRecord)
            .join(PollChat, PollChat.poll_id == PollRecord.id)
            .where(PollChat.platform == platform, PollChat.chat_id == chat_id)
            .order_by(col(PollRecord.created_at).desc())
        )
        if open_only:
            query = query.where(col(PollRecord.closed_at).is_(None))
        return list(self.session.exec(query))

    def latest_in_chat(self, platform: str, chat_id: str) -> PollRecord | None:
        """The chat's newest poll, open or closed."""
        found = (
            self.session.connection()
            .execute(_LATEST_IN_CHAT, {"platform": platform, "chat_id": chat_id})
            .first()
        )
        return self.session.get(PollRecord, found[0]) if found else None

    def open_of_chapter(self, chapter_id: int) -> list[PollRecord]:
        return list(
            self.session.exec(
                select(PollRecord)
                .where(PollRecord.chapter_id == chapter_id, col(PollRecord.closed_at).is_(None))
                .order_by(col(PollRecord.created_at).desc())
            )
        )

    def close(self, poll: PollRecord) -> None:
        poll.closed_at = utcnow()
        self.session.add(poll)

    # -- voting ----------------------------------------------------------------------------

    def voter(self, poll_id: str, member_id: int) -> PollVoter:
        found = row_by_key(self.session, PollVoter, poll_id, member_id)
        return found or new_row(PollVoter, poll_id=poll_id, member_id=member_id)

    def has_voted(self, poll_id: str, member_id: int) -> bool:
        self.session.flush()  # a Core query does not flush what the session holds
        found = (
            self.session.connection()
            .execute(_VOTED, {"poll": poll_id, "member": member_id})
            .first()
        )
        return bool(found and found[0])

    def vote(self, poll: PollRecord, member_id: int, choices: list[int], chat_key: str) -> bool:
        """Record a ballot; False when an anonymous ballot was already cast (it cannot be
        found again to be replaced, by design). A named ballot replaces the previous one."""
        if poll.anonymous and self.has_voted(poll.id, member_id):
            return False
        self.session.flush()  # what the session holds goes first (a voter's row, say)
        connection = self.session.connection()
        ids = {"poll": poll.id, "member": member_id}
        if not poll.anonymous:
            connection.execute(_TAKE_BACK, ids)
        ballot = {"poll_id": poll.id, "choices": choices, "chat_key": chat_key}
        ballot["member_id"] = None if poll.anonymous else member_id
        connection.execute(_CAST, {**ballot, "cast_at": utcnow()})
        connection.execute(_mark_voted(connection.dialect.name), ids)
        # A voter's row this session loaded before now says it voted, like the database.
        known = self.session.identity_map.get(
            PollVoter.__mapper__.identity_key_from_primary_key((poll.id, member_id))  # type: ignore[attr-defined]
        )
        if known is not None:
            set_committed_value(known, "voted", True)
        return True

    def retract(self, poll: PollRecord, member_id: int) -> bool:
        """A named vote taken back (Telegram sends an empty answer); anonymous ones stay."""
        if poll.anonymous:
            return False
        self.session.flush()
        self.session.connection().execute(_TAKE_BACK, {"poll": poll.id, "member": member_id})
        voter = self.voter(poll.id, member_id)
        voter.voted = False
        self.session.add(voter)
        return True

    def tally(self, poll: PollRecord) -> tuple[Counter[int], int, dict[str, Counter[int]]]:
        """(votes per option, ballots, votes per option per chat)."""
        per_option: Counter[int] = Counter()
        per_chat: dict[str, Counter[int]] = {}
        ballots = 0
        # Plain rows, not ORM objects: a big poll has thousands of ballots.
        table = Ballot.__table__  # type: ignore[attr-defined]
        rows = self.session.connection().execute(
            sa_select(table.c.chat_key, table.c.choices).where(table.c.poll_id == poll.id)
        )
        for chat_key, choices in rows:
            ballots += 1
            for choice in choices:
                per_option[choice] += 1
                per_chat.setdefault(chat_key, Counter())[choice] += 1
        return per_option, ballots, per_chat

    def voted_members(self, poll_id: str) -> set[int]:
        rows = self.session.exec(
            select(PollVoter.member_id).where(PollVoter.poll_id == poll_id, PollVoter.voted)
        )
        return set(rows)

    def tell_closed_once(self, poll_id: str, member_id: int) -> bool:
        """True the first time a member answers this closed poll, then never again."""
        voter = self.voter(poll_id, member_id)
        if voter.told_closed:
            return False
        voter.told_closed = True
        self.session.add(voter)
        return True

    def reminders_since(self, chapter_id: int, since: datetime) -> int:
        """How many of the chapter's polls had their reminders sent since then."""
        rows = self.session.exec(
            select(PollRecord.id).where(
                PollRecord.chapter_id == chapter_id, col(PollRecord.reminded_at) >= since
            )
        )
        return len(rows.all())

    def mark_reminded(self, poll_id: str, member_id: int) -> bool:
        """True the first time only: each member is reminded at most once per poll."""
        voter = self.voter(poll_id, member_id)
        if voter.reminded:
            return False
        voter.reminded = True
        self.session.add(voter)
        return True
