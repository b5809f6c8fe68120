"""Polls, the chats they run in, ballots (named or not), and who voted or was reminded."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, delete, select

from bot.storage.models import Ballot, PollChat, PollRecord, PollVoter, utcnow

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
        return self.session.get(PollRecord, poll_id)

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
        found = self.session.get(PollVoter, (poll_id, member_id))
        return found or PollVoter(poll_id=poll_id, member_id=member_id)

    def has_voted(self, poll_id: str, member_id: int) -> bool:
        return self.voter(poll_id, member_id).voted

    def vote(self, poll: PollRecord, member_id: int, choices: list[int], chat_key: str) -> bool:
        """Record a ballot; False when an anonymous ballot was already cast (it cannot be
        found again to be replaced, by design). A named ballot replaces the previous one."""
        voter = self.voter(poll.id, member_id)
        if poll.anonymous:
            if voter.voted:
                return False
            self.session.add(
                Ballot(poll_id=poll.id, member_id=None, choices=choices, chat_key=chat_key)
            )
        else:
            self.session.exec(
                delete(Ballot).where(Ballot.poll_id == poll.id, Ballot.member_id == member_id)
            )
            self.session.add(
                Ballot(poll_id=poll.id, member_id=member_id, choices=choices, chat_key=chat_key)
            )
        voter.voted = True
        self.session.add(voter)
        return True

    def retract(self, poll: PollRecord, member_id: int) -> bool:
        """A named vote taken back (Telegram sends an empty answer); anonymous ones stay."""
        if poll.anonymous:
            return False
        self.session.exec(
            delete(Ballot).where(Ballot.poll_id == poll.id, Ballot.member_id == member_id)
        )
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
