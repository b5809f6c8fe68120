"""Tables. Every table that holds something about a member is covered by /mydata and /forget."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Float, Index, Integer, UniqueConstraint, event
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Member(SQLModel, table=True):
    """A person, whatever platforms they use. Location is coarse: a town, 2-decimal coordinates."""

    id: int | None = Field(default=None, primary_key=True)
    display_name: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    place_id: int | None = None
    place_name: str | None = Field(default=None, max_length=128)
    country_code: str | None = Field(default=None, max_length=2)
    latitude: float | None = None
    longitude: float | None = None
    nudges: str | None = Field(default=None, max_length=16)
    chapter_choice: str | None = Field(default=None, max_length=16)
    onboarded_at: datetime | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Identity(SQLModel, table=True):
    """One platform account of a member (a member may later have a Telegram and a Matrix one)."""

    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_identity_platform_user"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=255)
    handle: str | None = Field(default=None, max_length=255)
    language_hint: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    # Set when the platform refuses to deliver to this account (the member blocked the bot).
    unreachable_at: datetime | None = None
    # Wrong /connect codes sent from this account, and when the last one came: guessing stops.
    connect_failures: int = 0
    connect_failed_at: datetime | None = None


class MemberInterest(SQLModel, table=True):
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    interest_key: str = Field(primary_key=True, max_length=64)


# Chapters are searched by latitude band (one index range per band, see ix_chapter_geo) and
# ranked in SQL by the chord between unit vectors, which needs only arithmetic (no SQLite math
# functions, no extension). Migration 0006 fills existing rows with the same formulas, so
# changing the band height needs a migration that refills geo_band.
GEO_BAND_DEGREES = 0.5


def geo_band(latitude: float) -> int:
    return math.floor((latitude + 90.0) / GEO_BAND_DEGREES)


def geo_columns(latitude: float, longitude: float) -> dict[str, float]:
    """The search columns of a chapter at this point: its band and its unit vector."""
    phi, lam = math.radians(latitude), math.radians(longitude)
    return {
        "geo_band": geo_band(latitude),
        "geo_x": math.cos(phi) * math.cos(lam),
        "geo_y": math.cos(phi) * math.sin(lam),
        "geo_z": math.sin(phi),
    }


def _geo_default(key: str) -> Callable[[DefaultExecutionContext], float]:
    # For Core and bulk INSERTs, which skip the ORM events below.
    def default(context: DefaultExecutionContext) -> float:
        row = context.get_current_parameters()
        return geo_columns(row["latitude"], row["longitude"])[key]

    return default


def _geo_column(key: str, type_: type[Integer] | type[Float]) -> Any:
    return Field(
        default=None, sa_column=Column(key, type_, nullable=False, default=_geo_default(key))
    )


class Chapter(SQLModel, table=True):
    __table_args__ = (
        # The band is matched by equality, so each band is one seek on a longitude range;
        # the rest rides along so the ranking reads the index alone.
        Index(
            "ix_chapter_geo",
            "geo_band",
            "longitude",
            "latitude",
            "geo_x",
            "geo_y",
            "geo_z",
            "id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=128, unique=True)
    name: str = Field(max_length=128)
    city: str = Field(max_length=128)
    country_code: str = Field(max_length=2)
    latitude: float
    longitude: float
    languages: str = Field(default="", max_length=64)  # "fr,nl,en"
    status: str = Field(default="active", max_length=16)  # active | forming
    descriptions: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    founded_by: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    # What the organizers ask of members this month (/nudges ask): carried by the nudges.
    current_ask: str | None = Field(default=None, max_length=300)
    current_ask_since: datetime | None = None
    # Derived from latitude and longitude on every insert and update (never set them by hand).
    geo_band: int | None = _geo_column("geo_band", Integer)
    geo_x: float | None = _geo_column("geo_x", Float)
    geo_y: float | None = _geo_column("geo_y", Float)
    geo_z: float | None = _geo_column("geo_z", Float)


@event.listens_for(Chapter, "before_insert")
@event.listens_for(Chapter, "before_update")
def _fill_geo_columns(_mapper: Any, _connection: Any, chapter: Chapter) -> None:
    # Whoever moves a chapter (sync, the CSV import, an organizer) moves its search columns.
    for key, value in geo_columns(chapter.latitude, chapter.longitude).items():
        setattr(chapter, key, value)


class JoinRequest(SQLModel, table=True):
    __table_args__ = (Index("ix_join_request_member_chapter", "member_id", "chapter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    chapter_id: int = Field(foreign_key="chapter.id", index=True, ondelete="CASCADE")
    status: str = Field(default="pending", max_length=16)  # pending|accepted|declined|withdrawn
    # Agreed that the other founders of a forming chapter may see their name and handle.
    shares_contact: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    notified_at: datetime | None = None  # when organizers were last told
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")


class Membership(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("chapter_id", "member_id", name="uq_membership"),
        # A chapter's history counts by join date; the tally's catch-up reads recent joins.
        Index("ix_membership_chapter_joined", "chapter_id", "joined_at"),
        Index("ix_membership_joined_at", "joined_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chapter_id: int = Field(foreign_key="chapter.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    role: str = Field(default="member", max_length=16)  # member | organizer
    shares_contact: bool = False
    joined_at: datetime = Field(default_factory=utcnow)


class InvitedOrganizer(SQLModel, table=True):
    """A platform identity ("telegram:123") that becomes an organizer when it first writes."""

    chapter_id: int = Field(foreign_key="chapter.id", primary_key=True, ondelete="CASCADE")
    identity: str = Field(primary_key=True, max_length=300, index=True)


class ChapterWatch(SQLModel, table=True):
    """A member who wants to be told, once, when a chapter forms near them."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True, ondelete="CASCADE")
    latitude: float
    longitude: float
    created_at: datetime = Field(default_factory=utcnow)


class PendingAction(SQLModel, table=True):
    """A question sent to a member outside any conversation flow (e.g. a join request to an
    organizer), answered by a button, a reaction or a number."""

    __table_args__ = (Index("ix_pending_action_member_chat", "member_id", "chat_key"),)

    id: str = Field(primary_key=True, max_length=16)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    chat_key: str = Field(max_length=300)
    kind: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    options: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime | None = None


class Chat(SQLModel, table=True):
    """A conversation place on a platform: a member's private conversation or a group chat."""

    __table_args__ = (UniqueConstraint("platform", "chat_id", name="uq_chat_platform_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=255)
    kind: str = Field(max_length=16)  # direct | group
    language: str | None = Field(default=None, max_length=8)
    # Whose private conversation this is (direct chats only): where to reach them later.
    member_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="CASCADE"
    )
    # The chapter a group chat is linked to (one chapter per chat).
    chapter_id: int | None = Field(
        default=None, foreign_key="chapter.id", index=True, ondelete="SET NULL"
    )
    title: str | None = Field(default=None, max_length=255)
    # Set by /timezone; else a group follows its chapter's city, then the organization.
    timezone: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class ConversationState(SQLModel, table=True):
    """Where a member is in a multi-step conversation, and the question waiting for an answer."""

    __table_args__ = (UniqueConstraint("member_id", "chat_key", name="uq_state_member_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    chat_key: str = Field(max_length=300)
    flow: str | None = Field(default=None, max_length=64)
    step: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prompt: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """A message waiting to be sent to a chat other than the one that caused it."""

    __table_args__ = (
        Index("ix_delivery_due", "platform", "status", "priority", "due_at"),
        # A schedule's occurrence reaches each recipient once, whoever fires it and however
        # often (rows of other messages leave schedule_id NULL, which never collides).
        UniqueConstraint(
            "schedule_id", "occurrence", "platform", "chat_id", name="uq_delivery_occurrence"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=32, unique=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=255)
    # The member it is addressed to, when it is a private message (for /mydata and /forget).
    member_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="CASCADE"
    )
    message: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    priority: int = 0
    status: str = Field(default="pending", max_length=16)  # pending | sending | sent | failed
    attempts: int = 0
    due_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    # The schedule and occurrence this message was written for, if a firing wrote it.
    schedule_id: int | None = Field(default=None, foreign_key="schedule.id", ondelete="SET NULL")
    occurrence: datetime | None = None


class Schedule(SQLModel, table=True):
    """Something the clock does at the occurrences of a rule: a reminder, the periodic work.

    The rule is evaluated in `timezone` (an IANA name) so wall-clock times hold across DST;
    `next_at` is the rule's next occurrence in UTC, `due_at` the next moment the clock must act
    (the earlier of next_at and snoozed_until; NULL while paused or done), the only column the
    clock's query reads.
    """

    __table_args__ = (
        Index("ix_schedule_due", "due_at"),
        Index("ix_schedule_target", "platform", "chat_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # reminder | periodic
    # A stable name for schedules the bot itself keeps ("periodic:polls.close-due").
    key: str | None = Field(default=None, max_length=128, unique=True)
    # Whose it is: a personal reminder's member (erased with them), or NULL.
    owner_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="CASCADE"
    )
    # Who wrote it (kept without a name once they are erased).
    created_by: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="SET NULL"
    )
    platform: str | None = Field(default=None, max_length=16)
    chat_id: str | None = Field(default=None, max_length=255)
    rule: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    timezone: str = Field(default="UTC", max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    language: str | None = Field(default=None, max_length=8)
    status: str = Field(default="active", max_length=16)  # active | paused | done
    next_at: datetime | None = None
    snoozed_until: datetime | None = None
    due_at: datetime | None = None
    last_fired_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AdapterState(SQLModel, table=True):
    """What an adapter must remember across restarts (sync tokens, offsets, id mappings)."""

    platform: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=255)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)


class HandledUpdate(SQLModel, table=True):
    """A platform's delivery already handled (a Telegram update id), written in the same
    transaction as what it did: delivered again, by a retry or to another process, it is
    skipped; a turn that failed wrote neither. Kept a week (bot.storage.handled)."""

    platform: str = Field(primary_key=True, max_length=16)
    update_id: str = Field(primary_key=True, max_length=64)
    handled_at: datetime = Field(default_factory=utcnow, index=True)


class PollSelection(SQLModel, table=True):
    """The options a person has selected in a multiple choice poll and not cast yet (a poll
    with buttons, one press per option), by platform account: any process sees them."""

    platform: str = Field(primary_key=True, max_length=16)
    poll: str = Field(primary_key=True, max_length=64)  # the adapter's name of the poll
    chat_id: str = Field(primary_key=True, max_length=255)
    user_id: str = Field(primary_key=True, max_length=255)
    options: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class PollRecord(SQLModel, table=True):
    """A quick poll. Its id is the neutral poll id adapters map their native polls to."""

    __tablename__ = "poll"

    id: str = Field(primary_key=True, max_length=16)
    author_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    chapter_id: int | None = Field(
        default=None, foreign_key="chapter.id", index=True, ondelete="SET NULL"
    )
    question: str = Field(max_length=300)
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    multiple: bool = False
    anonymous: bool = False
    hidden_results: bool = False
    closes_at: datetime | None = Field(default=None, index=True)
    closed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # When the chapter's members were last reminded of it (/pollremind: once a day at most).
    reminded_at: datetime | None = None


class PollChat(SQLModel, table=True):
    """A chat a poll was posted to (one poll may run in all of a chapter's chats)."""

    # Every group message asks for its chat's latest poll.
    __table_args__ = (Index("ix_pollchat_chat", "platform", "chat_id"),)

    poll_id: str = Field(foreign_key="poll.id", primary_key=True, max_length=16, ondelete="CASCADE")
    platform: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=255)
    posted_at: datetime = Field(default_factory=utcnow)


class Ballot(SQLModel, table=True):
    """What was chosen. In an anonymous poll the ballot names nobody (member_id is NULL);
    PollVoter records, apart, that the member voted."""

    id: int | None = Field(default=None, primary_key=True)
    poll_id: str = Field(foreign_key="poll.id", index=True, max_length=16, ondelete="CASCADE")
    member_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="CASCADE"
    )
    choices: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    chat_key: str = Field(max_length=300)
    cast_at: datetime = Field(default_factory=utcnow)


class PollVoter(SQLModel, table=True):
    """That a member voted (and, once, that they were reminded, or told the poll is closed),
    never what they chose."""

    poll_id: str = Field(foreign_key="poll.id", primary_key=True, max_length=16, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    voted: bool = False
    reminded: bool = False
    # Told once that the poll is closed: later answers to a closed poll get no reply.
    told_closed: bool = False


class ConnectCode(SQLModel, table=True):
    """A one-time code that joins a member's accounts on two platforms (/connect)."""

    code: str = Field(primary_key=True, max_length=12)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    expires_at: datetime
    used_at: datetime | None = None
    # Wrong codes sent that were nearly this one (a guess, or a glimpse of it): it ends at 5.
    failed_attempts: int = 0


class MessageAbout(SQLModel, table=True):
    """A message to someone else that names a member (a join request shown to organizers):
    it goes with them on /forget, and /mydata shows it."""

    message_id: str = Field(primary_key=True, max_length=32)
    member_id: int = Field(
        foreign_key="member.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class Feed(SQLModel, table=True):
    """A blog's feed, fetched once per interval however many chapters use it."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000, unique=True)  # where it was found (after redirects)
    title: str = Field(default="", max_length=300)
    site_link: str | None = Field(default=None, max_length=2000)
    # The organization file lists it: every member's organization-wide digest has it.
    org_wide: bool = False
    etag: str | None = Field(default=None, max_length=300)
    last_modified: str | None = Field(default=None, max_length=100)
    body_digest: str | None = Field(default=None, max_length=64)
    next_fetch_at: datetime = Field(default_factory=utcnow, index=True)
    last_ok_at: datetime | None = None
    # Since when every fetch failed, how often, why; told: its adders were told once.
    failing_since: datetime | None = None
    failures: int = 0
    last_error: str | None = Field(default=None, max_length=64)
    failure_told: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class FeedSource(SQLModel, table=True):
    """A chapter that reads a feed (/feed add), and who added it there."""

    __table_args__ = (UniqueConstraint("feed_id", "chapter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True, ondelete="CASCADE")
    chapter_id: int = Field(foreign_key="chapter.id", index=True, ondelete="CASCADE")
    # Told privately when the feed keeps failing (its URL may carry a token); kept nameless
    # once they are erased.
    added_by: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="SET NULL"
    )
    created_at: datetime = Field(default_factory=utcnow)


class FeedEntry(SQLModel, table=True):
    """An entry seen in a feed. `quiet` ones were there before the feed was added: never shown."""

    __table_args__ = (UniqueConstraint("feed_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=300)
    link: str | None = Field(default=None, max_length=2000)
    title: str = Field(default="", max_length=300)
    summary: str = Field(default="", max_length=200)
    published_at: datetime | None = None
    seen_at: datetime = Field(default_factory=utcnow, index=True)
    quiet: bool = False


class ChapterStory(SQLModel, table=True):
    """What a chapter did, told by a member (/story): the author's data, gone with them.
    Organizers approve it; approved stories go into the chapter's digests."""

    id: int | None = Field(default=None, primary_key=True)
    chapter_id: int = Field(foreign_key="chapter.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    text: str = Field(max_length=2000)
    anonymous: bool = False
    status: str = Field(default="pending", max_length=16)  # pending | approved | declined
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = Field(default=None, index=True)


class OutreachEntry(SQLModel, table=True):
    """Conversations a member logged (/talked, a nudge's buttons). On /forget the row stays
    as a number in its chapter's history, without the member or the note."""

    __table_args__ = (
        Index("ix_outreach_chapter_logged", "chapter_id", "logged_at"),
        Index("ix_outreach_member_logged", "member_id", "logged_at"),
        Index("ix_outreach_logged_at", "logged_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    # The chapter it counts for: the one the member belonged to when logging, if any.
    chapter_id: int | None = Field(default=None, foreign_key="chapter.id", ondelete="SET NULL")
    people: int
    note: str | None = Field(default=None, max_length=200)
    logged_at: datetime = Field(default_factory=utcnow)


class InvitationCode(SQLModel, table=True):
    """A member's personal invitation code: random, so it reveals no member id."""

    code: str = Field(primary_key=True, max_length=16)
    member_id: int = Field(foreign_key="member.id", unique=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


class Recruitment(SQLModel, table=True):
    """A newcomer who started with a member's invitation. On /forget of either, the row stays
    as a number without them."""

    id: int | None = Field(default=None, primary_key=True)
    inviter_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="SET NULL"
    )
    newcomer_id: int | None = Field(
        default=None, foreign_key="member.id", unique=True, ondelete="SET NULL"
    )
    chapter_id: int | None = Field(
        default=None, foreign_key="chapter.id", index=True, ondelete="SET NULL"
    )
    # The newcomer agreed that the inviter may hear their first name.
    name_shared: bool = False
    joined_at: datetime = Field(default_factory=utcnow, index=True)


class NudgeState(SQLModel, table=True):
    """A member's outreach nudges: when the last one was sent (the 7-day budget is read here
    where nudges are written), their quiet hours and a snooze."""

    member_id: int = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    last_nudged_at: datetime | None = None
    # Local hours; NULL: the default 21–09.
    quiet_from: int | None = None
    quiet_until: int | None = None
    snoozed_until: datetime | None = None


class Departure(SQLModel, table=True):
    """Someone who was a member and is no longer (left a chapter, was removed, or /forget-ed):
    only when they had joined and when they went, so that the history keeps counting them
    for the months they were there. Names nobody: no member id, not in /mydata."""

    __table_args__ = (
        Index("ix_departure_chapter_left", "chapter_id", "left_at"),
        Index("ix_departure_chapter_joined", "chapter_id", "joined_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # NULL: the organization (an onboarded member erased).
    chapter_id: int | None = Field(default=None, foreign_key="chapter.id", ondelete="CASCADE")
    joined_at: datetime
    left_at: datetime = Field(default_factory=utcnow)


class GrowthDay(SQLModel, table=True):
    """The organization's joins (everyone onboarded that UTC day, departed since or not) and
    departures per UTC day, counted by the hourly tally for the days before its count."""

    day: date = Field(primary_key=True)
    joined: int = 0
    departed: int = 0


class ChapterSize(SQLModel, table=True):
    """Each chapter's members at the hourly tally (GrowthTally.counted_at)."""

    chapter_id: int = Field(foreign_key="chapter.id", primary_key=True, ondelete="CASCADE")
    members: int


class GrowthTally(SQLModel, table=True):
    """When the tally last counted (one row): ChapterSize holds the sizes at that moment,
    GrowthDay the days before its UTC date."""

    id: int = Field(default=1, primary_key=True)
    counted_at: datetime
