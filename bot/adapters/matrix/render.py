"""Neutral outgoing messages as Matrix events: notices with HTML, numbered choices, polls."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.matrix.store import PollStartRecord
from bot.core.markup import escape
from bot.core.outgoing import (
    AskLocation,
    Choice,
    Image,
    Invite,
    OpenPrivateChat,
    Outgoing,
    Poll,
    Text,
)
from bot.i18n.catalog import Catalogs

HTML_FORMAT = "org.matrix.custom.html"
# Reactions that answer a prompt: 1️⃣ … 9️⃣, 🔟.
KEYCAPS = (*(f"{digit}\ufe0f\u20e3" for digit in "123456789"), "\U0001f51f")
POLL_START = "m.poll.start"
UNSTABLE_POLL_START = "org.matrix.msc3381.poll.start"
POLL_END = "m.poll.end"
UNSTABLE_POLL_END = "org.matrix.msc3381.poll.end"
UNSTABLE_TEXT = "org.matrix.msc1767.text"

_LINK = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-z][a-z0-9]*(?:\s[^>]*)?/?>", re.IGNORECASE)
_PRE = re.compile(r"(<pre>.*?</pre>)", re.IGNORECASE | re.DOTALL)


def html_to_plain(text: str) -> str:
    def link(match: re.Match[str]) -> str:
        url, label = html.unescape(match.group(1)), match.group(2)
        shown = html.unescape(_TAG.sub("", label))
        # A link to what the label already names (a URL, a Matrix ID) is not repeated.
        return label if url in (shown, matrix_to(shown)) else f"{label} ({url})"

    text = _BREAK.sub("\n", _LINK.sub(link, text))
    return html.unescape(_TAG.sub("", text))


def html_for_matrix(text: str) -> str:
    """The core's HTML subset with its line breaks made visible (HTML ignores newlines)."""
    parts = _PRE.split(text)
    return "".join(
        part if part.lower().startswith("<pre>") else part.replace("\n", "<br>\n") for part in parts
    )


def option_html(label: str) -> str:
    """An option's label in formatted_body: text only. Labels name people and places members
    chose, so whatever markup one carries (a link, an image) is shown as text, never rendered."""
    return escape(html_to_plain(label))


def keycap_index(key: str) -> int | None:
    """'2️⃣' (with or without the variation selector) → 1; None for any other reaction."""
    normalized = key.replace("\ufe0f", "")
    for index, keycap in enumerate(KEYCAPS):
        if keycap.replace("\ufe0f", "") == normalized:
            return index
    return None


def matrix_to(identifier: str) -> str:
    return f"https://matrix.to/#/{identifier}"


@dataclass(frozen=True, slots=True)
class MatrixEvent:
    type: str
    content: dict[str, Any] = field(default_factory=dict)


class Renderer:
    def __init__(self, catalogs: Catalogs, bot_user_id: str, commands: Collection[str]) -> None:
        self.catalogs = catalogs
        self.bot_user_id = bot_user_id
        self.commands = frozenset(commands)
        names = "|".join(sorted((re.escape(n) for n in commands), key=len, reverse=True))
        # "/help" in the core's texts becomes "!help": Matrix clients take "/…" for their own
        # commands. Only known commands at the start of a word; never inside a URL or path.
        self._command = re.compile(rf"(?<![^\s(«“'>])/({names})(?![\w/])") if names else None

    def render(self, message: Outgoing) -> list[MatrixEvent]:
        events = self._render(message)
        if message.notify:
            # The default push rules silence m.notice: what must ping (a reminder) is m.text.
            for event in events:
                if event.content.get("msgtype") == "m.notice":
                    event.content["msgtype"] = "m.text"
        return events

    def _render(self, message: Outgoing) -> list[MatrixEvent]:
        body = message.body
        if isinstance(body, Text | AskLocation):
            return [self.notice(body.text)]
        if isinstance(body, Choice):
            if body.invitation:
                pointer = self.start_pointer(body.invitation, message.language)
                body = dataclasses.replace(body, text=f"{body.text}\n{pointer}")
            return [self.choice(body)]
        if isinstance(body, Poll):
            if body.anonymous:
                return [self.private_poll(body, message.language)]
            return [self.poll(body)]
        if isinstance(body, OpenPrivateChat):
            pointer = self.start_pointer(body.start, message.language)
            return [self.notice(f"{body.text}\n{pointer}")]
        if isinstance(body, Invite):
            link = f'<a href="{matrix_to(body.target_chat.chat_id)}">{body.button_label}</a>'
            return [self.notice(f"{body.text}\n{link}")]
        raise TypeError(f"cannot render {type(body).__name__}")

    def image(self, body: Image, url: str, size: tuple[int, int]) -> list[MatrixEvent]:
        """m.image of an uploaded picture, its alt text as body; the caption follows."""
        width, height = size
        picture = MatrixEvent(
            "m.room.message",
            {
                "msgtype": "m.image",
                "body": html_to_plain(body.alt),
                "filename": body.filename,
                "url": url,
                "info": {"mimetype": "image/png", "size": len(body.png), "w": width, "h": height},
            },
        )
        return [picture, self.notice(body.caption)]

    def bang(self, text: str) -> str:
        return self._command.sub(r"!\1", text) if self._command else text

    def notice(self, text: str) -> MatrixEvent:
        text = self.bang(text)
        return MatrixEvent(
            "m.room.message",
            {
                "msgtype": "m.notice",
                "body": html_to_plain(text),
                "format": HTML_FORMAT,
                "formatted_body": html_for_matrix(text),
            },
        )

    def choice(self, choice: Choice) -> MatrixEvent:
        question = self.bang(choice.text)
        plain = [html_to_plain(question), ""]
        plain += [f"{n}. {html_to_plain(o.label)}" for n, o in enumerate(choice.options, 1)]
        items = "".join(f"<li>{self.bang(option_html(o.label))}</li>" for o in choice.options)
        return MatrixEvent(
            "m.room.message",
            {
                "msgtype": "m.notice",
                "body": "\n".join(plain),
                "format": HTML_FORMAT,
                "formatted_body": f"{html_for_matrix(question)}<ol>{items}</ol>",
            },
        )

    def private_poll(self, poll: Poll, language: str) -> MatrixEvent:
        """An anonymous poll: Matrix poll answers are room events everyone can read, so the
        room gets the question and the choices, and each member votes in their direct chat."""
        how = self.catalogs.translator(language).gettext(
            "Anonymous poll: answers in this room would be seen by everyone, so vote in a "
            "direct chat with me (%(bot)s): send %(command)s followed by the number of your "
            "choice."
        ) % {"bot": self.bot_user_id, "command": f"!vote {poll.poll_id}"}
        options = "\n".join(f"{n}. {option_html(o.label)}" for n, o in enumerate(poll.options, 1))
        return self.notice(f"<b>{poll.question}</b>\n{options}\n{html.escape(how)}")

    def poll(self, poll: Poll) -> MatrixEvent:
        question = html_to_plain(poll.question)
        labels = [(o.key, html_to_plain(o.label)) for o in poll.options]
        fallback = "\n".join(
            [question, *(f"{n}. {label}" for n, (_k, label) in enumerate(labels, 1))]
        )
        limit = len(labels) if poll.multiple else 1
        # An anonymous poll hides the tally until it ends ("undisclosed"). Its answers stay
        # room events that every member can read: Matrix has no secret ballot.
        stable_kind = "m.undisclosed" if poll.anonymous or poll.hidden else "m.disclosed"
        unstable_kind = "org.matrix.msc3381.poll." + stable_kind.removeprefix("m.")
        return MatrixEvent(
            POLL_START,
            {
                "m.poll": {
                    "kind": stable_kind,
                    "max_selections": limit,
                    "question": {"m.text": [{"body": question}]},
                    "answers": [
                        {"m.id": key, "m.text": [{"body": label}]} for key, label in labels
                    ],
                },
                "m.text": [{"body": fallback}],
                UNSTABLE_POLL_START: {
                    "kind": unstable_kind,
                    "max_selections": limit,
                    "question": {UNSTABLE_TEXT: question, "body": question, "msgtype": "m.text"},
                    "answers": [{"id": key, UNSTABLE_TEXT: label} for key, label in labels],
                },
                UNSTABLE_TEXT: fallback,
                # Clients that know no polls at all show the body.
                "body": fallback,
            },
        )

    def poll_end(self, start: PollStartRecord, language: str) -> MatrixEvent:
        """Ends the poll `start` began (a ClosePoll: the MatrixOutbox knows the start event);
        clients stop taking answers and show the final tally. The results follow as text."""
        # Already translated for the core's results: the fallback of clients without polls.
        fallback = self.catalogs.translator(language).gettext("This poll is closed.")
        content: dict[str, Any] = {
            "m.relates_to": {"rel_type": "m.reference", "event_id": start.event_id},
            "m.text": [{"body": fallback}],
            "body": fallback,
        }
        if start.unstable:
            content[UNSTABLE_POLL_END] = {}
            content[UNSTABLE_TEXT] = fallback
        return MatrixEvent(POLL_END, content)

    def start_pointer(self, start: str, language: str) -> str:
        """Where to go and what to send there to begin with the payload `start`."""
        _ = self.catalogs.translator(language).gettext
        bot = f'<a href="{matrix_to(self.bot_user_id)}">{escape(self.bot_user_id)}</a>'
        if not start:
            # TRANSLATORS: %(bot)s is the bot's Matrix ID, e.g. @chapterbot:example.org.
            return _("Open a direct chat with %(bot)s.") % {"bot": bot}
        command = f"!{start}" if start in self.commands else f"!start {start}"
        # TRANSLATORS: %(bot)s is the bot's Matrix ID; %(command)s a command such as !profile.
        return _("Open a direct chat with %(bot)s and send %(command)s there.") % {
            "bot": bot,
            "command": f"<code>{escape(command)}</code>",
        }


def width_height(png: bytes) -> tuple[int, int]:
    """From the PNG header (IHDR), for the event's info."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
