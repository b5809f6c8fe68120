"""Chapters' blogs: /feed add|list|remove, and the periodic fetch that stores their entries.

Fetching happens here, off the clock's transaction: the periodic job only starts a task,
which fetches what is due with bot.feeds and stores each result in its own transaction.
A feed that fails backs off (doubling, at most a day); after three days of failures the
members who added it are told once, privately: its URL may carry a token.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session

from bot.core.access import ORGANIZERS, Access, chapter_in_view
from bot.core.conversation import Conversation
from bot.core.events import CommandMessage
from bot.core.markup import Markup, escape
from bot.core.notify import Notifier
from bot.core.router import Router
from bot.core.services import Services
from bot.core.voice import Voice
from bot.feeds.discover import find_feed
from bot.feeds.errors import FeedError, Reason
from bot.feeds.fetch import Fetcher, FetchResult, Validators
from bot.feeds.parse import parse_feed
from bot.handlers.digests import ensure_chapter_schedules
from bot.i18n.catalog import N_
from bot.storage.feeds import FeedRepository, aware
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter, Feed, Member, utcnow

log = logging.getLogger(__name__)
router = Router("feeds")

FETCH_EVERY = timedelta(minutes=30)
MAX_BACKOFF = timedelta(days=1)
TELL_AFTER = timedelta(days=3)
MAX_PER_CHAPTER = 20
PARALLEL = 10  # fetches at once, over all hosts (the fetcher caps each host lower)
_running: dict[int, asyncio.Task[int]] = {}  # per Services: one fetch round at a time


# -- words ----------------------------------------------------------------------------------


def reason_words(voice: Voice, error: FeedError) -> str:
    """Why a feed could not be read, for whoever gave its address."""
    reason = error.reason
    if reason in (Reason.NOT_A_URL, Reason.SCHEME):
        return voice._("That is not a web address: it should start with https:// or http://.")
    if reason is Reason.PRIVATE_ADDRESS:
        return voice._("That address is on a private network, which I do not fetch from.")
    if reason is Reason.TOO_MANY_REDIRECTS:
        return voice._("That address redirects too many times.")
    if reason is Reason.HTTP_STATUS and error.status == 404:
        return voice._("That page does not exist (the site answered 404).")
    if reason is Reason.HTTP_STATUS:
        return voice._(
            "The site answered with an error (%(status)s). It may be down: try again later.",
            status=str(error.status),
        )
    if reason is Reason.TOO_LARGE:
        return voice._("That feed is too large: I read feeds of up to 5 MB.")
    if reason is Reason.TOO_SLOW:
        return voice._("The site took too long to answer.")
    if reason is Reason.NOT_A_FEED:
        return voice._("That address does not lead to a feed (RSS or Atom) I can read.")
    if reason is Reason.NO_FEED_FOUND:
        return voice._("That page names no feed. Please send the address of its RSS or Atom feed.")
    return voice._("I could not reach that site.")


def usage(conv: Conversation) -> str:
    return conv._(
        "Use /feed add ADDRESS to add a blog (its page or its feed), /feed list to see the "
        "chapter’s feeds, /feed remove NUMBER to remove one."
    )


# -- which chapter ----------------------------------------------------------------------------


def chapter_here(conv: Conversation) -> Chapter | None:
    """The chat's chapter; in a private conversation, the one chapter the member organizes.
    None after telling them why not."""
    chapter = chapter_in_view(conv)
    if chapter is not None:
        return chapter
    organized = MembershipRepository(conv.session).organized_by(conv.member.id)
    if len(organized) == 1:
        return organized[0]
    if organized:
        conv.reply(
            conv._(
                "You organize several chapters: please use /feed in the chat of the chapter "
                "you mean."
            )
        )
    else:
        conv.reply(conv._("Feeds belong to a chapter: use /feed in your chapter’s chat."))
    return None


# -- /feed ------------------------------------------------------------------------------------


@router.command(
    "feed",
    description=N_("Add, list or remove the chapter’s blog feeds (organizers)"),
    access=Access(direct=ORGANIZERS, group=ORGANIZERS, linked=True),
    refusal=N_("Only a chapter’s organizers can manage its feeds."),
)
async def feed_command(conv: Conversation, command: CommandMessage) -> None:
    words = command.args.split()
    action = words[0].lower() if words else "list"
    if action not in ("add", "list", "remove"):
        conv.reply(usage(conv))
        return
    chapter = chapter_here(conv)
    if chapter is None:
        return
    if action == "list":
        show_list(conv, chapter)
    elif len(words) != 2:
        conv.reply(usage(conv))
    elif action == "add":
        await add(conv, chapter, words[1])
    else:
        remove(conv, chapter, words[1])


async def add(conv: Conversation, chapter: Chapter, url: str) -> None:
    feeds = FeedRepository(conv.session)
    if len(feeds.of_chapter(chapter.id)) >= MAX_PER_CHAPTER:
        conv.reply(
            conv._(
                "%(chapter)s already has %(count)s feeds, the most a chapter can have. Remove "
                "one first (/feed list).",
                chapter=chapter.name,
                count=conv.fmt.number(MAX_PER_CHAPTER),
            )
        )
        return
    url = as_url(url)
    if url is None:
        conv.reply(Markup(f"{reason_words(conv, FeedError(Reason.NOT_A_URL))}\n{usage(conv)}"))
        return
    existing = feeds.by_url(url)
    if existing is None:
        # The network first, before this turn writes anything: a write would hold the
        # database's write lock (SQLite's is one for everyone) for as long as the fetch.
        try:
            async with fetcher_for(conv.services) as fetcher:
                result, parsed = await find_feed(fetcher, url)
        except FeedError as error:
            conv.reply(Markup(f"{reason_words(conv, error)}\n{usage(conv)}"))
            return
    # Before any entry is stored: the chapter's chats' next digests start from here.
    ensure_chapter_schedules(conv.services, conv.session, chapter.id)
    if existing is None:
        existing = feeds.by_url(result.url)
        if existing is None:
            now = utcnow()
            existing = Feed(url=result.url[:2000], next_fetch_at=now + FETCH_EVERY)
            feeds.save(existing)
            feeds.record(existing, parsed, result.validators, now)
            feeds.save(existing)
    if feeds.source(chapter.id, existing.id) is not None:
        conv.reply(
            conv._(
                "%(chapter)s already follows “%(title)s”.",
                chapter=chapter.name,
                title=existing.title or existing.url,
            )
        )
        return
    feeds.add_source(existing, chapter.id, conv.member.id)
    conv.reply(
        conv._(
            "Added “%(title)s” (number %(id)s) to the feeds of %(chapter)s. I check it every "
            "30 minutes; only its three most recent posts count as new.",
            title=existing.title or existing.url,
            id=str(existing.id),
            chapter=chapter.name,
        )
    )


def as_url(text: str) -> str | None:
    """What was typed, as an address: "blog.example.org" is read as https://blog.example.org."""
    if "://" not in text:
        text = "https://" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return None
    # A host with no dot is a word, not a site ("/feed add hello"); [::1] has colons.
    return text if "." in host or ":" in host else None


def show_list(conv: Conversation, chapter: Chapter) -> None:
    rows = FeedRepository(conv.session).of_chapter(chapter.id)
    if not rows:
        none = conv._("%(chapter)s follows no feed yet.", chapter=chapter.name)
        conv.reply(Markup(f"{none}\n{usage(conv)}"))
        return
    lines = [conv._("Feeds of %(chapter)s:", chapter=chapter.name)]
    for _source, feed in rows:
        line = conv._("%(id)s. %(title)s", id=str(feed.id), title=feed.title or feed.url)
        # A feed's address may carry a token: shown in private only.
        if conv.incoming.is_direct:
            line = Markup(f"{line} — {escape(feed.url)}")
        if feed.failing_since is not None:
            failing = conv._("(failing since %(day)s)", day=conv.fmt.day(aware(feed.failing_since)))
            line = Markup(f"{line} {failing}")
        lines.append(line)
    conv.reply(Markup("\n".join(lines)))


def remove(conv: Conversation, chapter: Chapter, number: str) -> None:
    feeds = FeedRepository(conv.session)
    source = feeds.source(chapter.id, int(number)) if number.isdigit() else None
    if source is None:
        conv.reply(
            conv._(
                "%(chapter)s has no feed number %(number)s. /feed list shows its feeds.",
                chapter=chapter.name,
                number=number,
            )
        )
        return
    feed = feeds.get(source.feed_id)
    feeds.remove_source(source)
    conv.reply(
        conv._(
            "Removed “%(title)s” from the feeds of %(chapter)s.",
            title=(feed.title or feed.url) if feed else number,
            chapter=chapter.name,
        )
    )


# -- fetching on the clock ------------------------------------------------------------------


def fetcher_for(services: Services) -> Fetcher:
    return Fetcher(allow_private=services.settings.feeds_allow_private)


@router.every(timedelta(minutes=1), name="feeds.fetch")
def start_fetching(services: Services, session: Session) -> None:
    """Starts a fetch round unless one is still going (the clock's transaction stays short)."""
    running = _running.get(id(services))
    if running is not None and not running.done():
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # no event loop (a command-line run of the clock): nothing to fetch with
    task = loop.create_task(fetch_round(services))
    _running[id(services)] = task
    task.add_done_callback(lambda _t: _running.pop(id(services), None))


async def fetch_round(services: Services, now: datetime | None = None) -> int:
    """Fetch every feed that is due; returns how many were fetched."""
    now = now or utcnow()
    with services.database.session() as session:
        FeedRepository(session).sync_org_feeds(services.organization.feeds, now)
    with services.database.session() as session:
        due = [(f.id, f.url, validators_of(f)) for f in FeedRepository(session).due(now)]
    if not due:
        return 0
    gate = asyncio.Semaphore(PARALLEL)
    async with fetcher_for(services) as fetcher:

        async def one(feed_id: int, url: str, validators: Validators) -> None:
            async with gate:
                try:
                    result: FetchResult | FeedError = await fetcher.fetch(url, validators)
                except FeedError as error:
                    result = error
            try:
                store(services, feed_id, result, now)
            except Exception:
                log.exception("feed %s: could not store what the fetch found", feed_id)

        await asyncio.gather(*(one(*item) for item in due))
    return len(due)


def validators_of(feed: Feed) -> Validators:
    return Validators(feed.etag, feed.last_modified, feed.body_digest)


def store(services: Services, feed_id: int, result: FetchResult | FeedError, now: datetime) -> None:
    with services.database.session() as session:
        feeds = FeedRepository(session)
        feed = feeds.get(feed_id)
        if feed is None:
            return  # removed meanwhile
        if isinstance(result, FetchResult):
            try:
                if result.not_modified:
                    feeds.succeeded(feed, result.validators, now)
                else:
                    feeds.record(
                        feed,
                        parse_feed(result.body, result.headers, result.url),
                        result.validators,
                        now,
                    )
                feed.next_fetch_at = now + FETCH_EVERY
                feeds.save(feed)
                return
            except FeedError as error:
                result = error
        failed(services, session, feed, result, now)
        feeds.save(feed)


def failed(
    services: Services, session: Session, feed: Feed, error: FeedError, now: datetime
) -> None:
    feed.failures += 1
    feed.failing_since = aware(feed.failing_since) or now
    feed.last_error = str(error.reason)
    feed.next_fetch_at = now + min(FETCH_EVERY * 2 ** min(feed.failures, 10), MAX_BACKOFF)
    if feed.failure_told or now - feed.failing_since < TELL_AFTER:
        return
    feed.failure_told = True
    notifier = Notifier(services, session)
    members = MemberRepository(session)
    for source in FeedRepository(session).sources(feed.id):
        member = members.session.get(Member, source.added_by) if source.added_by else None
        if member is None:
            continue
        notifier.tell(
            member,
            lambda voice: Markup(
                voice._(
                    "I have not been able to read the feed %(url)s for 3 days. %(why)s I keep "
                    "trying, once a day; /feed remove %(id)s in your chapter’s chat removes it.",
                    url=feed.url,
                    why=reason_words(voice, error),
                    id=str(feed.id),
                )
            ),
        )
