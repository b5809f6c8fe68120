"""The Matrix adapter's translations both ways, without a homeserver."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.matrix.config import MatrixConfig
from bot.adapters.matrix.inbound import Room, parse_geo_uri, strip_reply_fallback, to_incoming
from bot.adapters.matrix.moderators import creators_outrank, user_level
from bot.adapters.matrix.render import (
    KEYCAPS,
    Renderer,
    html_for_matrix,
    html_to_plain,
    keycap_index,
)
from bot.adapters.matrix.store import PromptRecord
from bot.app import Application
from bot.config import ConfigError
from bot.core.events import (
    ChatRef,
    ChoiceMade,
    CommandMessage,
    LocationShared,
    PollVote,
    TextMessage,
    UnsupportedMessage,
)
from bot.core.outgoing import Choice, OpenPrivateChat, Option, Outgoing, Poll, Text

BOT = "@chapterbot:example.org"
ANN = "@ann:example.org"
ROOM = Room("!room:example.org", "direct", BOT)


@pytest.fixture
def renderer(app: Application) -> Renderer:
    return Renderer(app.services.catalogs, BOT, ["help", "start", "profile", "mydata"])


def message(body: Any, language: str = "en") -> Outgoing:
    return Outgoing(ChatRef("matrix", ROOM.room_id), body, language=language)


def incoming(event_type: str, content: dict[str, Any], sender: str = ANN, **lookups: Any):
    event = {"type": event_type, "sender": sender, "event_id": "$e", "content": content}
    return to_incoming(
        event,
        ROOM,
        prompts=lookups.get("prompts", lambda _id: None),
        polls=lookups.get("polls", lambda _id: None),
        names=lambda _id: "Ann",
    )


# -- outgoing ------------------------------------------------------------------------------


def test_html_becomes_a_plain_body_and_visible_line_breaks() -> None:
    text = 'Hi <b>Ann</b> &amp; co\n<a href="https://example.org/x">the site</a>'
    assert html_to_plain(text) == "Hi Ann & co\nthe site (https://example.org/x)"
    assert html_for_matrix("a\nb<pre>c\nd</pre>") == "a<br>\nb<pre>c\nd</pre>"


def test_known_commands_are_shown_with_an_exclamation_mark(renderer: Renderer) -> None:
    event = renderer.render(message(Text("Send /help or <b>/profile</b>. See https://x.org/help")))
    assert event[0].content["body"] == "Send !help or !profile. See https://x.org/help"
    assert renderer.bang("/helpful and a/help and /unknown") == "/helpful and a/help and /unknown"


def test_a_choice_is_a_numbered_notice(renderer: Renderer) -> None:
    choice = Choice("p1", "Which <i>one</i>?", (Option("a", "Apple &amp; pear"), Option("b", "B")))
    content = renderer.render(message(choice))[0].content
    assert content["msgtype"] == "m.notice"
    assert content["body"] == "Which one?\n\n1. Apple & pear\n2. B"
    assert (
        content["formatted_body"] == "Which <i>one</i>?<ol><li>Apple &amp; pear</li><li>B</li></ol>"
    )


def test_the_private_chat_pointer_names_the_bot_and_the_command(renderer: Renderer) -> None:
    pointer = OpenPrivateChat("In private, please.", "Open", start="profile")
    body = renderer.render(message(pointer))[0].content["body"]
    assert body == f"In private, please.\nOpen a direct chat with {BOT} and send !profile there."
    deep_link = OpenPrivateChat("In private, please.", "Open", start="chapter-ghent")
    assert "!start chapter-ghent" in renderer.render(message(deep_link))[0].content["body"]


def test_keycaps_are_read_with_or_without_the_variation_selector() -> None:
    assert [keycap_index(k) for k in KEYCAPS] == list(range(10))
    assert keycap_index("3\u20e3") == 2
    assert keycap_index("👍") is None


# -- incoming ------------------------------------------------------------------------------


def test_commands_with_either_prefix_and_plain_text() -> None:
    start = incoming("m.room.message", {"msgtype": "m.text", "body": "!start chapter-x"})
    assert isinstance(start, CommandMessage)
    assert (start.name, start.args, start.event_id) == ("start", "chapter-x", "$e")
    assert (start.chat, start.chat_kind) == (ChatRef("matrix", ROOM.room_id), "direct")
    command = incoming("m.room.message", {"msgtype": "m.text", "body": "/Help"})
    assert isinstance(command, CommandMessage) and command.name == "help"
    text = incoming("m.room.message", {"msgtype": "m.text", "body": "Bruxelles"})
    assert isinstance(text, TextMessage) and text.text == "Bruxelles"
    assert text.sender is not None and text.sender.language_hint is None
    assert (text.sender.user_id, text.sender.display_name) == (ANN, "Ann")


def test_what_is_never_answered() -> None:
    notice = {"msgtype": "m.notice", "body": "!help"}
    assert incoming("m.room.message", notice) is None  # another bot
    assert incoming("m.room.message", {"msgtype": "m.text", "body": "hi"}, sender=BOT) is None
    edit = {"msgtype": "m.text", "body": "* hi", "m.new_content": {"body": "hi"}}
    assert incoming("m.room.message", edit) is None
    assert incoming("m.room.topic", {"topic": "x"}) is None


def test_a_reply_keeps_only_the_answer() -> None:
    body = "> <@chapterbot:example.org> Which one?\n> 1. A\n\n2"
    assert strip_reply_fallback(body) == "2"
    content = {"msgtype": "m.text", "body": body, "m.relates_to": {"m.in_reply_to": {}}}
    reply = incoming("m.room.message", content)
    assert isinstance(reply, TextMessage) and reply.text == "2"


def test_locations_and_what_cannot_be_read() -> None:
    shared = incoming("m.room.message", {"msgtype": "m.location", "geo_uri": "geo:50.8,4.3;u=9"})
    assert isinstance(shared, LocationShared)
    assert (shared.latitude, shared.longitude) == (50.8, 4.3)
    assert parse_geo_uri("geo:-33.9,151.2,10") == (-33.9, 151.2)
    assert parse_geo_uri("geo:95,0") is None
    photo = incoming("m.room.message", {"msgtype": "m.image", "body": "cat.jpg"})
    assert isinstance(photo, UnsupportedMessage) and photo.kind == "photo"
    assert isinstance(incoming("m.sticker", {"body": "x"}), UnsupportedMessage)


def test_a_keycap_reaction_on_a_prompt_is_a_choice() -> None:
    prompts = {"$prompt": PromptRecord("p1", 3)}

    def react(key: str, target: str = "$prompt"):
        relation = {"rel_type": "m.annotation", "event_id": target, "key": key}
        return incoming("m.reaction", {"m.relates_to": relation}, prompts=prompts.get)

    choice = react("2️⃣")
    assert isinstance(choice, ChoiceMade)
    assert (choice.prompt_id, choice.indexes, choice.keys) == ("p1", (1,), ())
    assert react("4️⃣") is None  # no fourth option
    assert react("👍") is None
    assert react("1️⃣", target="$elsewhere") is None


def test_poll_responses_under_the_stable_and_the_unstable_name() -> None:
    polls = {"$poll": "poll-1"}.get
    relation = {"rel_type": "m.reference", "event_id": "$poll"}
    stable = incoming(
        "m.poll.response", {"m.relates_to": relation, "m.selections": ["a"]}, polls=polls
    )
    unstable = incoming(
        "org.matrix.msc3381.poll.response",
        {"m.relates_to": relation, "org.matrix.msc3381.poll.response": {"answers": ["b", "b"]}},
        polls=polls,
    )
    assert isinstance(stable, PollVote) and (stable.poll_id, stable.option_keys) == (
        "poll-1",
        ("a",),
    )
    assert isinstance(unstable, PollVote) and unstable.option_keys == ("b",)


# -- rooms and settings --------------------------------------------------------------------


def test_power_levels_and_creators() -> None:
    levels = {"users": {ANN: 50, "@bob:x": 10}, "users_default": 0}
    assert user_level(levels, ANN) == 50
    assert user_level(levels, "@carl:x") == 0
    assert user_level({"users_default": 60}, "@carl:x") == 60
    assert creators_outrank({"room_version": "12"})
    assert not creators_outrank({"room_version": "10"})


def test_settings_need_a_full_matrix_id(app: Application) -> None:
    from dataclasses import replace

    settings = replace(
        app.services.settings,
        matrix_homeserver="https://matrix.example.org/",
        matrix_user="chapterbot",
        matrix_password="secret",
    )
    with pytest.raises(ConfigError):
        MatrixConfig.from_settings(settings, env={})
    config = MatrixConfig.from_settings(
        replace(settings, matrix_user=BOT), env={"CHAPTERBOT_MATRIX_ALLOWED_SERVERS": "Example.org"}
    )
    assert config.homeserver == "https://matrix.example.org"
    assert config.allows_server_of(ANN) and not config.allows_server_of("@eve:evil.example")
    assert "secret" not in repr(config)


def test_markup_in_an_option_label_is_shown_as_text(renderer: Renderer) -> None:
    evil = '<a href="https://evil.example">Eve</a><img src="mxc://evil.example/x">'
    choice = Choice("p1", "Whom?", (Option("1", evil), Option("2", "Nina &amp; Co")))
    formatted = renderer.render(message(choice))[0].content["formatted_body"]
    assert "<a" not in formatted and "<img" not in formatted
    assert "<li>Eve (https://evil.example)</li>" in formatted
    assert "<li>Nina &amp; Co</li>" in formatted
    poll = Poll("p1", "Q?", (Option("0", evil), Option("1", "b")), anonymous=True)
    formatted = renderer.render(message(poll))[0].content["formatted_body"]
    assert "<a" not in formatted and "<img" not in formatted


def test_an_invitation_shows_the_bot_s_link_and_the_words_to_send(renderer: Renderer) -> None:
    invitation = OpenPrivateChat("Ann invites you.", "Start", start="i-ABCDE12345", shared=True)
    content = renderer.render(message(invitation))[0].content
    assert content["body"] == (
        f"Ann invites you.\nOpen a direct chat with {BOT} and send !start i-ABCDE12345 there."
    )
    assert f'href="https://matrix.to/#/{BOT}"' in content["formatted_body"]
