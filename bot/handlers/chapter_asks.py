"""A chapter's current ask: one line its organizers set (/nudges ask TEXT, cleared with
/nudges ask off) that every monthly nudge to the chapter's members carries until they change
it. It is the chapter's, not a person's: it names nobody and keeps no author."""

from __future__ import annotations

from datetime import UTC

from sqlmodel import Session

from bot.core.conversation import Conversation
from bot.core.voice import Voice
from bot.storage.models import Chapter, utcnow

MAX_ASK = 300
OFF = "off"


def ask_usage(conv: Conversation) -> str:
    # TRANSLATORS: "ask" and "off" are typed as they are.
    return conv._(
        "For example: /nudges ask Come to Thursday's meeting and bring a friend. "
        "/nudges ask off clears it."
    )


def set_ask(conv: Conversation, chapter: Chapter, words: str) -> None:
    text = " ".join(words.split())
    if not text:
        conv.reply(
            conv._(
                "What should the nudges of %(chapter)s ask of its members this month?",
                chapter=chapter.name,
            )
            + "\n"
            + ask_usage(conv)
        )
        return
    if text.lower() == OFF:
        chapter.current_ask = None
        chapter.current_ask_since = None
        save(conv.session, chapter)
        conv.reply(conv._("%(chapter)s has no current ask any more.", chapter=chapter.name))
        return
    if len(text) > MAX_ASK:
        conv.reply(
            conv._(
                "An ask can have at most %(limit)s characters (this one has %(count)s).",
                limit=MAX_ASK,
                count=len(text),
            )
        )
        return
    chapter.current_ask = text
    chapter.current_ask_since = utcnow()
    save(conv.session, chapter)
    conv.reply(
        conv._(
            "From now on the nudges to the members of %(chapter)s carry your ask: “%(ask)s”",
            chapter=chapter.name,
            ask=text,
        )
    )


def save(session: Session, chapter: Chapter) -> None:
    session.add(chapter)
    session.flush()


def ask_line(voice: Voice, chapter: Chapter | None) -> str | None:
    """The ask as a nudge carries it, or None when the chapter has none."""
    if chapter is None or not chapter.current_ask:
        return None
    return voice._("%(chapter)s asks: %(ask)s", chapter=chapter.name, ask=chapter.current_ask)


def current_ask_words(conv: Conversation, chapter: Chapter) -> str:
    """For the organizers' list of nudges."""
    if not chapter.current_ask:
        return conv._("No current ask (set one with /nudges ask TEXT).")
    since = chapter.current_ask_since
    return conv._(
        "Current ask, since %(day)s: “%(ask)s”",
        day=conv.fmt.day(since if since.tzinfo else since.replace(tzinfo=UTC)) if since else "?",
        ask=chapter.current_ask,
    )
