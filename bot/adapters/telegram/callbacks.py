"""Callback data of choice buttons: stateless, short, and at most 64 bytes.

`c|<prompt>|<index>`  pick one option (a single choice);
`t|<prompt>|<mask>|<language>`   toggle in a multiple choice: the selection the press leads
                      to, and the language to label the redrawn keyboard's "Done" in;
`d|<prompt>|<mask>`   done: answer with the selection (`mask`, base 36, bit i = option i).
The selection lives in the buttons themselves, so a press needs no stored state.

A question asked in a group is for one member: `|<owner>` (their user id, base 36) ends
each button's data, and a press by anyone else changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLBACK_DATA = 64
_BASE = 36


@dataclass(frozen=True, slots=True)
class Pick:
    prompt: str
    index: int
    owner: int | None = None


@dataclass(frozen=True, slots=True)
class Toggle:
    prompt: str
    mask: int
    language: str
    owner: int | None = None


@dataclass(frozen=True, slots=True)
class Done:
    prompt: str
    mask: int
    owner: int | None = None


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
    if press.owner is not None:
        data += f"|{_base36(press.owner)}"
    if len(data.encode()) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def decode(data: str | None) -> Press | None:
    """None for anything that is not ours (or was tampered with)."""
    if not data:
        return None
    kind, prompt, *fields = data.split("|")
    width = 2 if kind == "t" else 1  # the fields before the optional owner
    if not prompt or len(fields) not in (width, width + 1) or not all(fields):
        return None
    try:
        owner = int(fields[width], _BASE) if len(fields) > width else None
        if kind == "c":
            return Pick(prompt, int(fields[0]), owner)
        if kind == "t":
            return Toggle(prompt, int(fields[0], _BASE), fields[1], owner)
        if kind == "d":
            return Done(prompt, int(fields[0], _BASE), owner)
    except ValueError:
        return None
    return None


def indexes(mask: int) -> tuple[int, ...]:
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)
