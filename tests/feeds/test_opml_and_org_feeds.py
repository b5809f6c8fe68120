"""OPML import and export for admins, and the organization file's [[feeds]] in every digest."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.config import FeedSpec, load_organization
from bot.feeds.opml import OpmlError, Outline, read_opml, write_opml
from bot.handlers.feeds import fetch_round
from bot.storage.models import Feed, FeedSource
from tests.handlers.test_polls import GROUP, linked_group
from tests.support.feed_server import FeedServer
from tests.support.harness import Harness

OPML = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>Reader</title></head><body>
<outline text="Blogs">
  <outline text="Gent" type="rss" xmlUrl="https://gent.example.org/feed"/>
  <outline title="Lille" xmlUrl="https://lille.example.org/rss"/>
  <outline text="Again" xmlUrl="https://gent.example.org/feed"/>
</outline>
<outline text="A web page, not a feed" htmlUrl="https://example.org/"/>
<outline text="Not the web" xmlUrl="file:///etc/passwd"/>
</body></opml>"""


def test_opml_outlines_are_read_once_each_nested_or_not() -> None:
    assert read_opml(OPML) == [
        Outline("https://gent.example.org/feed", "Gent"),
        Outline("https://lille.example.org/rss", "Lille"),
    ]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"<opml><body>", "not valid XML"),
        (b"<rss/>", "not an OPML file"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><opml/>', "DOCTYPE"),
    ],
)
def test_bad_opml_says_why(data: bytes, why: str) -> None:
    with pytest.raises(OpmlError, match=why):
        read_opml(data)


def test_what_is_written_reads_back() -> None:
    outlines = [Outline("https://gent.example.org/feed", "Gent & co")]
    assert read_opml(write_opml("Org", [("Ghent", outlines)]).encode()) == outlines


def test_the_organization_file_lists_feeds(tmp_path: Path) -> None:
    from tests.support.organizations import write_chapters_org

    path = write_chapters_org(tmp_path)
    path.write_text(
        path.read_text() + '\n[[feeds]]\nurl = "https://org.example.org/feed"\nname = "Org"\n'
    )
    assert load_organization(path).feeds == (FeedSpec("https://org.example.org/feed", "Org"),)
    path.write_text(path.read_text() + '\n[[feeds]]\nurl = "ftp://x"\n')
    with pytest.raises(ValueError, match="feed #2 needs a url"):
        load_organization(path)


async def test_organization_feeds_are_fetched_and_in_every_chapter_digest(
    feeds_bot: Harness, feed_server: FeedServer
) -> None:
    bot = feeds_bot
    await linked_group(bot)
    await bot.say_in_group("/digest", member="olga", chat=GROUP)
    services = bot.app.services
    services.organization = dataclasses.replace(
        services.organization, feeds=(FeedSpec(f"{feed_server.url}/atom.xml", "The org"),)
    )
    assert await fetch_round(services) == 1
    reply = await bot.say_in_group("/digest now", member="olga", chat=GROUP)
    assert "The organization" in reply.text and "Winter campaign" in reply.text
    # Taken out of the organization file: no longer fetched.
    services.organization = dataclasses.replace(services.organization, feeds=())
    with services.database.session() as session:
        feed = session.exec(select(Feed)).one()
        feed.next_fetch_at = feed.created_at
        session.add(feed)
    assert await fetch_round(services) == 0


def test_feeds_import_and_export_on_the_command_line(
    feeds_bot: Harness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = feeds_bot.app.services.settings
    monkeypatch.setenv("CHAPTERBOT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CHAPTERBOT_ORG_FILE", str(settings.org_file))
    monkeypatch.setenv("CHAPTERBOT_LOCALES_DIR", str(settings.locales_dir))
    monkeypatch.setenv("CHAPTERBOT_CACHE_DIR", str(settings.cache_dir))
    opml = tmp_path / "feeds.opml"
    opml.write_bytes(OPML)
    assert main(["feeds", "import", str(opml), "--chapter", "brussels"]) == 0
    assert "2 feeds added to Brussels, 0 already there" in capsys.readouterr().out
    assert main(["feeds", "import", str(opml), "--chapter", "brussels"]) == 0
    assert "0 feeds added to Brussels, 2 already there" in capsys.readouterr().out
    assert main(["feeds", "import", str(opml), "--chapter", "nowhere"]) == 2
    assert "no chapter with the slug 'nowhere'" in capsys.readouterr().err
    (tmp_path / "bad.opml").write_bytes(b"<rss/>")
    assert main(["feeds", "import", str(tmp_path / "bad.opml"), "--chapter", "brussels"]) == 1
    capsys.readouterr()
    assert main(["feeds", "export"]) == 0
    exported = capsys.readouterr().out
    assert read_opml(exported.encode()) == [
        Outline("https://gent.example.org/feed", "Gent"),
        Outline("https://lille.example.org/rss", "Lille"),
    ]
    assert 'text="Brussels"' in exported
    with feeds_bot.app.services.database.session() as session:
        assert len(list(session.exec(select(FeedSource)))) == 2
