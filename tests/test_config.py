"""Settings from the environment and the organization file, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import (
    DEMO_ORG_FILE,
    ConfigError,
    Settings,
    load_organization,
    parse_organization,
    redact_url,
)


def test_demo_organization_is_complete() -> None:
    org = load_organization(DEMO_ORG_FILE)
    assert set(org.intro) == {"en", "fr", "nl"}
    assert len(org.chapters) >= 6
    countries = {c.country_code for c in org.chapters}
    assert {"BE", "NL", "FR", "GB"} <= countries and {"US", "CA"} & countries
    assert {"forming", "active"} == {c.status for c in org.chapters}


def test_the_nudge_day_becomes_cron_fields() -> None:
    assert parse_organization({"organization": {"name": "X"}}).nudge_day == ("1-7", "mon")
    org = parse_organization({"organization": {"name": "X", "nudge_day": "Third Thursday"}})
    assert org.nudge_day == ("15-21", "thu")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"organization": {}}, "needs a name"),
        ({"organization": {"name": "X", "default_language": "de"}}, "default_language"),
        ({"organization": {"name": "X", "admins": ["12345"]}}, "telegram:12345"),
        ({"organization": {"name": "X", "interests": [{"en": "No key"}]}}, "needs a key"),
        ({"organization": {"name": "X"}, "chapters": [{"name": "A"}]}, "chapter #1"),
        (
            {
                "organization": {"name": "X"},
                "chapters": [{"name": "A", "country": "BE", "latitude": 95, "longitude": 4}],
            },
            "out of range",
        ),
        ({"organization": {"name": "X", "nudge_day": "monday"}}, "nudge_day"),
        ({"organization": {"name": "X"}, "milestones": [{"members": 10}]}, "needs a name"),
        ({"organization": {"name": "X"}, "milestones": [{"name": "M"}]}, "members or chapters"),
        (
            {"organization": {"name": "X"}, "milestones": [{"name": "M", "members": "many"}]},
            "numbers",
        ),
        ({"organization": {"name": "X", "nudge_day": "fifth friday"}}, "nudge_day"),
        (
            {
                "organization": {"name": "X"},
                "chapters": [
                    {"name": "A", "country": "BE", "latitude": 50, "longitude": 4},
                    {"name": "a", "country": "BE", "latitude": 51, "longitude": 4},
                ],
            },
            "appears twice",
        ),
        ({"organization": {"name": "X", "digest": "whenever"}}, "not a time I can read"),
        ({"organization": {"name": "X", "digest": "tomorrow at 9:00"}}, "must repeat"),
        ({"organization": {"name": "X", "timezone": "Mars/Olympus"}}, "IANA"),
    ],
)
def test_bad_organization_files_say_what_is_wrong(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_organization(raw)


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_organization(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[organization\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_organization(broken)


def test_settings_never_show_secrets() -> None:
    settings = Settings.from_env(
        {
            "CHAPTERBOT_TELEGRAM_TOKEN": "123:secret-token",
            "CHAPTERBOT_MATRIX_PASSWORD": "hunter2",
            "CHAPTERBOT_DATABASE_URL": "postgresql+psycopg://bot:pw@db/chapterbot",
        }
    )
    assert settings.telegram_configured
    shown = repr(settings)
    assert "secret-token" not in shown and "hunter2" not in shown and "pw@" not in shown
    assert "pw@" not in redact_url(settings.database_url)


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.org_file == DEMO_ORG_FILE
    assert not settings.telegram_configured and not settings.matrix_configured


@pytest.mark.parametrize(("value", "allowed"), [("1", True), ("0", False), ("yes", False)])
def test_private_feed_addresses_are_allowed_only_when_asked(value: str, allowed: bool) -> None:
    assert not Settings.from_env({}).feeds_allow_private
    env = {"CHAPTERBOT_FEEDS_ALLOW_PRIVATE": value}
    assert Settings.from_env(env).feeds_allow_private is allowed


def test_the_digest_rule_comes_from_the_organization_file() -> None:
    default = parse_organization({"organization": {"name": "X"}})
    assert (default.digest_rule["day_of_week"], default.digest_rule["hour"]) == ("mon", "9")
    chosen = parse_organization({"organization": {"name": "X", "digest": "chaque vendredi à 17h"}})
    assert (chosen.digest_rule["day_of_week"], chosen.digest_rule["hour"]) == ("fri", "17")


def test_the_telegram_pace_is_a_setting() -> None:
    from bot.adapters.telegram.config import TelegramConfig

    settings = Settings.from_env({"CHAPTERBOT_TELEGRAM_TOKEN": "1:x"})
    assert TelegramConfig.load(settings, {}).messages_per_second == 30
    paid = {"CHAPTERBOT_TELEGRAM_MESSAGES_PER_SECOND": "300"}
    assert TelegramConfig.load(settings, paid).messages_per_second == 300
    for wrong in ("0", "fast", "5000"):
        with pytest.raises(ConfigError, match="MESSAGES_PER_SECOND"):
            TelegramConfig.load(settings, {"CHAPTERBOT_TELEGRAM_MESSAGES_PER_SECOND": wrong})
