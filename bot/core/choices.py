"""Reading a typed answer to a numbered choice: '2', 'Nederlands', '1, 3 and 5'."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.i18n.parsing import fold, split_list, whole_number


@dataclass(frozen=True, slots=True)
class Resolved:
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutOfRange:
    count: int  # how many options there are


@dataclass(frozen=True, slots=True)
class NoMatch:
    pass


Resolution = Resolved | OutOfRange | NoMatch


def resolve_typed_choice(prompt: dict[str, Any], text: str) -> Resolution:
    options: list[tuple[str, str]] = [(k, label) for k, label in prompt.get("options", [])]
    labels = {fold(label): key for key, label in options}

    def one(item: str) -> str | OutOfRange | None:
        item = item.strip().rstrip(".)")
        if item.isdecimal():
            index = whole_number(item)  # None when far too long: out of range all the same
            in_range = index is not None and 1 <= index <= len(options)
            return options[index - 1][0] if in_range else OutOfRange(len(options))
        return labels.get(fold(item))

    whole = one(text)
    if isinstance(whole, str):
        return Resolved((whole,))
    if not prompt.get("multiple"):
        return whole if isinstance(whole, OutOfRange) else NoMatch()
    keys: list[str] = []
    for item in split_list(text):
        found = one(item)
        if isinstance(found, OutOfRange):
            return found
        if found is None:
            return NoMatch()
        keys.append(found)
    return Resolved(tuple(dict.fromkeys(keys))) if keys else NoMatch()
