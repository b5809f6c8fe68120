"""Fuzzing every command and every flow step, in en, fr and nl, in private and group chats:
random unicode, very long text, markup, huge and negative numbers. No input may end in the
generic apology, and every answer in a private conversation is in the member's language.

A bounded run is part of the suite; `make fuzz` runs 100,000 examples
(CHAPTERBOT_FUZZ_EXAMPLES)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.router import merge
from bot.handlers import all_routers
from tests.support.harness import Harness

EXAMPLES = int(os.environ.get("CHAPTERBOT_FUZZ_EXAMPLES", "150"))
COMMANDS = sorted(merge(all_routers()).commands)
LANGUAGES = ["en", "fr", "nl"]


class Errors(logging.Handler):
    """The dispatcher logs each turn that ended in the apology: collected here."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# What careless users and attackers type.
ODD = [
    "²",
    "¹²³",
    "①",
    "٣",
    "３",
    "-1",
    "-5h",
    "0",
    "99999999999",
    "9" * 5000,
    "1" * 4097,
    "x" * 5000,
    "\x00",
    "\ud800",
    "a\udcffb",
    "\u200b",
    "\u202eevil",
    "مريم",
    "🌷👩🏽‍🚀",
    "<b>bold</b>",
    '<a href="https://e.x">x</a><img src="mxc://e.x/i">',
    "'; DROP TABLE member;--",
    "%(name)s {count}",
    "closes 31/12/9999",
    "closes 99999999999 days",
    "1, 2, 3",
    "none",
    "",
    " ",
]
texts = st.one_of(
    st.sampled_from(ODD),
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["1", "2", "3", "4", "Brussels", "Bruxelles", "Gent", "oui", "ja", "yes"]),
)
commands = st.tuples(st.sampled_from(COMMANDS), texts).map(lambda c: f"/{c[0]} {c[1]}".strip())
messages = st.lists(st.one_of(commands, texts, texts), min_size=1, max_size=8)


LANG_NUMBER = {"en": "1", "fr": "2", "nl": "3"}
# What brings a member to each step of each flow, before the random messages start.
PRIVATE_STEPS = [
    [],
    ["/start"],
    ["/start", "{n}"],
    ["/start", "{n}", "Alex"],
    ["/start", "{n}", "Alex", "Paris"],
    ["/start", "{n}", "Alex", "Brussels"],
    ["/start", "{n}", "Alex", "Brussels", "1"],
    ["/start", "{n}", "Alex", "Brussels", "1", "1, 2"],
    ["/forget"],
    ["/profile"],
    ["/start", "{n}", "Alex", "Brussels", "1", "1, 2", "1", "/profile", "1"],
    ["/chapters"],
    ["/start", "{n}", "Alex", "Brussels", "2", "1, 2", "1", "/chapters"],
    ["/language"],
    ["/withdraw"],
    ["/leave"],
    ["/connect"],
]
GROUP_STEPS = [
    [],
    ["/poll"],
    ["/poll", "Q?"],
    ["/poll", "Q?", "a | b"],
    ["/poll", "Q?", "a | b", "1, 2"],
    ["/link"],
    ["/promote"],
]


@dataclass(frozen=True)
class Case:
    lang: str
    group: bool
    moderator: bool
    prefix: list[str]
    messages: list[str]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    lang = draw(st.sampled_from(LANGUAGES))
    group = draw(st.booleans())
    steps = draw(st.sampled_from(GROUP_STEPS if group else PRIVATE_STEPS))
    return Case(
        lang=lang,
        group=group,
        moderator=draw(st.booleans()),
        prefix=[step.format(n=LANG_NUMBER[lang]) for step in steps],
        messages=draw(messages),
    )


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    yield running
    running.close()


@pytest.fixture(scope="module")
def fuzz_bot(tmp_path_factory, locales_dir, cache_dir, loop) -> Iterator[Harness]:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.app import build_application
    from tests.conftest import make_settings
    from tests.support.organizations import write_chapters_org

    tmp = tmp_path_factory.mktemp("fuzz")
    settings = replace(
        make_settings(f"sqlite:///{tmp / 'fuzz.sqlite'}", locales_dir, cache_dir),
        org_file=write_chapters_org(tmp),
    )
    application = build_application(settings)
    bot = Harness(application)
    # A linked group chat with an open poll, so that group text meets a poll.
    loop.run_until_complete(_linked_group_with_a_poll(bot))
    yield bot
    application.close()


async def _linked_group_with_a_poll(bot: Harness) -> None:
    from tests.handlers.test_chapters import meet_organizers

    await meet_organizers(bot)
    await bot.say_in_group("/link Brussels", member="olga", chat="fuzz-group")
    await bot.say_in_group("/poll Where? | Ghent | Brussels", member="olga", chat="fuzz-group")


_members = count(1)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(case=cases())
def test_no_input_ends_in_an_error(
    fuzz_bot: Harness, loop: asyncio.AbstractEventLoop, case: Case
) -> None:
    member = f"fuzz{next(_members)}"
    errors = Errors()
    logging.getLogger("bot").addHandler(errors)

    async def run() -> None:
        for text in [*case.prefix, *case.messages]:
            if case.group:
                reply = await fuzz_bot.say_in_group(
                    text, member=member, chat="fuzz-group", moderator=case.moderator, lang=case.lang
                )
            else:
                reply = await fuzz_bot.say(text, member=member, lang=case.lang)
            assert not errors.records, (text, errors.records[0].exc_info)
            if case.group:
                continue
            # A private conversation speaks the member's language: the platform's hint, or
            # the one they chose (they may choose another one on the way).
            stored = fuzz_bot.member(member)
            chosen = stored.language if stored else None
            for message in reply.messages:
                assert message.language in {case.lang, chosen}, (text, message)

    try:
        loop.run_until_complete(run())
    finally:
        logging.getLogger("bot").removeHandler(errors)
