"""Callback data of choice buttons: stateless, short, and at most 64 bytes.

`c|<prompt>|<index>`  pick one option (a single choice);
`t|<prompt>|<mask>|<language>`   toggle in a multiple choice: the selection the press leads
                      to, and the language to label the redrawn keyboard's "Done" in;
`d|<prompt>|<mask>`   done: answer with the selection (`mask`, base 36, bit i = option i).
The selection lives in the buttons themselves, so a press needs no stored state.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLBACK_DATA = 64
_BASE = 36


@dataclass(frozen=True, slots=True)
class Pick:
    prompt: str
    index: int


@dataclass(frozen=True, slots=True)
class Toggle:
    prompt: str
    mask: int
    language: str


@dataclass(frozen=True, slots=True)
class Done:
    prompt: str
    mask: int


Press = Pick | Toggle | Done


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, _BASE)
        text = digits[rest] + text
        if not number:
            return text


def encode(press: Press) -> str:
    if isinstance(press, Pick):
        data = f"c|{press.prompt}|{press.index}"
    elif isinstance(press, Toggle):
        data = f"t|{press.prompt}|{_base36(press.mask)}|{press.language}"
    else:
        data = f"d|{press.prompt}|{_base36(press.mask)}"
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decode(data: str | None) -> Press | None:
    """None for anything that is not ours (or was tampered with)."""
    if not data:
        return None
    kind, _, rest = data.partition("|")
    prompt, _, value = rest.partition("|")
    value, _, language = value.partition("|")
    if not prompt or not value:
        return None
    try:
        if kind == "c":
            return Pick(prompt, int(value))
        if kind == "t" and language:
            return Toggle(prompt, int(value, _BASE), language)
        if kind == "d":
            return Done(prompt, int(value, _BASE))
    except ValueError:
        return None
    return None


def indexes(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)
