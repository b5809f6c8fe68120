"""Members, their platform identities and interests; the export and erasure of a member's data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, update
from sqlmodel import Session, delete, select

from bot.storage.models import (
    Ballot,
    ChapterWatch,
    Chat,
    ConversationState,
    Delivery,
    Identity,
    JoinRequest,
    Member,
    MemberInterest,
    Membership,
    PendingAction,
    PollVoter,
    Schedule,
    utcnow,
)

# Built once: every incoming message runs it, and building a statement costs more than
# running it on SQLite.
_SPEAKER_WITH_STATE = (
    select(Member, Identity, ConversationState)
    .join(Identity, Identity.member_id == Member.id)
    .outerjoin(
        ConversationState,
        and_(
            ConversationState.member_id == Member.id,
            ConversationState.chat_key == bindparam("chat_key"),
        ),
    )
    .where(Identity.platform == bindparam("platform"), Identity.user_id == bindparam("user_id"))
)


class MemberRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find_by_identity(self, platform: str, user_id: str) -> tuple[Member, Identity] | None:
        row = self.session.exec(
            select(Member, Identity)
            .join(Identity, Identity.member_id == Member.id)
            .where(Identity.platform == platform, Identity.user_id == user_id)
        ).first()
        return (row[0], row[1]) if row else None

    def get_or_create(
        self,
        platform: str,
        user_id: str,
        handle: str | None = None,
        language_hint: str | None = None,
    ) -> tuple[Member, Identity, bool]:
        """The member behind a platform account, created on first contact."""
        member, identity, _state, created = self.speaker(
            platform, user_id, "", handle, language_hint
        )
        return member, identity, created

    def speaker(
        self,
        platform: str,
        user_id: str,
        chat_key: str,
        handle: str | None = None,
        language_hint: str | None = None,
    ) -> tuple[Member, Identity, ConversationState | None, bool]:
        """Who speaks, with their conversation state in this chat: one query per message."""
        row = self.session.exec(
            _SPEAKER_WITH_STATE,
            params={"platform": platform, "user_id": user_id, "chat_key": chat_key},
        ).first()
        if row:
            member, identity, state = row
            # A platform that gives no hint this time does not erase the one it gave before.
            language_hint = language_hint or identity.language_hint
            changed = identity.handle != handle or identity.language_hint != language_hint
            if changed:
                identity.handle, identity.language_hint = handle, language_hint
                identity.last_seen_at = utcnow()
                self.session.add(identity)
            return member, identity, state, False
        member = Member()
        self.session.add(member)
        self.session.flush()
        identity = Identity(
            member_id=member.id,
            platform=platform,
            user_id=user_id,
            handle=handle,
            language_hint=language_hint,
        )
        self.session.add(identity)
        self.session.flush()
        return member, identity, None, True

    def save(self, member: Member) -> None:
        member.updated_at = utcnow()
        self.session.add(member)

    def identities(self, member_id: int) -> list[Identity]:
        return list(self.session.exec(select(Identity).where(Identity.member_id == member_id)))

    def interests(self, member_id: int) -> list[str]:
        rows = self.session.exec(
            select(MemberInterest.interest_key).where(MemberInterest.member_id == member_id)
        )
        return sorted(rows)

    def set_interests(self, member_id: int, keys: list[str]) -> None:
        self.session.exec(delete(MemberInterest).where(MemberInterest.member_id == member_id))
        for key in dict.fromkeys(keys):
            self.session.add(MemberInterest(member_id=member_id, interest_key=key))

    def export(self, member_id: int) -> dict[str, Any]:
        """Everything stored about one member, as plain JSON-able data."""
        member = self.session.get(Member, member_id)
        if member is None:
            return {}
        states = self.session.exec(
            select(ConversationState).where(ConversationState.member_id == member_id)
        )
        requests = self.session.exec(select(JoinRequest).where(JoinRequest.member_id == member_id))
        chats = self.session.exec(select(Chat).where(Chat.member_id == member_id))
        deliveries = self.session.exec(select(Delivery).where(Delivery.member_id == member_id))
        memberships = self.session.exec(select(Membership).where(Membership.member_id == member_id))
        watches = self.session.exec(select(ChapterWatch).where(ChapterWatch.member_id == member_id))
        actions = self.session.exec(
            select(PendingAction).where(PendingAction.member_id == member_id)
        )
        ballots = self.session.exec(select(Ballot).where(Ballot.member_id == member_id))
        voted = self.session.exec(select(PollVoter).where(PollVoter.member_id == member_id))
        schedules = self.session.exec(
            select(Schedule).where(
                (Schedule.owner_id == member_id) | (Schedule.created_by == member_id)
            )
        )
        return {
            "member": member.model_dump(mode="json"),
            "identities": [i.model_dump(mode="json") for i in self.identities(member_id)],
            "interests": self.interests(member_id),
            "join_requests": [r.model_dump(mode="json") for r in requests],
            "conversation_state": [s.model_dump(mode="json") for s in states],
            "private_chats": [c.model_dump(mode="json") for c in chats],
            "messages_to_deliver": [d.model_dump(mode="json") for d in deliveries],
            "chapter_memberships": [m.model_dump(mode="json") for m in memberships],
            "chapter_watch": [w.model_dump(mode="json") for w in watches],
            "questions_sent": [a.model_dump(mode="json") for a in actions],
            "poll_ballots": [b.model_dump(mode="json") for b in ballots],
            "polls_voted_or_reminded": [v.model_dump(mode="json") for v in voted],
            "reminders": [r.model_dump(mode="json") for r in schedules],
        }

    def erase(self, member_id: int) -> None:
        """Delete the member and every row about them (explicitly: SQLite may lack cascades)."""
        # What others decided about this member's requests or chapters stays, without them:
        # the foreign keys set decided_by and founded_by to NULL.
        # A named ballot goes with its member; an anonymous one names nobody and stays counted.
        tables = (
            Ballot,
            PollVoter,
            PendingAction,
            ChapterWatch,
            Membership,
            Delivery,
            Chat,
            ConversationState,
            JoinRequest,
            MemberInterest,
            Identity,
        )
        for table in tables:
            self.session.exec(delete(table).where(table.member_id == member_id))
        # Personal reminders go; group reminders the member wrote stay, without their name.
        self.session.exec(delete(Schedule).where(Schedule.owner_id == member_id))
        self.session.exec(
            update(Schedule).where(Schedule.created_by == member_id).values(created_by=None)
        )
        self.session.exec(delete(Member).where(Member.id == member_id))

    def mark_unreachable(self, platform: str, user_id: str) -> None:
        """The platform refuses to deliver to this account (e.g. the member blocked the bot)."""
        identity = self.session.exec(
            select(Identity).where(Identity.platform == platform, Identity.user_id == user_id)
        ).first()
        if identity is not None and identity.unreachable_at is None:
            identity.unreachable_at = utcnow()
            self.session.add(identity)
