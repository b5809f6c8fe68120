"""Members, their platform identities and interests; the export and erasure of a member's data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, update
from sqlmodel import Session, col, delete, select

from bot.storage.database import insert_for
from bot.storage.growth import GrowthRepository
from bot.storage.models import (
    AdapterState,
    Ballot,
    Chapter,
    ChapterStory,
    ChapterWatch,
    Chat,
    ConnectCode,
    ConversationState,
    Delivery,
    FeedSource,
    Identity,
    InvitationCode,
    InvitedOrganizer,
    JoinRequest,
    Member,
    MemberInterest,
    Membership,
    MessageAbout,
    NudgeState,
    OutreachEntry,
    PendingAction,
    PollRecord,
    PollVoter,
    Recruitment,
    Schedule,
    utcnow,
)
from bot.storage.rows import new_row, row_by_key
from bot.storage.selections import SelectionRepository

# Where /mydata shows the rows of each table that are about a member. A table added without
# an entry here fails the privacy test that walks the whole schema.
EXPORT_SECTIONS: dict[str, tuple[str, ...]] = {
    "member": ("member",),
    "identity": ("identities",),
    "memberinterest": ("interests",),
    "joinrequest": ("join_requests", "requests_decided"),
    "conversationstate": ("conversation_state",),
    "chat": ("private_chats",),
    "delivery": ("messages_to_deliver", "messages_about_you"),
    "messageabout": ("messages_about_you",),
    "membership": ("chapter_memberships",),
    "chapterwatch": ("chapter_watch",),
    "pendingaction": ("questions_sent",),
    "ballot": ("poll_ballots",),
    "pollvoter": ("polls_voted_or_reminded",),
    "poll": ("polls_created",),
    "connectcode": ("connect_codes",),
    "chapter": ("chapters_founded",),
    "adapterstate": ("platform_records",),
    "invitedorganizer": ("organizer_invitations",),
    "schedule": ("reminders",),
    "feedsource": ("feeds_added",),
    "chapterstory": ("stories",),
    "outreachentry": ("outreach_logged",),
    "invitationcode": ("invitation_code",),
    "recruitment": ("people_you_invited", "your_invitation"),
    "nudgestate": ("outreach_nudges",),
    "pollselection": ("poll_selections",),
}


# Built once: every incoming message runs it, and building a statement costs more than
# running it on SQLite. Who speaks, their state in this chat and the chat's row: one query.
_SPEAKER_IN_CHAT = (
    select(Member, Identity, ConversationState, Chat)
    .join(Identity, Identity.member_id == Member.id)
    .outerjoin(
        ConversationState,
        and_(
            ConversationState.member_id == Member.id,
            ConversationState.chat_key == bindparam("chat_key"),
        ),
    )
    .outerjoin(
        Chat,
        and_(Chat.platform == bindparam("chat_platform"), Chat.chat_id == bindparam("chat_id")),
    )
    .where(Identity.platform == bindparam("platform"), Identity.user_id == bindparam("user_id"))
)


@dataclass(slots=True)
class Speaker:
    """Who speaks in a chat: their rows, their state there (None: not saved yet) and the
    chat's row (None: not stored yet, or not looked up for a member just created)."""

    member: Member
    identity: Identity
    state: ConversationState | None
    chat: Chat | None
    created: bool


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
        """Who speaks, with their conversation state in this chat."""
        chat_platform, _, chat_id = chat_key.partition(":")
        found = self.speaker_in(platform, user_id, chat_platform, chat_id, handle, language_hint)
        return found.member, found.identity, found.state, found.created

    def speaker_in(
        self,
        platform: str,
        user_id: str,
        chat_platform: str,
        chat_id: str,
        handle: str | None = None,
        language_hint: str | None = None,
    ) -> Speaker:
        """Who speaks, their state in this chat and the chat's row: one query per message."""
        params = {
            "platform": platform,
            "user_id": user_id,
            "chat_key": f"{chat_platform}:{chat_id}",
            "chat_platform": chat_platform,
            "chat_id": chat_id,
        }
        row = self.session.exec(_SPEAKER_IN_CHAT, params=params).first()
        if row:
            member, identity, state, chat = row
            # A platform that gives no hint this time does not erase the one it gave before.
            language_hint = language_hint or identity.language_hint
            changed = identity.handle != handle or identity.language_hint != language_hint
            if changed:
                identity.handle, identity.language_hint = handle, language_hint
                identity.last_seen_at = utcnow()
                self.session.add(identity)
            return Speaker(member, identity, state, chat, False)
        member = new_row(Member)
        self.session.add(member)
        self.session.flush()
        now = utcnow()
        # Another process may be creating the same speaker (their first messages handled at
        # once): the database keeps one identity, and the loser takes the winner's.
        statement = insert_for(self.session)(Identity.__table__).values(
            member_id=member.id,
            platform=platform,
            user_id=user_id,
            handle=handle,
            language_hint=language_hint,
            created_at=now,
            last_seen_at=now,
        )
        inserted = self.session.execute(
            statement.on_conflict_do_nothing(index_elements=["platform", "user_id"]).returning(
                Identity.__table__.c.id
            )
        ).first()
        if inserted is None:
            self.session.delete(member)
            self.session.flush()
            found = self.session.exec(_SPEAKER_IN_CHAT, params=params).one()
            return Speaker(found[0], found[1], found[2], found[3], False)
        identity = row_by_key(self.session, Identity, inserted[0])
        assert identity is not None
        return Speaker(member, identity, None, None, True)

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
        codes = self.session.exec(select(ConnectCode).where(ConnectCode.member_id == member_id))
        polls = self.session.exec(select(PollRecord).where(PollRecord.author_id == member_id))
        feeds = self.session.exec(select(FeedSource).where(FeedSource.added_by == member_id))
        stories = self.session.exec(select(ChapterStory).where(ChapterStory.author_id == member_id))
        founded = self.session.exec(select(Chapter).where(Chapter.founded_by == member_id))
        decided = self.session.exec(select(JoinRequest).where(JoinRequest.decided_by == member_id))
        accounts = {f"{i.platform}:{i.user_id}" for i in self.identities(member_id)}
        invitations = self.session.exec(
            select(InvitedOrganizer).where(col(InvitedOrganizer.identity).in_(accounts))
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
            "polls_created": [p.model_dump(mode="json") for p in polls],
            "connect_codes": [c.model_dump(mode="json") for c in codes],
            "feeds_added": [f.model_dump(mode="json") for f in feeds],
            "stories": [s.model_dump(mode="json") for s in stories],
            # What others' records hold of them: only the parts that are about them.
            "chapters_founded": [
                {"id": c.id, "name": c.name, "founded_by": c.founded_by} for c in founded
            ],
            "requests_decided": [
                {
                    "id": r.id,
                    "chapter_id": r.chapter_id,
                    "status": r.status,
                    "decided_at": r.decided_at.isoformat() if r.decided_at else None,
                    "decided_by": r.decided_by,
                }
                for r in decided
            ],
            "messages_about_you": self._messages_about(member_id),
            "platform_records": [
                {"platform": row.platform, "key": row.key, "value": row.value}
                for row in self._adapter_rows(member_id)
            ],
            "organizer_invitations": [i.model_dump(mode="json") for i in invitations],
            # Options selected in a poll and not cast yet: theirs until they cast them.
            "poll_selections": [
                s.model_dump(mode="json")
                for s in SelectionRepository(self.session).of_accounts(
                    (i.platform, i.user_id) for i in self.identities(member_id)
                )
            ],
            **self._outreach(member_id),
        }

    def _outreach(self, member_id: int) -> dict[str, Any]:
        entries = self.session.exec(
            select(OutreachEntry).where(OutreachEntry.member_id == member_id)
        )
        codes = self.session.exec(
            select(InvitationCode).where(InvitationCode.member_id == member_id)
        )
        invited = self.session.exec(select(Recruitment).where(Recruitment.inviter_id == member_id))
        came = self.session.exec(select(Recruitment).where(Recruitment.newcomer_id == member_id))
        nudged = self.session.get(NudgeState, member_id)
        return {
            "outreach_logged": [e.model_dump(mode="json") for e in entries],
            "invitation_code": [c.model_dump(mode="json") for c in codes],
            # Each side sees its own part: never who the other one is.
            "people_you_invited": [
                r.model_dump(mode="json", exclude={"newcomer_id"}) for r in invited
            ],
            "your_invitation": [r.model_dump(mode="json", exclude={"inviter_id"}) for r in came],
            "outreach_nudges": [nudged.model_dump(mode="json")] if nudged else [],
        }

    def _messages_about(self, member_id: int) -> list[dict[str, Any]]:
        """Messages to others that name the member (their text only, not whom they went to)."""
        rows = self.session.exec(
            select(MessageAbout, Delivery)
            .join(Delivery, Delivery.message_id == MessageAbout.message_id, isouter=True)
            .where(MessageAbout.member_id == member_id)
        )
        return [
            {
                "message_id": about.message_id,
                "member_id": about.member_id,
                "id": delivery.id if delivery else None,
                "text": (delivery.message.get("body") or {}).get("text") if delivery else None,
                "status": delivery.status if delivery else None,
            }
            for about, delivery in rows
        ]

    def _adapter_rows(self, member_id: int) -> list[AdapterState]:
        """Adapter records that hold one of the member's platform ids (e.g. who invited the
        bot to a Matrix room)."""
        found = []
        for identity in self.identities(member_id):
            rows = self.session.exec(
                select(AdapterState).where(AdapterState.platform == identity.platform)
            )
            found += [row for row in rows if _holds(row.value, identity.user_id)]
        return found

    def erase(self, member_id: int) -> None:
        """Delete the member and every row about them (explicitly: SQLite may lack cascades)."""
        # What others decided about this member's requests or chapters stays, without them:
        # the foreign keys set decided_by and founded_by to NULL.
        # A named ballot goes with its member; an anonymous one names nobody and stays counted.
        self._erase_mentions(member_id)
        for row in self._adapter_rows(member_id):
            ids = {i.user_id for i in self.identities(member_id) if i.platform == row.platform}
            row.value = _without(row.value, ids)
            self.session.add(row)
        # Explicit, like the deletes below: what others keep of them loses their name.
        self.session.exec(
            update(PollRecord).where(PollRecord.author_id == member_id).values(author_id=None)
        )
        self.session.exec(
            update(Chapter).where(Chapter.founded_by == member_id).values(founded_by=None)
        )
        # A feed they added stays with the chapter, no longer theirs.
        self.session.exec(
            update(FeedSource).where(FeedSource.added_by == member_id).values(added_by=None)
        )
        self.session.exec(
            update(JoinRequest).where(JoinRequest.decided_by == member_id).values(decided_by=None)
        )
        # Logged conversations and recruitments stay in the chapters' history as numbers, and
        # so do the months they were a member (departures, naming nobody).
        GrowthRepository(self.session).leave_organization(member_id)
        self.session.exec(
            update(OutreachEntry)
            .where(OutreachEntry.member_id == member_id)
            .values(member_id=None, note=None)
        )
        self.session.exec(
            update(Recruitment).where(Recruitment.inviter_id == member_id).values(inviter_id=None)
        )
        self.session.exec(
            update(Recruitment)
            .where(Recruitment.newcomer_id == member_id)
            .values(newcomer_id=None, name_shared=False)
        )
        SelectionRepository(self.session).erase_accounts(
            (i.platform, i.user_id) for i in self.identities(member_id)
        )
        self.session.flush()
        self.session.exec(delete(ChapterStory).where(ChapterStory.author_id == member_id))
        tables = (
            NudgeState,
            InvitationCode,
            ConnectCode,
            MessageAbout,
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

    def _erase_mentions(self, member_id: int) -> None:
        """Messages to others that name the member, sent or not, and the questions they
        carried (an organizer's "accept or decline?" about their request)."""
        ids = list(
            self.session.exec(
                select(MessageAbout.message_id).where(MessageAbout.member_id == member_id)
            )
        )
        if not ids:
            return
        deliveries = self.session.exec(select(Delivery).where(col(Delivery.message_id).in_(ids)))
        prompts = [(d.message.get("body") or {}).get("prompt_id") for d in deliveries if d.message]
        prompts = [p for p in prompts if isinstance(p, str)]
        if prompts:
            self.session.exec(delete(PendingAction).where(col(PendingAction.id).in_(prompts)))
        self.session.exec(delete(Delivery).where(col(Delivery.message_id).in_(ids)))

    def mark_unreachable(self, platform: str, user_id: str) -> None:
        """The platform refuses to deliver to this account (e.g. the member blocked the bot)."""
        identity = self.session.exec(
            select(Identity).where(Identity.platform == platform, Identity.user_id == user_id)
        ).first()
        if identity is not None and identity.unreachable_at is None:
            identity.unreachable_at = utcnow()
            self.session.add(identity)


def _holds(value: Any, user_id: str) -> bool:
    if isinstance(value, str):
        return value == user_id
    if isinstance(value, dict):
        return any(_holds(v, user_id) for v in value.values())
    if isinstance(value, list):
        return any(_holds(v, user_id) for v in value)
    return False


def _without(value: Any, user_ids: set[str]) -> Any:
    """The same JSON value with each of these ids replaced by null."""
    if isinstance(value, str):
        return None if value in user_ids else value
    if isinstance(value, dict):
        return {k: _without(v, user_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_without(v, user_ids) for v in value]
    return value
