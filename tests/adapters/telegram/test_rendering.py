"""The pure parts of rendering: callback data within 64 bytes, and splitting long text."""

from __future__ import annotations

import pytest

from bot.adapters.telegram import callbacks, keyboards
from bot.adapters.telegram.callbacks import Done, Pick, Toggle
from bot.adapters.telegram.text import plain_length, split_markup
from tests.support.fake_telegram.html import parse_html


@pytest.mark.parametrize(
    "press",
    [
        Pick("AbC-_123", 0),
        Pick("AbC-_123", 99),
        Toggle("AbC-_123", 2**100 - 1, "nl"),
        Done("p", 5),
        # A question asked in a group names its member (Telegram user ids reach 2**52).
        Pick("x" * 24, 9, owner=2**52),
        Toggle("x" * 24, 2**100 - 1, "fr", owner=2**52),
        Done("x" * 24, 2**100 - 1, owner=2**52),
    ],
)
def test_callback_data_round_trips_within_64_bytes(press: callbacks.Press) -> None:
    data = callbacks.encode(press)
    assert len(data.encode()) <= 64
    assert callbacks.decode(data) == press


@pytest.mark.parametrize("data", [None, "", "x|y|z", "c|p|", "c||1", "t|p|zz", "c|p|one"])
def test_foreign_callback_data_is_ignored(data: str | None) -> None:
    assert callbacks.decode(data) is None


def test_a_pressed_keyboard_reads_back() -> None:
    labels = ["Self-education", "Outreach", "Mutual aid"]
    markup = keyboards.multiple_choice("pid", labels, 0b101, "Klaar", "nl")
    shown = keyboards.read_choice(markup)
    assert shown is not None
    assert shown.labels == tuple(labels) and shown.mask == 0b101 and shown.done_label == "Klaar"
    assert keyboards.read_choice(keyboards.single_choice("pid", labels)) == keyboards.ShownChoice(
        tuple(labels), 0, None
    )
    answered = keyboards.with_answer("<b>Pick</b>", ["Fish & chips"])
    assert parse_html(answered)[0] == "Pick\n\n✅ Fish & chips"


def test_short_text_is_one_message() -> None:
    assert split_markup("<b>Hello</b>") == ["<b>Hello</b>"]


def test_long_text_splits_between_paragraphs_and_keeps_tags_whole() -> None:
    pre = "<pre>" + "\n\n".join(["code line " * 20] * 6) + "</pre>"
    paragraphs = ["<b>Title</b>", "word " * 700, pre, "étoile ✨ " * 300, "<i>end</i>"]
    chunks = split_markup("\n\n".join(paragraphs), limit=2000)
    assert len(chunks) > 1
    for chunk in chunks:
        text, _entities = parse_html(chunk)  # each part is valid markup on its own
        assert 0 < plain_length(chunk) <= 2000
        assert text
    assert any(chunk.startswith("<pre>") and chunk.endswith("</pre>") for chunk in chunks)


def test_one_huge_line_is_cut_as_escaped_text() -> None:
    chunks = split_markup("&lt;" + "x" * 5000, limit=4096)
    assert [plain_length(c) for c in chunks] == [4096, 905]
    assert parse_html(chunks[0])[0].startswith("<x")
