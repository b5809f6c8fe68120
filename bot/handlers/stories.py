"""Chapter stories: /story TEXT tells what the chapter did; its organizers approve it (an
organizer's own story is published at once) and approved stories go into the chapter's
digests. /stories lists the recent ones. A story is its author's data: /forget removes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.access import EVERYWHERE, chapter_in_view
from bot.core.conversation import Conversation
from bot.core.events import CommandMessage
from bot.core.markup import Markup, escape
from bot.core.notify import Notifier
from bot.core.outgoing import Option
from bot.core.router import Router
from bot.core.voice import Voice
from bot.i18n.catalog import N_
from bot.storage.feeds import aware
from bot.storage.memberships import ORGANIZER, MembershipRepository
from bot.storage.models import Chapter, ChapterStory, Member, PendingAction, utcnow

router = Router("stories")

MAX_TEXT = 2000
REVIEW = "story.review"
PENDING, APPROVED, DECLINED = "pending", "approved", "declined"
ANONYMOUS = {"anonymous", "anonyme", "anoniem"}
RECENT = 10


def chapter_of_author(conv: Conversation) -> Chapter | None:
    """The chat's chapter (the author must belong to it), or the one chapter they belong to.
    None after telling them why not."""
    memberships = MembershipRepository(conv.session)
    chapter = chapter_in_view(conv)
    if chapter is not None:
        if memberships.membership(chapter.id, conv.member.id) is None:
            conv.reply(
                conv._(
                    "Stories of %(chapter)s are told by its members.",
                    chapter=chapter.name,
                )
            )
            return None
        return chapter
    chapters = [c for _m, c in memberships.chapters_of(conv.member.id)]
    if len(chapters) == 1:
        return chapters[0]
    if chapters:
        conv.reply(
            conv._("You belong to several chapters: please send /story in your chapter’s chat.")
        )
    else:
        conv.reply(conv._("Stories are told by the members of a chapter: join one with /chapters."))
    return None


OTHER_CHAPTERS_STORIES = 5


def signature(voice: Voice, session: Session, story: ChapterStory) -> str:
    chapter = session.get(Chapter, story.chapter_id)
    author = session.get(Member, story.author_id)
    name = None if story.anonymous or author is None else author.display_name
    if name:
        return voice._("%(name)s, %(chapter)s", name=name, chapter=chapter.name if chapter else "")
    return voice._("a member of %(chapter)s", chapter=chapter.name if chapter else "")


@router.command(
    "story", description=N_("Tell what your chapter did, for the next digest"), access=EVERYWHERE
)
async def story_command(conv: Conversation, command: CommandMessage) -> None:
    text = command.args.strip()
    anonymous = False
    first, _, rest = text.partition(" ")
    if first.lower() in ANONYMOUS:
        anonymous, text = True, rest.strip()
    if not text:
        conv.reply(
            conv._(
                "Tell what your chapter did after /story, for example: /story We cooked soup "
                "for 80 people. Start with “anonymous” to leave your name out."
            )
        )
        return
    if len(text) > MAX_TEXT:
        conv.reply(
            conv._(
                "A story can have at most %(limit)s characters.",
                limit=conv.fmt.number(MAX_TEXT),
            )
        )
        return
    chapter = chapter_of_author(conv)
    if chapter is None:
        return
    story = ChapterStory(
        chapter_id=chapter.id, author_id=conv.member.id, text=text, anonymous=anonymous
    )
    memberships = MembershipRepository(conv.session)
    membership = memberships.membership(chapter.id, conv.member.id)
    if membership is not None and membership.role == ORGANIZER:
        story.status, story.decided_at = APPROVED, utcnow()
        conv.session.add(story)
        conv.reply(
            conv._(
                "Thank you! Your story goes into the next digest of %(chapter)s.",
                chapter=chapter.name,
            )
        )
        return
    conv.session.add(story)
    conv.session.flush()
    ask_organizers(conv, chapter, story)
    conv.reply(
        conv._(
            "Thank you! The organizers of %(chapter)s will read your story; I will tell you "
            "when it is published.",
            chapter=chapter.name,
        )
    )


def ask_organizers(conv: Conversation, chapter: Chapter, story: ChapterStory) -> None:
    notifier = Notifier(conv.services, conv.session)
    author = conv.member
    for membership, organizer in MembershipRepository(conv.session).members_of(chapter.id):
        if membership.role != ORGANIZER:
            continue

        def question(voice: Voice) -> tuple[str, list[Option]]:
            words = voice._(
                "A story for the digest of %(chapter)s, from %(author)s:",
                chapter=chapter.name,
                author=signature(voice, conv.session, story),
            )
            return (
                Markup(f"{words}\n\n{escape(story.text)}"),
                [Option("approve", voice._("Publish")), Option("decline", voice._("Decline"))],
            )

        notifier.ask(organizer, REVIEW, {"story": story.id}, question, about=author)


@router.action(REVIEW)
async def review(conv: Conversation, action: PendingAction, answer: str) -> None:
    story = conv.session.get(ChapterStory, int(action.payload["story"]))
    if story is None:
        conv.reply(conv._("That story no longer exists."))
        return
    if story.status != PENDING:
        conv.reply(conv._("Another organizer has already answered for this story."))
        return
    approved = answer == "approve"
    story.status = APPROVED if approved else DECLINED
    story.decided_at = utcnow()
    conv.session.add(story)
    author = conv.session.get(Member, story.author_id)
    chapter = conv.session.get(Chapter, story.chapter_id)
    name = chapter.name if chapter else ""
    if author is not None:
        Notifier(conv.services, conv.session).tell(
            author,
            (
                lambda voice: voice._(
                    "Your story is published: it goes into the next digest of %(chapter)s.",
                    chapter=name,
                )
            )
            if approved
            else (
                lambda voice: voice._(
                    "The organizers of %(chapter)s did not publish your story this time.",
                    chapter=name,
                )
            ),
        )
    if approved:
        conv.reply(conv._("Published: it goes into the next digest."))
    else:
        conv.reply(conv._("Declined. Its author is told."))


@router.command("stories", description=N_("Your chapter’s recent stories"), access=EVERYWHERE)
async def stories_command(conv: Conversation, command: CommandMessage) -> None:
    chapter = chapter_in_view(conv)
    if chapter is None:
        chapters = [c for _m, c in MembershipRepository(conv.session).chapters_of(conv.member.id)]
        chapter = chapters[0] if len(chapters) == 1 else None
    if chapter is None:
        conv.reply(conv._("Use /stories in your chapter’s chat."))
        return
    stories = recent(conv.session, chapter.id)
    if not stories:
        conv.reply(
            conv._("%(chapter)s has no story yet: tell one with /story.", chapter=chapter.name)
        )
        return
    lines = [conv._("Recent stories of %(chapter)s:", chapter=chapter.name)]
    for story in stories:
        day = conv.fmt.day(aware(story.decided_at or story.created_at))
        lines.append(
            Markup(f"{escape(story.text)}\n— {signature(conv, conv.session, story)}, {day}")
        )
    conv.reply(Markup("\n\n".join(lines)))


def approved_since(
    session: Session, chapter_ids: list[int] | None, since: datetime | None
) -> list[ChapterStory]:
    """Stories approved after `since`, oldest first: of these chapters, or of every chapter
    (None), for the digests."""
    query = select(ChapterStory).where(ChapterStory.status == APPROVED)
    if chapter_ids is not None:
        query = query.where(col(ChapterStory.chapter_id).in_(chapter_ids))
    if since is not None:
        query = query.where(col(ChapterStory.decided_at) > since)
    return list(session.exec(query.order_by(col(ChapterStory.decided_at))))


def for_digest(
    session: Session, chapter_ids: list[int], since: datetime | None
) -> list[ChapterStory]:
    """What a digest tells: every new story of its own chapters, then the organization's
    latest from other chapters (a few: the whole organization is many chapters)."""
    stories = approved_since(session, None, since)
    own = [s for s in stories if s.chapter_id in chapter_ids]
    others = [s for s in stories if s.chapter_id not in chapter_ids][-OTHER_CHAPTERS_STORIES:]
    return own + others


def recent(session: Session, chapter_id: int) -> list[ChapterStory]:
    return list(
        session.exec(
            select(ChapterStory)
            .where(ChapterStory.chapter_id == chapter_id, ChapterStory.status == APPROVED)
            .order_by(col(ChapterStory.decided_at).desc())
            .limit(RECENT)
        )
    )
