"""chapterbot run | chat | db upgrade | db revision | places build."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.chapters_csv import HEADER as CSV_HEADER
from bot.config import ConfigError, Settings, redact_url
from bot.scheduling.clock import Clock
from bot.scheduling.leadership import Leadership, Work

if TYPE_CHECKING:
    from bot.adapters import Adapter
    from bot.app import Application

log = logging.getLogger("chapterbot")

CONFIGURE_HINT = (
    "Running the terminal chat with the demo organization. To run on Telegram or Matrix, set "
    "CHAPTERBOT_TELEGRAM_TOKEN or CHAPTERBOT_MATRIX_HOMESERVER/USER/PASSWORD (see README.md)."
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="chapterbot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    commands.add_parser("run", help="run the bot on every configured platform")

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.add_argument(
        "--as", dest="member", default=None, help="who is speaking (default: login name)"
    )
    chat.add_argument(
        "--lang", choices=("en", "fr", "nl"), default=None, help="the platform's language hint"
    )
    chat.add_argument(
        "--chat", dest="chat_name", default=None, help="a named group chat (default: private)"
    )

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply the database migrations")
    db_commands.add_parser("current", help="print the database's migration revision")

    chapters = commands.add_parser("chapters", help="the chapter directory as CSV")
    chapters_commands = chapters.add_subparsers(dest="chapters_command", required=True)
    importing = chapters_commands.add_parser(
        "import", help="add or update chapters from a CSV file"
    )
    importing.add_argument("file", help="CSV with the header " + ",".join(CSV_HEADER))
    chapters_commands.add_parser("export", help="write every chapter as CSV to stdout")

    feeds = commands.add_parser("feeds", help="chapters' feeds as OPML")
    feeds_commands = feeds.add_subparsers(dest="feeds_command", required=True)
    feeds_import = feeds_commands.add_parser(
        "import", help="add the feeds of an OPML file to a chapter (fetched at the next round)"
    )
    feeds_import.add_argument("file", help="an OPML file (its outlines with xmlUrl)")
    feeds_import.add_argument("--chapter", required=True, help="the chapter's slug")
    feeds_commands.add_parser("export", help="write every feed in use as OPML to stdout")

    places = commands.add_parser("places", help="the offline gazetteer")
    places_commands = places.add_subparsers(dest="places_command", required=True)
    places_commands.add_parser("build", help="build the place index now (else built on first use)")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"chapterbot: {exc}", file=sys.stderr)
        return 2
    quiet_chat = args.command in ("run", "chat") and "CHAPTERBOT_LOG_LEVEL" not in os.environ
    logging.basicConfig(
        level="WARNING" if quiet_chat else settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "db":
            return database_command(settings, args.db_command)
        if args.command == "chapters":
            return chapters_command(settings, args)
        if args.command == "feeds":
            return feeds_command(settings, args)
        if args.command == "places":
            return places_command(settings)
        if args.command == "run":
            return run(settings)
        return chat(settings, args.member, args.lang, args.chat_name)
    except ConfigError as exc:
        print(f"chapterbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def database_command(settings: Settings, action: str) -> int:
    from bot.storage import migrate
    from bot.storage.database import Database

    database = Database(settings.database_url)
    try:
        if action == "upgrade":
            migrate.upgrade(database)
        print(f"{redact_url(database.url)}: revision {migrate.current_revision(database)}")
    finally:
        database.dispose()
    return 0


def chapters_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_application
    from bot.chapters_csv import export_chapters, import_chapters

    app = build_application(settings)
    try:
        with app.services.database.session() as session:
            if args.chapters_command == "export":
                sys.stdout.write(export_chapters(session))
                return 0
            try:
                data = Path(args.file).read_bytes()
            except OSError as exc:
                print(f"chapterbot: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
                return 2
            report = import_chapters(data, session, app.services.gazetteer)
            if report.errors:
                session.rollback()
                for error in report.errors:
                    print(error, file=sys.stderr)
                print("nothing was changed", file=sys.stderr)
                return 1
            print(f"{report.created} chapters added, {report.updated} updated")
            return 0
    finally:
        app.close()


def feeds_command(settings: Settings, args: argparse.Namespace) -> int:
    from sqlmodel import select

    from bot.app import build_application
    from bot.feeds.opml import OpmlError, Outline, read_opml, write_opml
    from bot.storage.chapters import ChapterRepository
    from bot.storage.feeds import FeedRepository
    from bot.storage.models import Chapter, utcnow

    app = build_application(settings)
    try:
        with app.services.database.session() as session:
            feeds = FeedRepository(session)
            chapters = ChapterRepository(session)
            if args.feeds_command == "export":
                folders: dict[str, list[Outline]] = {}
                for feed, chapter_id in feeds.in_use():
                    chapter = chapters.get(chapter_id) if chapter_id is not None else None
                    name = chapter.name if chapter else app.services.organization.name
                    folders.setdefault(name, []).append(Outline(feed.url, feed.title))
                title = app.services.organization.name
                sys.stdout.write(write_opml(title, list(folders.items())))
                return 0
            chapter = session.exec(select(Chapter).where(Chapter.slug == args.chapter)).first()
            if chapter is None:
                print(f"chapterbot: no chapter with the slug {args.chapter!r}", file=sys.stderr)
                return 2
            try:
                outlines = read_opml(Path(args.file).read_bytes())
            except OSError as exc:
                print(f"chapterbot: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
                return 2
            except OpmlError as exc:
                print(f"chapterbot: {args.file}: {exc}", file=sys.stderr)
                return 1
            now = utcnow()
            added = sum(feeds.add_to_chapter(o.url, o.title, chapter.id, now) for o in outlines)
            print(f"{added} feeds added to {chapter.name}, {len(outlines) - added} already there")
            return 0
    finally:
        app.close()


def places_command(settings: Settings) -> int:
    from bot.geo.gazetteer import Gazetteer

    gazetteer = Gazetteer.open(settings.cache_dir)
    gazetteer.close()
    print("place index ready")
    return 0


def run(settings: Settings) -> int:
    if not (settings.telegram_configured or settings.matrix_configured):
        print(CONFIGURE_HINT, file=sys.stderr)
        return chat(settings, None, None, None)
    from bot.app import build_application

    app = build_application(settings)
    try:
        asyncio.run(run_adapters(app))
    finally:
        app.close()
    return 0


async def run_adapters(app: Application, stop: asyncio.Event | None = None) -> None:
    """Every configured platform in one event loop, until SIGINT or SIGTERM (or `stop`)."""
    settings = app.services.settings
    adapters: list[Adapter] = []
    if settings.telegram_configured:
        from bot.adapters.telegram import create_adapter as telegram_adapter

        adapters.append(telegram_adapter(app))
    if settings.matrix_configured:
        from bot.adapters.matrix import create_adapter as matrix_adapter

        adapters.append(matrix_adapter(app))
    clock = Clock.for_router(app.services, app.dispatcher.router)
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    started: list[Adapter] = []
    # With several processes on PostgreSQL, only the leader runs the clock, the sync loop,
    # long polling and the drainers; every process takes webhook updates.
    leadership = Leadership(
        app.services.database, [Work("clock", clock.start, clock.stop), *adapters]
    )
    try:
        for adapter in adapters:
            await adapter.start(lead=False)
            started.append(adapter)
            log.info("%s adapter running", adapter.name)
        await leadership.start()
        await stop.wait()
    finally:
        await leadership.stop()  # the clock too (a second stop would fail in APScheduler)
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("%s adapter did not stop cleanly", adapter.name)


def chat(
    settings: Settings, member: str | None, language: str | None, chat_name: str | None
) -> int:
    from bot.adapters.terminal.chat import TerminalChat
    from bot.app import build_application

    app = build_application(settings)
    try:
        # The terminal runs the clock while it is open: a reminder due now is printed now.
        clock = Clock.for_router(app.services, app.dispatcher.router)
        terminal = TerminalChat(app, member or login_name(), language, chat_name, clock=clock)
        if terminal.interactive:
            print(
                "Type your messages; /location LAT LON shares a location; Ctrl-D quits.",
                file=sys.stderr,
            )
        asyncio.run(terminal.run())
    finally:
        app.close()
    return 0


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "member"
