"""`chapterbot chat` as a subprocess with piped input: what a script or a newcomer sees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def chapterbot(
    args: list[str], lines: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("chapterbot")
    return subprocess.run(
        [str(executable), *args],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path, locales_dir: Path, cache_dir: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHAPTERBOT_")}
    environment.update(
        CHAPTERBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite'}",
        CHAPTERBOT_LOCALES_DIR=str(locales_dir),
        CHAPTERBOT_CACHE_DIR=str(cache_dir),
    )
    return environment


def test_french_onboarding_with_a_dutch_place_name(env: dict[str, str]) -> None:
    lines = ["/start", "2", "Amélie", "Brussel", "1", "1, 3", "1", "/mydata"]
    result = chapterbot(["chat", "--as", "amelie", "--lang", "fr"], lines, env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Bonjour" in out
    assert "  1. English\n  2. Français\n  3. Nederlands" in out
    assert "Amélie" in out
    assert "Brussels" in out and "Ghent" in out
    assert "Auto-formation" in out and "Entraide" in out
    assert "/mydata" in out and "/forget" in out
    assert '"display_name": "Amélie"' in out
    assert '"place_name": "Brussel"' in out
    assert "\x1b[" not in out  # no colours when piped
    assert "amelie>" not in out  # no prompts when piped


def test_dutch_onboarding_with_a_french_place_name(env: dict[str, str]) -> None:
    lines = ["hallo", "3", "Jan", "La Haye", "1", "2", "2"]
    result = chapterbot(["chat", "--as", "jan", "--lang", "nl"], lines, env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Hallo" in out
    assert "The Hague" in out and "Amsterdam" in out
    assert "afdeling" in out
    assert "/mydata" in out


def test_several_invocations_share_the_database(env: dict[str, str]) -> None:
    first = chapterbot(["chat", "--as", "sam", "--lang", "en"], ["/start", "1", "Sam"], env)
    assert first.returncode == 0, first.stderr
    # Sam comes back in a new process: same step (the place question), then goes on.
    second = chapterbot(["chat", "--as", "sam"], ["/location 51.05 3.72"], env)
    assert second.returncode == 0, second.stderr
    assert "Ghent" in second.stdout
    # Another member in another process starts from the beginning.
    third = chapterbot(["chat", "--as", "kim", "--lang", "nl"], ["/start"], env)
    assert "Hallo" in third.stdout


def test_location_command_with_bad_coordinates_explains_itself(env: dict[str, str]) -> None:
    result = chapterbot(["chat", "--as", "lee"], ["/location north pole"], env)
    assert result.returncode == 0, result.stderr
    assert "/location 50.85 4.35" in result.stdout


def test_location_usage_is_in_the_language_the_member_chose(env: dict[str, str]) -> None:
    # The --lang hint says English; the member chose French, which is what they read.
    result = chapterbot(
        ["chat", "--as", "lea", "--lang", "en"], ["/start", "2", "/location 999 999"], env
    )
    assert result.returncode == 0, result.stderr
    usage = result.stdout.rsplit("\n\n", 2)[-2]
    assert "/location 50.85 4.35" in usage and "To share a location" not in usage


def test_group_chat_and_end_of_input(env: dict[str, str]) -> None:
    result = chapterbot(
        ["chat", "--as", "ana", "--chat", "brussels"], ["hello", "/help", "/start"], env
    )
    assert result.returncode == 0, result.stderr
    assert "hello" not in result.stdout.lower().split("what i can do")[0]
    assert "/help" in result.stdout
    assert "private conversation" in result.stdout


def test_run_without_platforms_is_the_terminal_chat(env: dict[str, str]) -> None:
    result = chapterbot(["run"], ["/start"], {**env, "USER": "newcomer"})
    assert result.returncode == 0, result.stderr
    assert "Telegram or Matrix" in result.stderr
    assert "Which language" in result.stdout


def test_db_upgrade_reports_the_revision(env: dict[str, str]) -> None:
    result = chapterbot(["db", "upgrade"], [], env)
    assert result.returncode == 0, result.stderr
    from tests.storage.test_storage import head

    assert f"revision {head()}" in result.stdout


def test_a_broken_organization_file_is_reported(env: dict[str, str], tmp_path: Path) -> None:
    org = tmp_path / "org.toml"
    org.write_text("[organization]\nname = ''\n")
    result = chapterbot(["chat"], ["/start"], {**env, "CHAPTERBOT_ORG_FILE": str(org)})
    assert result.returncode == 2
    assert "needs a name" in result.stderr


def test_join_request_and_acceptance_between_two_terminals(env: dict[str, str]) -> None:
    # Sofie organizes Brussels in the demo organization; she has talked to the bot once.
    first = chapterbot(["chat", "--as", "sofie", "--lang", "nl"], ["/help"], env)
    assert first.returncode == 0, first.stderr
    nina = chapterbot(
        ["chat", "--as", "nina", "--lang", "fr"],
        ["/start", "2", "Nina", "Bruxelles", "1", "1", "2"],
        env,
    )
    assert nina.returncode == 0, nina.stderr
    assert "responsables" in nina.stdout  # the request went to the organizers
    sofie = chapterbot(["chat", "--as", "sofie"], ["1", "/stats"], env)
    assert sofie.returncode == 0, sofie.stderr
    out = sofie.stdout
    assert "Nina" in out and "Brussels" in out  # the question, in Dutch, shown on arrival
    assert out.index("Nina") < out.index("2 leden")  # accepted, then counted
    later = chapterbot(["chat", "--as", "nina"], ["/stats"], env)
    assert "Bienvenue" in later.stdout
    assert "2 membres" in later.stdout


def test_a_reminder_due_while_the_chat_is_open_is_printed_when_it_fires(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The terminal runs the clock: nothing is typed after /remind, and the reminder still
    appears on time (its moment is brought forward in the database, as a clock would)."""
    import sqlite3
    import time
    from datetime import UTC, datetime, timedelta

    executable = Path(sys.executable).with_name("chapterbot")
    process = subprocess.Popen(
        [str(executable), "chat", "--as", "rita"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("/remind tomorrow at 18:00 Call the printer\n")
        process.stdin.flush()
        seen = ""
        while "Its number is" not in seen:
            seen += process.stdout.readline()
        due = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M:%S.%f")
        with sqlite3.connect(tmp_path / "bot.sqlite") as database:
            database.execute(
                "UPDATE schedule SET next_at = ?, due_at = ? WHERE kind = 'reminder'", (due, due)
            )
        deadline = time.monotonic() + 30
        while "⏰" not in seen and time.monotonic() < deadline:
            seen += process.stdout.readline()
        assert "⏰ Reminder: Call the printer" in seen
        buttons = "".join(process.stdout.readline() for _ in range(3))
        assert buttons == "  1. It's done\n  2. In one hour\n  3. Tomorrow\n"
    finally:
        if process.stdin:
            process.stdin.close()
        process.wait(timeout=30)
    assert process.returncode == 0


def test_bytes_that_are_not_utf8_are_read_as_replacement_characters(env: dict[str, str]) -> None:
    executable = Path(sys.executable).with_name("chapterbot")
    result = subprocess.run(
        [str(executable), "chat", "--as", "ines", "--lang", "en"],
        input=b"/start\n1\n\xffInes\n/chapters \xff\n/mydata\n",
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "something went wrong" not in out
    assert '"display_name": "\ufffdInes"' in out
