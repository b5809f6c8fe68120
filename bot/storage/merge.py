"""Joining two member records into one (the same person on two platforms)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, delete, select

from bot.storage.feeds import aware
from bot.storage.models import (
    Ballot,
    ChapterWatch,
    Chat,
    ConnectCode,
    ConversationState,
    Delivery,
    Identity,
    InvitationCode,
    JoinRequest,
    Member,
    MemberInterest,
    Membership,
    MessageAbout,
    NudgeState,
    OutreachEntry,
    PendingAction,
    PollVoter,
    Recruitment,
)

# Member fields the kept record takes from the other one when it has none of its own.
_PROFILE = (
    "display_name",
    "language",
    "timezone",
    "place_id",
    "place_name",
    "country_code",
    "latitude",
    "longitude",
    "nudges",
    "chapter_choice",
    "onboarded_at",
)


def merge_members(session: Session, keep: Member, gone: Member) -> None:
    """Everything of `gone` becomes `keep`'s; where both have something, the kept one stays
    (a membership, a waiting request…), except a ballot: the most recent one counts."""
    keep_id, gone_id = keep.id, gone.id
    assert keep_id is not None and gone_id is not None and keep_id != gone_id
    for name in _PROFILE:
        if getattr(keep, name) is None and getattr(gone, name) is not None:
            setattr(keep, name, getattr(gone, name))
    # One person, in the organization's history since the first of their two onboardings.
    if keep.onboarded_at and gone.onboarded_at:
        keep.onboarded_at = min(aware(keep.onboarded_at), aware(gone.onboarded_at))
    session.add(keep)

    def move(table: type, *unique_with: str) -> None:
        """Re-point rows; rows that would collide with the kept member's are dropped."""
        column = table.member_id  # type: ignore[attr-defined]
        if unique_with:
            kept = select(*(getattr(table, c) for c in unique_with)).where(column == keep_id)
            clash = [row for row in session.exec(kept)]
            for values in clash:
                values = values if isinstance(values, tuple) else (values,)
                conditions = [
                    getattr(table, c) == v for c, v in zip(unique_with, values, strict=True)
                ]
                session.exec(delete(table).where(column == gone_id, *conditions))
        session.exec(update(table).where(column == gone_id).values(member_id=keep_id))

    _merge_ballots(session, keep_id, gone_id)
    _merge_voters(session, keep_id, gone_id)
    _merge_roles(session, keep_id, gone_id)
    move(Membership, "chapter_id")
    move(MemberInterest, "interest_key")
    move(ConversationState, "chat_key")
    move(MessageAbout, "message_id")
    if session.exec(select(ChapterWatch.id).where(ChapterWatch.member_id == keep_id)).first():
        session.exec(delete(ChapterWatch).where(ChapterWatch.member_id == gone_id))
    move(ChapterWatch)
    for table in (Identity, Chat, JoinRequest, PendingAction, Delivery, ConnectCode):
        move(table)
    _merge_outreach(session, keep_id, gone_id)
    session.flush()
    session.exec(delete(Member).where(Member.id == gone_id))


def _merge_ballots(session: Session, keep_id: int, gone_id: int) -> None:
    """One ballot per poll: where both voted by name, the later ballot counts."""
    mine = {b.poll_id: b for b in session.exec(select(Ballot).where(Ballot.member_id == keep_id))}
    for ballot in session.exec(select(Ballot).where(Ballot.member_id == gone_id)):
        other = mine.get(ballot.poll_id)
        if other is None:
            ballot.member_id = keep_id
            session.add(ballot)
        elif ballot.cast_at > other.cast_at:
            session.delete(other)
            ballot.member_id = keep_id
            session.add(ballot)
        else:
            session.delete(ballot)
    session.flush()


def _merge_voters(session: Session, keep_id: int, gone_id: int) -> None:
    """Having voted (even anonymously) or been reminded, on either account, holds for both."""
    mine = {
        v.poll_id: v for v in session.exec(select(PollVoter).where(PollVoter.member_id == keep_id))
    }
    for voter in session.exec(select(PollVoter).where(PollVoter.member_id == gone_id)):
        kept = mine.get(voter.poll_id)
        if kept is None:
            session.add(
                PollVoter(
                    poll_id=voter.poll_id,
                    member_id=keep_id,
                    voted=voter.voted,
                    reminded=voter.reminded,
                )
            )
        else:
            kept.voted = kept.voted or voter.voted
            kept.reminded = kept.reminded or voter.reminded
            session.add(kept)
        session.delete(voter)
    session.flush()


def _merge_roles(session: Session, keep_id: int, gone_id: int) -> None:
    """In a chapter both belong to, the organizer role, consent to share and the earlier
    join carry over."""
    mine = {
        m.chapter_id: m
        for m in session.exec(select(Membership).where(Membership.member_id == keep_id))
    }
    for other in session.exec(select(Membership).where(Membership.member_id == gone_id)):
        kept = mine.get(other.chapter_id)
        if kept is None:
            continue
        if other.role == "organizer":
            kept.role = "organizer"
        kept.shares_contact = kept.shares_contact or other.shares_contact
        # In the chapter's history since the first of the two joins: a merge is no departure.
        kept.joined_at = min(aware(kept.joined_at), aware(other.joined_at))
        session.add(kept)
    session.flush()


def _merge_outreach(session: Session, keep_id: int, gone_id: int) -> None:
    """Conversations logged on either account count for one member; the kept invitation
    code stays (both may be shared: the other one still credits the same person)."""
    session.exec(
        update(OutreachEntry).where(OutreachEntry.member_id == gone_id).values(member_id=keep_id)
    )
    # The nudge budget: the latest nudge of either account counts for both.
    kept, other = session.get(NudgeState, keep_id), session.get(NudgeState, gone_id)
    if other is not None:
        latest = max(
            (s.last_nudged_at for s in (kept, other) if s and s.last_nudged_at), default=None
        )
        session.delete(other)
        session.flush()
        kept = kept or NudgeState(member_id=keep_id)
        kept.last_nudged_at = latest
        session.add(kept)
    if session.exec(select(InvitationCode).where(InvitationCode.member_id == keep_id)).first():
        session.exec(delete(InvitationCode).where(InvitationCode.member_id == gone_id))
    else:
        session.exec(
            update(InvitationCode)
            .where(InvitationCode.member_id == gone_id)
            .values(member_id=keep_id)
        )
    session.exec(
        update(Recruitment).where(Recruitment.inviter_id == gone_id).values(inviter_id=keep_id)
    )
    if session.exec(select(Recruitment).where(Recruitment.newcomer_id == keep_id)).first():
        session.exec(delete(Recruitment).where(Recruitment.newcomer_id == gone_id))
    else:
        session.exec(
            update(Recruitment)
            .where(Recruitment.newcomer_id == gone_id)
            .values(newcomer_id=keep_id)
        )
    # One account invited the other: that is no recruitment.
    session.exec(
        delete(Recruitment).where(
            Recruitment.newcomer_id == keep_id, Recruitment.inviter_id == keep_id
        )
    )
