"""Multi-step conversations whose position lives in the database, not in memory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.conversation import Conversation
    from bot.core.events import Incoming

PromptFn = Callable[["Conversation"], Awaitable[None]]
AnswerFn = Callable[["Conversation", "Incoming"], Awaitable[None]]


@dataclass(slots=True)
class Step:
    name: str
    prompt: PromptFn
    answer: AnswerFn | None = None
    # Free text that matches no option still reaches `answer` (e.g. a place name).
    accepts_text: bool = False
    accepts_location: bool = False


@dataclass(slots=True)
class Flow:
    name: str
    steps: dict[str, Step] = field(default_factory=dict)

    def prompt(
        self, step: str, *, accepts_text: bool = False, accepts_location: bool = False
    ) -> Callable[[PromptFn], PromptFn]:
        def register(fn: PromptFn) -> PromptFn:
            self.steps[step] = Step(
                step, fn, accepts_text=accepts_text, accepts_location=accepts_location
            )
            return fn

        return register

    def answer(self, step: str) -> Callable[[AnswerFn], AnswerFn]:
        def register(fn: AnswerFn) -> AnswerFn:
            self.steps[step].answer = fn
            return fn

        return register
