"""A long digest on Telegram: cut at 4096 characters only between entries."""

from __future__ import annotations

from bot.adapters.telegram.text import MAX_MESSAGE_LENGTH, plain_length, split_markup
from bot.core.voice import Voice
from bot.handlers.digests import render
from bot.i18n.catalog import Catalogs
from bot.storage.models import Feed, FeedEntry, utcnow


def test_a_long_digest_is_cut_only_between_entries(locales_dir) -> None:  # type: ignore[no-untyped-def]
    voice = Voice(Catalogs(locales_dir).translator("en"), "Europe/Brussels")
    feed = Feed(id=1, url="https://blog.example.org/feed", title="Blog")
    entries = [
        FeedEntry(
            id=n,
            feed_id=1,
            key=str(n),
            link=f"https://blog.example.org/{n}",
            title=f"Post {n}",
            summary="x" * 190 + f" {n:03d}",
            published_at=utcnow(),
        )
        for n in range(40)
    ]
    stories = [("A story " * 100, "Nina, Brussels")]
    markup = render(voice, [(feed, entries, 0)], stories)
    chunks = split_markup(markup)
    assert len(chunks) > 1
    assert all(plain_length(chunk) <= MAX_MESSAGE_LENGTH for chunk in chunks)
    # Every entry whole, in one chunk: its link, title, date and summary together.
    for n in range(40):
        (holder,) = [c for c in chunks if f'/{n}">Post {n}</a>' in c]
        assert f" {n:03d}" in holder
    assert "\n\n".join(chunks) == markup  # nothing lost or changed
