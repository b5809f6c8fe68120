"""Inline keyboards for neutral choices, and reading a pressed keyboard back."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.telegram import callbacks
from bot.adapters.telegram.callbacks import Done, Pick, Toggle

SELECTED = "✅ "


def single_choice(
    prompt: str, labels: Sequence[str], owner: int | None = None
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    label, callback_data=callbacks.encode(Pick(prompt, index, owner))
                )
            ]
            for index, label in enumerate(labels)
        ]
    )


def multiple_choice(
    prompt: str,
    labels: Sequence[str],
    mask: int,
    done_label: str,
    language: str,
    owner: int | None = None,
) -> InlineKeyboardMarkup:
    """Each option toggles; "Done" appears once something is selected, so an empty answer
    cannot be sent."""
    rows = []
    for index, label in enumerate(labels):
        selected = bool(mask >> index & 1)
        data = callbacks.encode(Toggle(prompt, mask ^ (1 << index), language, owner))
        text = SELECTED + label if selected else label
        rows.append([InlineKeyboardButton(text, callback_data=data)])
    if mask:
        rows.append(
            [
                InlineKeyboardButton(
                    done_label, callback_data=callbacks.encode(Done(prompt, mask, owner))
                )
            ]
        )
    return InlineKeyboardMarkup(rows)


@dataclass(frozen=True, slots=True)
class ShownChoice:
    """What a choice keyboard under a message offers, read from its buttons."""

    labels: tuple[str, ...]
    mask: int  # the current selection of a multiple choice
    done_label: str | None


def read_choice(markup: InlineKeyboardMarkup | None) -> ShownChoice | None:
    if markup is None:
        return None
    buttons = [b for row in markup.inline_keyboard for b in row]
    presses = [
        (b, callbacks.decode(b.callback_data if isinstance(b.callback_data, str) else None))
        for b in buttons
    ]
    done = next(((b, p) for b, p in presses if isinstance(p, Done)), None)
    mask = done[1].mask if done and isinstance(done[1], Done) else 0
    labels: dict[int, str] = {}
    for button, press in presses:
        if isinstance(press, Pick):
            labels[press.index] = button.text
        elif isinstance(press, Toggle):
            index = (press.mask ^ mask).bit_length() - 1
            selected = bool(mask >> index & 1)
            labels[index] = button.text.removeprefix(SELECTED) if selected else button.text
    if not labels:
        return None
    ordered = tuple(labels[i] for i in sorted(labels))
    return ShownChoice(ordered, mask, done[0].text if done else None)


def with_answer(prompt_markup: str, chosen: Sequence[str]) -> str:
    """The prompt as it stays in the chat once answered: the question and what was chosen."""
    answer = ", ".join(html.escape(label, quote=False) for label in chosen)
    return f"{prompt_markup}\n\n{SELECTED}<b>{answer}</b>"
