"""A chapter's blog with two new posts, stored as the periodic fetch would have stored them,
for the end-to-end digest tests on each platform."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.app import Application
from bot.handlers.digests import DIGEST, ensure_schedule
from bot.storage.models import Chapter, Chat, Feed, FeedEntry, FeedSource, Schedule, utcnow
from bot.storage.schedules import ScheduleRepository

POSTS = (
    ("Soup & solidarity", "https://brussels.example.org/soup", "We cooked for 80 people."),
    ("Flyers at the market", "https://brussels.example.org/flyers", "Two hours, 300 flyers."),
)


def blog_for_chat(app: Application, platform: str, chat_id: str) -> None:
    """Link the chat to a chapter that follows one blog with two new posts."""
    now = utcnow()
    with app.services.database.session() as session:
        chapter = session.exec(select(Chapter).order_by(Chapter.id)).first()
        assert chapter is not None
        chat = session.exec(
            select(Chat).where(Chat.platform == platform, Chat.chat_id == chat_id)
        ).one()
        chat.chapter_id = chapter.id
        session.add(chat)
        session.flush()
        ensure_schedule(app.services, session, chat)
        feed = Feed(url="https://brussels.example.org/feed", title="Brussels chapter blog")
        session.add(feed)
        session.flush()
        session.add(FeedSource(feed_id=feed.id, chapter_id=chapter.id))
        for age, (title, link, summary) in enumerate(POSTS):
            session.add(
                FeedEntry(
                    feed_id=feed.id,
                    key=f"link:{link}",
                    link=link,
                    title=title,
                    summary=summary,
                    published_at=now - timedelta(days=age + 1),
                )
            )
        session.commit()


def digest_due_in(app: Application, seconds: float) -> None:
    with app.services.database.session() as session:
        schedule = session.exec(select(Schedule).where(Schedule.kind == DIGEST)).one()
        schedule.next_at = utcnow() + timedelta(seconds=seconds)
        ScheduleRepository(session).save(schedule)
        session.commit()
