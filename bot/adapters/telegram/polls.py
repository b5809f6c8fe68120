"""Anonymous polls as buttons.

A native Telegram poll is either anonymous, and then Telegram tells the bot nothing about who
voted (no poll_answer: nobody could be held to one ballot), or it shows every voter's choice
to the whole group. So the core's anonymous polls are a message with one button per option;
each press becomes a PollVote of the presser, confirmed to them alone in the answer to the
press. The keyboard never changes, so nobody sees who voted or what they chose.

Callback data, stateless and short (a prefix no choice button uses):
`v|<poll>|<index>`  a single choice: vote for option `index`;
                    a multiple choice: add option `index` to the presser's selection, or
                    take it out again;
`v|<poll>|ok`       a multiple choice: vote for the selection.
`<poll>` is the core's poll id when it is short and safe, else a digest of it (see poll_ref).
A multiple choice selection is kept in the database per poll, chat and person until it is
cast (selections.py), so a press taken by another process, or after a restart, adds to it;
it is shown only to the presser.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.telegram.callbacks import MAX_CALLBACK_DATA

PREFIX = "v"
CAST = "ok"
SELECTED = "✅ "
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def poll_ref(poll_id: str) -> str:
    """How a poll is named in callback data and in the adapter state: its id, or a digest of
    an id too long or with characters that do not belong in callback data."""
    if _SAFE_ID.match(poll_id):
        return poll_id
    return "~" + hashlib.blake2b(poll_id.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class PollPress:
    ref: str
    index: int | None  # None: cast the selection (multiple choice)


def encode(press: PollPress) -> str:
    value = CAST if press.index is None else str(press.index)
    data = f"{PREFIX}|{press.ref}|{value}"
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decode(data: str | None) -> PollPress | None:
    """None for anything that is not a poll button (or was tampered with)."""
    if not data:
        return None
    kind, _, rest = data.partition("|")
    ref, _, value = rest.partition("|")
    if kind != PREFIX or not ref or not value:
        return None
    if value == CAST:
        return PollPress(ref, None)
    if not value.isdecimal():  # "²" is a digit to isdigit(), and no number to int()
        return None
    return PollPress(ref, int(value))


def keyboard(ref: str, labels: Sequence[str], cast_label: str | None) -> InlineKeyboardMarkup:
    """One button per option; a multiple choice adds the button that casts the selection."""
    rows = [
        [InlineKeyboardButton(label, callback_data=encode(PollPress(ref, index)))]
        for index, label in enumerate(labels)
    ]
    if cast_label is not None:
        rows.append([InlineKeyboardButton(cast_label, callback_data=encode(PollPress(ref, None)))])
    return InlineKeyboardMarkup(rows)


def labels_of(markup: InlineKeyboardMarkup | None) -> dict[int, str]:
    """The options a poll keyboard offers, by position."""
    if markup is None:
        return {}
    found: dict[int, str] = {}
    for row in markup.inline_keyboard:
        for button in row:
            data = button.callback_data if isinstance(button.callback_data, str) else None
            press = decode(data)
            if press is not None and press.index is not None:
                found[press.index] = button.text
    return found


def selection_text(selected: Sequence[int], labels: dict[int, str]) -> str | None:
    """What the presser has selected so far, for the answer to their press; None if nothing."""
    if not selected:
        return None
    return SELECTED + ", ".join(labels.get(i, str(i + 1)) for i in selected)
