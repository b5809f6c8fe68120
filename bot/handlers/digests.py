"""Digests: one message per linked chapter chat, on a schedule, with what its chapter's blogs
published since the last one (/digest to see and change when; /digest now).

A digest is a schedule of kind "digest" per chat; it reads stored entries only (the feeds
router fetches them) and remembers, in its payload, the last entry it showed.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, literal, or_
from sqlmodel import Session, col, select

from bot.core.access import ANYONE, Access, chapter_in_view
from bot.core.conversation import Conversation
from bot.core.events import ChatRef, CommandMessage
from bot.core.markup import Markup, escape
from bot.core.notify import Notifier
from bot.core.outgoing import Outgoing, Priority, Text
from bot.core.router import Occurrence, Router
from bot.core.services import Services
from bot.core.voice import Voice
from bot.handlers.chapter_admin import may_run
from bot.handlers.reminders import chat_zone, member_zone
from bot.handlers.stories import for_digest, signature
from bot.i18n.catalog import N_
from bot.i18n.schedule_words import describe
from bot.i18n.when_input import Unreadable, read_when
from bot.scheduling.rules import Rule, next_occurrence, shortest_gap
from bot.storage.feeds import aware
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chat, Feed, FeedEntry, FeedSource, Member, Schedule, utcnow
from bot.storage.outbox import OutboxStore
from bot.storage.schedules import ACTIVE, PAUSED, ScheduleRepository

router = Router("digests")

DIGEST = "digest"
PER_FEED = 10  # after a long pause, a digest shows this many per feed and counts the rest
NOW = {"now", "maintenant", "nu"}
OFF = {"off", "stop", "arrêt", "uit"}
SHORTHANDS = {
    "daily": "every day at",
    "quotidien": "chaque jour à",
    "dagelijks": "elke dag om",
    "weekly": "every",
    "hebdomadaire": "chaque",
    "wekelijks": "elke",
}


def default_rule(services: Services) -> Rule:
    """The organization's digest rule (`digest` in its file; Mondays at 09:00 by default),
    in the chat's zone."""
    return Rule.from_dict(services.organization.digest_rule)


def digest_key(chat: Chat) -> str:
    return f"{DIGEST}:{chat.platform}:{chat.chat_id}"


# -- the schedules ----------------------------------------------------------------------------


def latest_entry_id(session: Session) -> int:
    return session.exec(select(func.max(FeedEntry.id))).one() or 0


def ensure_schedule(services: Services, session: Session, chat: Chat) -> Schedule:
    """The chat's digest schedule, created (weekly) the first time: it shows what is stored
    from now on, not what came before."""
    schedules = ScheduleRepository(session)
    schedule = schedules.by_key(digest_key(chat))
    if schedule is not None:
        return schedule
    zone = chat_zone(services, session, chat)
    rule = default_rule(services)
    schedule = Schedule(
        kind=DIGEST,
        key=digest_key(chat),
        platform=chat.platform,
        chat_id=chat.chat_id,
        rule=rule.to_dict(),
        timezone=zone,
        payload={"after": latest_entry_id(session)},
        next_at=next_occurrence(rule, zone, utcnow()),
    )
    return schedules.add(schedule)


def ensure_personal(conv: Conversation) -> Schedule:
    """A member's own digest, in their private conversation: off until they ask for it."""
    schedules = ScheduleRepository(conv.session)
    key = f"{DIGEST}:member:{conv.member.id}"
    schedule = schedules.by_key(key)
    if schedule is not None:
        return schedule
    return schedules.add(
        Schedule(
            kind=DIGEST,
            key=key,
            owner_id=conv.member.id,
            created_by=conv.member.id,
            platform=conv.chat_ref.platform,
            chat_id=conv.chat_ref.chat_id,
            rule=default_rule(conv.services).to_dict(),
            timezone=member_zone(conv.services, conv.member),
            payload={"after": latest_entry_id(conv.session)},
            status=PAUSED,
        )
    )


def ensure_chapter_schedules(services: Services, session: Session, chapter_id: int) -> None:
    """Before a chapter's first feed stores its entries, so that its next digest shows them."""
    chats = session.exec(select(Chat).where(Chat.chapter_id == chapter_id, Chat.kind == "group"))
    for chat in chats:
        ensure_schedule(services, session, chat)


@router.every(timedelta(minutes=5), name="digests.keep")
def keep_schedules(services: Services, session: Session) -> None:
    """Chats linked since: their digest schedule (a linked chat keeps one, even when off)."""
    key = literal(f"{DIGEST}:") + Chat.platform + ":" + Chat.chat_id
    chats = session.exec(
        select(Chat)
        .outerjoin(Schedule, Schedule.key == key)
        .where(col(Chat.chapter_id).is_not(None), Chat.kind == "group", col(Schedule.id).is_(None))
        .limit(200)
    )
    for chat in list(chats):
        ensure_schedule(services, session, chat)


# -- what a digest holds --------------------------------------------------------------------


Groups = list[tuple[Feed, list[FeedEntry], int]]


def new_entries(session: Session, chapter_ids: list[int], after: int) -> tuple[Groups, int]:
    """Per feed: its newest unseen entries (at most PER_FEED) and how many more there are;
    and the last entry id looked at (the next digest starts after it)."""
    followed = select(FeedSource.feed_id).where(col(FeedSource.chapter_id).in_(chapter_ids))
    rows = session.exec(
        select(FeedEntry, Feed)
        .join(Feed, Feed.id == FeedEntry.feed_id)
        .where(col(FeedEntry.id) > after, col(FeedEntry.quiet).is_(False))
        # The organization's feeds are in every chapter's digest.
        .where(or_(col(Feed.id).in_(followed), col(Feed.org_wide)))
        .order_by(col(Feed.id), col(FeedEntry.id))
    )
    grouped: dict[int, tuple[Feed, list[FeedEntry]]] = {}
    last = after
    for entry, feed in rows:
        last = max(last, entry.id)
        grouped.setdefault(feed.id, (feed, []))[1].append(entry)
    result = []
    for feed, entries in grouped.values():
        newest = sorted(entries, key=lambda e: aware(e.published_at or e.seen_at), reverse=True)
        result.append((feed, newest[:PER_FEED], max(0, len(newest) - PER_FEED)))
    return result, last


def link(url: str | None, text: str) -> str:
    if not url:
        return escape(text)
    return f'<a href="{html.escape(url, quote=True)}">{escape(text)}</a>'


def render(voice: Voice, groups: Groups, stories: Sequence[tuple[str, str]] = ()) -> Markup:
    """One message: a heading, then per feed its entries (a linked title, a date, a line of
    summary), then the chapter's stories (text, signature). Entries are paragraphs, so a
    platform's splitting cuts only between them."""
    paragraphs = []
    if groups:
        # TRANSLATORS: the heading of a digest of blog posts in a chapter's group chat.
        heading = voice._("New on the blogs")
        paragraphs.append(f"<b>{heading}</b>")
    for feed, entries, more in groups:
        name = feed.title or feed.url
        for position, entry in enumerate(entries):
            day = voice.fmt.day(aware(entry.published_at or entry.seen_at))
            lines = [f"<b>{escape(name)}</b>"] if position == 0 else []
            lines.append(f"{link(entry.link, entry.title or entry.link or '…')} · {day}")
            if entry.summary:
                lines.append(escape(entry.summary))
            paragraphs.append("\n".join(lines))
        if more:
            paragraphs.append(
                voice.ngettext(
                    "And %(count)s more post on %(feed)s.",
                    "And %(count)s more posts on %(feed)s.",
                    more,
                    feed=Markup(link(feed.site_link or feed.url, name)),
                )
            )
    if stories:
        heading = voice._("Stories from the chapters")
        paragraphs.append(f"<b>{heading}</b>")
        paragraphs += [f"{escape(text)}\n— <i>{escape(signed)}</i>" for text, signed in stories]
    return Markup("\n\n".join(paragraphs))


def readers(
    services: Services, session: Session, schedule: Schedule
) -> tuple[Voice, list[int]] | None:
    """Whose words and which chapters: a chat's (its chapter), or a member's own digest
    (every chapter they belong to; the organization's feeds are in both)."""
    if schedule.owner_id is not None:
        member = session.get(Member, schedule.owner_id)
        if member is None:
            return None
        language = Notifier(services, session).voice_for(member).language
        chapters = [c.id for _m, c in MembershipRepository(session).chapters_of(member.id)]
        return Voice(services.catalogs.translator(language), schedule.timezone), chapters
    chat = session.exec(
        select(Chat).where(Chat.platform == schedule.platform, Chat.chat_id == schedule.chat_id)
    ).first()
    if chat is None or chat.chapter_id is None:
        return None
    return Notifier(services, session).chat_voice(chat, schedule.timezone), [chat.chapter_id]


def compose(
    services: Services, session: Session, schedule: Schedule
) -> tuple[Outgoing, dict] | None:
    """The digest due for the schedule's chat, and the schedule's payload once it is sent
    (where the next one starts); None: nothing new."""
    found = readers(services, session, schedule)
    if found is None:
        return None
    voice, chapter_ids = found
    groups, last = new_entries(session, chapter_ids, int(schedule.payload.get("after", 0)))
    since = schedule.payload.get("stories_since")
    stories = for_digest(session, chapter_ids, datetime.fromisoformat(since) if since else None)
    if not groups and not stories:
        return None
    told = [(story.text, signature(voice, session, story)) for story in stories]
    message = Outgoing(
        chat=ChatRef(schedule.platform or "", schedule.chat_id or ""),
        body=Text(render(voice, groups, told), previews=False),
        priority=Priority.BROADCAST,
        language=voice.language,
        notify=False,  # a digest is read when one reads the chat: never a ping
    )
    payload = {**schedule.payload, "after": last}
    if stories:
        payload["stories_since"] = max(aware(s.decided_at) for s in stories).isoformat()
    return message, payload


@router.on_schedule(DIGEST, grace=None)
def fire_digest(
    services: Services, session: Session, schedule: Schedule, occurrence: Occurrence
) -> None:
    composed = compose(services, session, schedule)
    if composed is None:
        return  # nothing new: nothing sent
    message, payload = composed
    OutboxStore(session).enqueue(message, None, (schedule.id, occurrence.at))
    schedule.payload = payload


# -- /digest ----------------------------------------------------------------------------------


@router.command(
    "digest",
    description=N_("Digests of blog posts and stories: when they come; /digest now posts one"),
    access=Access(direct=ANYONE, group=ANYONE, linked=True),
)
async def digest_command(conv: Conversation, command: CommandMessage) -> None:
    if conv.incoming.is_direct:
        personal(conv, command.args.strip())
        return
    chapter = chapter_in_view(conv)
    chat = conv.chat
    if chapter is None or chat is None:
        return
    schedule = ensure_schedule(conv.services, conv.session, chat)
    args = command.args.strip()
    if not args:
        show(conv, schedule, chapter.id)
        return
    if not may_run(conv, chapter):
        conv.reply(
            conv._(
                "Only the organizers of %(chapter)s can change its digest.", chapter=chapter.name
            )
        )
        return
    word = args.lower()
    if word in NOW:
        post_now(conv, schedule)
    elif word in OFF:
        schedule.status = PAUSED
        ScheduleRepository(conv.session).save(schedule)
        conv.reply(
            conv._("This chat gets no digest any more. /digest weekly monday 9:00 brings it back.")
        )
    else:
        change(conv, schedule, args)


def personal(conv: Conversation, args: str) -> None:
    schedule = ensure_personal(conv)
    word = args.lower()
    if not args:
        if schedule.status == ACTIVE:
            conv.reply(
                conv._(
                    "You get your own digest %(when)s: the organization’s blogs, your "
                    "chapter’s blogs and its stories.",
                    when=describe(conv, Rule.from_dict(schedule.rule)),
                )
            )
        else:
            conv.reply(
                conv._(
                    "You get no digest of your own. /digest weekly monday 9:00 starts one: the "
                    "organization’s blogs, your chapter’s blogs and its stories."
                )
            )
    elif word in NOW:
        post_now(conv, schedule)
    elif word in OFF:
        schedule.status = PAUSED
        ScheduleRepository(conv.session).save(schedule)
        conv.reply(conv._("You get no digest of your own any more."))
    else:
        change(conv, schedule, args)


def show(conv: Conversation, schedule: Schedule, chapter_id: int) -> None:
    if schedule.status != ACTIVE:
        setting = conv._("This chat gets no digest.")
    else:
        rule = Rule.from_dict(schedule.rule)
        setting = conv._(
            "This chat gets a digest of its chapter’s blogs %(when)s.",
            when=describe(conv, rule),
        )
    feeds = [feed for _source, feed in _feeds_of(conv.session, chapter_id)]
    if feeds:
        names = conv.fmt.list([feed.title or feed.url for feed in feeds])
        sources = conv._("Its sources: %(feeds)s.", feeds=names)
    else:
        sources = conv._("Its chapter follows no blog yet: organizers add one with /feed add.")
    conv.reply(Markup(f"{setting}\n{sources}"))


def _feeds_of(session: Session, chapter_id: int) -> list[tuple[FeedSource, Feed]]:
    from bot.storage.feeds import FeedRepository

    return FeedRepository(session).of_chapter(chapter_id)


def post_now(conv: Conversation, schedule: Schedule) -> None:
    composed = compose(conv.services, conv.session, schedule)
    if composed is None and schedule.owner_id is not None:
        conv.reply(conv._("Nothing new since your last digest."))
        return
    if composed is None:
        conv.reply(conv._("Nothing new on the chapter’s blogs since the last digest."))
        return
    message, payload = composed
    conv.send(message.body, priority=Priority.REPLY)
    schedule.payload = payload
    ScheduleRepository(conv.session).save(schedule)


def change(conv: Conversation, schedule: Schedule, args: str) -> None:
    words = args.split(maxsplit=1)
    rest = words[1] if len(words) > 1 else ""
    # "daily 18:00" and "weekly friday 17:00" read as the /remind phrases they stand for;
    # a /remind phrase itself ("chaque vendredi à 17h") is read as it is.
    prefix = SHORTHANDS.get(words[0].lower())
    phrase = f"{prefix} {rest}" if prefix else args
    try:
        when = read_when(phrase, schedule.timezone, utcnow())
    except Unreadable:
        when = None
    if when is not None and when.rule.repeats:
        gap = shortest_gap(when.rule, schedule.timezone, utcnow())
        if gap is not None and gap < timedelta(hours=23):
            conv.reply(conv._("A digest comes at most once a day."))
            return
    if when is None or not when.rule.repeats:
        conv.reply(
            conv._(
                "I could not tell when the digest should come. For example: /digest daily "
                "18:00, /digest weekly friday 17:00 or /digest off."
            )
        )
        return
    rule = when.rule
    schedule.rule = rule.to_dict()
    schedule.status = ACTIVE
    schedule.next_at = next_occurrence(rule, schedule.timezone, utcnow())
    ScheduleRepository(conv.session).save(schedule)
    if schedule.owner_id is not None:
        conv.reply(conv._("You will get your own digest %(when)s.", when=describe(conv, rule)))
    else:
        conv.reply(conv._("This chat will get its digest %(when)s.", when=describe(conv, rule)))
