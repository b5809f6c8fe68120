"""Settings: environment variables (CHAPTERBOT_*) plus the organization file."""

from __future__ import annotations

import os
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n.locale import SUPPORTED_LANGUAGES

PACKAGE_DIR = Path(__file__).resolve().parent
DEMO_ORG_FILE = PACKAGE_DIR / "examples" / "demo-organization.toml"


class ConfigError(ValueError):
    """The configuration or the organization file is unusable; the message says why."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    org_file: Path
    locales_dir: Path
    cache_dir: Path | None
    log_level: str = "INFO"
    telegram_token: str | None = None
    telegram_api_url: str | None = None
    matrix_homeserver: str | None = None
    matrix_user: str | None = None
    matrix_password: str | None = None
    matrix_access_token: str | None = None
    # Feeds on the bot's own network (a self-hosted site on a LAN) are refused unless set.
    feeds_allow_private: bool = False
    # Files the bot writes besides its database (the terminal's growth charts).
    data_dir: Path = Path("var")

    @property
    def telegram_configured(self) -> bool:
        return bool(self.telegram_token)

    @property
    def matrix_configured(self) -> bool:
        return bool(
            self.matrix_homeserver
            and self.matrix_user
            and (self.matrix_password or self.matrix_access_token)
        )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)

        def get(name: str) -> str | None:
            value = env.get(f"CHAPTERBOT_{name}", "").strip()
            return value or None

        data_dir = Path(get("DATA_DIR") or "var")
        database_url = get("DATABASE_URL") or f"sqlite:///{data_dir / 'chapterbot.sqlite'}"
        cache_dir = get("CACHE_DIR")
        return cls(
            database_url=database_url,
            org_file=Path(get("ORG_FILE") or DEMO_ORG_FILE),
            locales_dir=Path(get("LOCALES_DIR") or default_locales_dir()),
            cache_dir=Path(cache_dir) if cache_dir else None,
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
            telegram_token=get("TELEGRAM_TOKEN"),
            telegram_api_url=get("TELEGRAM_API_URL"),
            matrix_homeserver=get("MATRIX_HOMESERVER"),
            matrix_user=get("MATRIX_USER"),
            matrix_password=get("MATRIX_PASSWORD"),
            matrix_access_token=get("MATRIX_ACCESS_TOKEN"),
            feeds_allow_private=get("FEEDS_ALLOW_PRIVATE") == "1",
            data_dir=data_dir,
        )

    def __repr__(self) -> str:
        # Secrets never reach logs, even through a debug print of the settings.
        hidden = {"telegram_token", "matrix_password", "matrix_access_token"}
        parts = []
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "database_url":
                value = redact_url(value)
            parts.append(f"{name}={'***' if name in hidden and value else value!r}")
        return f"Settings({', '.join(parts)})"


def redact_url(url: str) -> str:
    """A database URL fit for logs: the password replaced by ***."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def default_locales_dir() -> Path:
    return PACKAGE_DIR.parent / "locales"


@dataclass(frozen=True, slots=True)
class Interest:
    key: str
    # Labels per language for interests the catalogs do not know; built-in keys need none.
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChapterSpec:
    name: str
    slug: str
    city: str
    country_code: str
    latitude: float
    longitude: float
    languages: tuple[str, ...]
    status: str
    descriptions: dict[str, str]
    organizers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """An organization-wide feed ([[feeds]] in the organization file): in every digest."""

    url: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Milestone:
    """A goal of the organization's own arithmetic: so many members, and so many chapters
    with at least min_members."""

    name: dict[str, str]
    members: int = 0
    chapters: int = 0
    min_members: int = 0

    def name_for(self, language: str) -> str:
        return self.name.get(language) or self.name.get("en") or next(iter(self.name.values()))


@dataclass(frozen=True, slots=True)
class Organization:
    name: str
    default_language: str
    intro: dict[str, str]
    admins: tuple[str, ...]
    interests: tuple[Interest, ...]
    chapters: tuple[ChapterSpec, ...]
    chapter_radius_km: float = 50.0
    founding_threshold: int = 3
    # The monthly outreach nudge's day, as cron fields: "first monday" → day 1-7, mon.
    nudge_day: tuple[str, str] = ("1-7", "mon")
    milestones: tuple[Milestone, ...] = ()
    # Where reminders happen when neither the member nor the chat has a place (IANA name).
    timezone: str = "UTC"
    # When a chapter chat's digest comes unless its organizers choose (a rule, as stored).
    digest_rule: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_DIGEST_RULE))
    feeds: tuple[FeedSpec, ...] = ()

    def intro_for(self, language: str) -> str:
        return self.intro.get(language) or self.intro.get(self.default_language) or ""

    def is_admin(self, platform: str, user_id: str) -> bool:
        return f"{platform}:{user_id}" in self.admins


def load_organization(path: Path) -> Organization:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"organization file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"organization file {path} is not valid TOML: {exc}") from exc
    return parse_organization(raw, source=str(path))


def parse_organization(raw: dict, source: str = "organization file") -> Organization:
    def fail(message: str) -> ConfigError:
        return ConfigError(f"{source}: {message}")

    org = raw.get("organization", {})
    name = str(org.get("name", "")).strip()
    if not name:
        raise fail("[organization] needs a name")
    default_language = org.get("default_language", "en")
    if default_language not in SUPPORTED_LANGUAGES:
        raise fail(f"default_language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    intro = {k: str(v).strip() for k, v in org.get("intro", {}).items() if k in SUPPORTED_LANGUAGES}
    admins = tuple(str(a) for a in org.get("admins", []))
    for admin in admins:
        if ":" not in admin:
            raise fail(f"admin {admin!r} must look like 'telegram:12345' or 'matrix:@me:server'")

    interests = []
    for item in org.get("interests", []):
        if isinstance(item, str):
            interests.append(Interest(key=item))
        elif isinstance(item, dict) and item.get("key"):
            labels = {k: str(v) for k, v in item.items() if k in SUPPORTED_LANGUAGES}
            interests.append(Interest(key=str(item["key"]), labels=labels))
        else:
            raise fail(f"interest {item!r} needs a key")

    chapters = []
    seen_slugs: set[str] = set()
    for index, item in enumerate(raw.get("chapters", []), start=1):
        try:
            chapter = ChapterSpec(
                name=str(item["name"]).strip(),
                slug=str(item.get("slug") or slugify(item["name"])),
                city=str(item.get("city", item["name"])),
                country_code=str(item["country"]).upper(),
                latitude=float(item["latitude"]),
                longitude=float(item["longitude"]),
                languages=tuple(item.get("languages", [default_language])),
                status=str(item.get("status", "active")),
                descriptions={
                    k: str(v)
                    for k, v in item.get("description", {}).items()
                    if k in SUPPORTED_LANGUAGES
                },
                organizers=tuple(str(o) for o in item.get("organizers", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise fail(f"chapter #{index} is incomplete or malformed ({exc})") from exc
        if not (-90 <= chapter.latitude <= 90 and -180 <= chapter.longitude <= 180):
            raise fail(f"chapter {chapter.name!r} has coordinates out of range")
        if chapter.status not in ("active", "forming"):
            raise fail(f"chapter {chapter.name!r}: status must be 'active' or 'forming'")
        if chapter.slug in seen_slugs:
            raise fail(f"chapter {chapter.name!r} appears twice")
        seen_slugs.add(chapter.slug)
        chapters.append(chapter)

    try:
        radius = float(org.get("chapter_radius_km", 50))
        threshold = int(org.get("founding_threshold", 3))
    except (TypeError, ValueError) as exc:
        raise fail("chapter_radius_km and founding_threshold must be numbers") from exc
    if radius <= 0 or threshold < 2:
        raise fail("chapter_radius_km must be positive and founding_threshold at least 2")
    timezone = str(org.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise fail(f"timezone {timezone!r} is not an IANA name like 'Europe/Brussels'") from exc
    digest_rule = parse_digest(org.get("digest", DEFAULT_DIGEST), fail)
    feeds = []
    for index, item in enumerate(raw.get("feeds", []), start=1):
        url = str(item.get("url", "")).strip() if isinstance(item, dict) else ""
        if not url.lower().startswith(("http://", "https://")):
            raise fail(f"feed #{index} needs a url starting with https:// or http://")
        feeds.append(FeedSpec(url=url, name=str(item.get("name", "")).strip()))
    nudge_day = parse_nudge_day(str(org.get("nudge_day", "first monday")))
    if nudge_day is None:
        raise fail("nudge_day must look like 'first monday' (first to fourth, a weekday)")
    milestones = tuple(parse_milestone(m, fail) for m in raw.get("milestones", []))
    return Organization(
        milestones=milestones,
        nudge_day=nudge_day,
        name=name,
        default_language=default_language,
        intro=intro,
        admins=admins,
        interests=tuple(interests),
        chapters=tuple(chapters),
        chapter_radius_km=radius,
        founding_threshold=threshold,
        timezone=timezone,
        digest_rule=digest_rule,
        feeds=tuple(feeds),
    )


DEFAULT_DIGEST = "every monday at 9:00"
DEFAULT_DIGEST_RULE = {
    "type": "cron", "minute": "0", "hour": "9", "day": "*", "month": "*",
    "day_of_week": "mon", "every_weeks": 1,
}  # fmt: skip


def parse_digest(phrase: object, fail: Any) -> dict[str, Any]:
    """`digest = "every monday at 9:00"` (any phrase /remind reads that repeats)."""
    from bot.i18n.when_input import Unreadable, read_when

    try:
        when = read_when(str(phrase), "UTC", datetime.now(UTC))
    except Unreadable as exc:
        raise fail(
            f"digest {phrase!r} is not a time I can read, e.g. 'every monday at 9:00'"
        ) from exc
    if not when.rule.repeats or when.evening is not None:
        raise fail(
            f"digest {phrase!r} must repeat at an unmistakable hour, e.g. 'every monday at 9:00'"
        )
    rule = when.rule.to_dict()
    rule.pop("until", None)
    return rule


def parse_milestone(raw: Any, fail: Callable[[str], ConfigError]) -> Milestone:
    if not isinstance(raw, dict):
        raise fail("each [[milestones]] needs a name and numbers")
    name = raw.get("name")
    names = {"en": name} if isinstance(name, str) else name
    if not isinstance(names, dict) or not names:
        raise fail("each [[milestones]] needs a name (a text, or one per language)")
    try:
        numbers = {k: int(raw.get(k, 0)) for k in ("members", "chapters", "min_members")}
    except (TypeError, ValueError) as exc:
        raise fail("a milestone's members, chapters and min_members must be numbers") from exc
    if (not numbers["members"] and not numbers["chapters"]) or min(numbers.values()) < 0:
        raise fail("a milestone needs members or chapters to count")
    return Milestone(name={str(k): str(v) for k, v in names.items()}, **numbers)


_ORDINALS = {"first": "1-7", "second": "8-14", "third": "15-21", "fourth": "22-28"}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_nudge_day(text: str) -> tuple[str, str] | None:
    """'first monday' → ('1-7', 'mon'): the days of the month and the weekday, as cron has
    them (both must match)."""
    words = text.lower().split()
    if len(words) != 2 or words[0] not in _ORDINALS or words[1] not in _WEEKDAYS:
        return None
    return _ORDINALS[words[0]], words[1][:3]


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return "-".join(words)
