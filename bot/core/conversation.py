"""The handlers' view of one turn: who speaks, in which language, and how to answer."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.core.events import ChatRef, Incoming
from bot.core.notify import Notifier
from bot.core.outgoing import (
    AskLocation,
    Body,
    Choice,
    OpenPrivateChat,
    Option,
    Outgoing,
    Priority,
    Text,
)
from bot.core.voice import Voice
from bot.i18n.catalog import Translator
from bot.storage.actions import ActionRepository

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.core.flow import Flow
    from bot.core.router import Router
    from bot.core.services import Services
    from bot.storage.models import Chat, ConversationState, Identity, Member


def new_prompt_id() -> str:
    # Short: Telegram callback data must fit in 64 bytes together with the option key.
    return secrets.token_urlsafe(6)


class Conversation(Voice):
    def __init__(
        self,
        *,
        services: Services,
        session: Session,
        incoming: Incoming,
        member: Member,
        identity: Identity,
        chat: Chat | None,
        state: ConversationState,
        translator: Translator,
    ) -> None:
        self.services = services
        self.session = session
        self.incoming = incoming
        self.member = member
        self.identity = identity
        self.chat = chat
        self.state = state
        super().__init__(translator)
        self.outgoing: list[Outgoing] = []
        # message id → the member a message to another chat is for (their data, on /forget).
        self.recipients: dict[str, int] = {}
        # Set when the turn removed the member or re-keyed this chat: the state loaded at the
        # start of the turn must not be written back.
        self.member_erased = False
        self.state_replaced = False
        self._flows: dict[str, Flow] = {}

    # -- language ------------------------------------------------------------------------

    @property
    def timezone(self) -> str | None:
        return self.member.timezone  # it changes when the member tells us their place

    def use_language(self, translator: Translator) -> None:
        """Switch the language of the rest of this turn (after the member chose one)."""
        self.translator = translator

    # -- answering -----------------------------------------------------------------------

    @property
    def chat_ref(self) -> ChatRef:
        return self.incoming.chat

    def send(
        self, body: Body, chat: ChatRef | None = None, priority: Priority = Priority.REPLY
    ) -> None:
        # Collected, and sent only after the turn's data is committed: a failed turn says
        # nothing half-done, and what was said is always backed by what was stored.
        self.outgoing.append(
            Outgoing(
                chat=chat or self.chat_ref, body=body, priority=priority, language=self.language
            )
        )

    def reply(self, text: str) -> None:
        self.send(Text(text))

    def ask(self, text: str, options: Sequence[Option], *, multiple: bool = False) -> str:
        prompt_id = new_prompt_id()
        self.state.prompt = {
            "id": prompt_id,
            "kind": "choice",
            "options": [[o.key, o.label] for o in options],
            "multiple": multiple,
        }
        self.send(
            Choice(
                prompt_id=prompt_id,
                text=text,
                options=tuple(options),
                multiple=multiple,
                asked=self._asked(),
            )
        )
        return prompt_id

    def offer(
        self, kind: str, payload: dict[str, Any], text: str, options: Sequence[Option]
    ) -> str:
        """Buttons that stay valid outside any flow (e.g. "undo"): the answer reaches the
        router's action for `kind`, and only this member may give it."""
        action = ActionRepository(self.session).create(
            self.member.id, self.chat_ref.key, kind, payload, [(o.key, o.label) for o in options]
        )
        self.send(
            Choice(prompt_id=action.id, text=text, options=tuple(options), asked=self._asked())
        )
        return action.id

    def _asked(self) -> str | None:
        """In a group, whose question it is (nobody else may answer it)."""
        sender = self.incoming.sender
        return sender.user_id if sender and not self.incoming.is_direct else None

    def ask_text(self, text: str) -> str:
        """A question answered in free text (a name, a place)."""
        prompt_id = new_prompt_id()
        self.state.prompt = {"id": prompt_id, "kind": "text"}
        self.reply(text)
        return prompt_id

    def ask_location(self, text: str, button_label: str) -> str:
        prompt_id = new_prompt_id()
        self.state.prompt = {"id": prompt_id, "kind": "location"}
        self.send(AskLocation(prompt_id=prompt_id, text=text, button_label=button_label))
        return prompt_id

    def point_to_private_chat(self, text: str, start: str = "") -> None:
        self.send(
            OpenPrivateChat(
                text=text, button_label=self._("Open a private conversation"), start=start
            )
        )

    @property
    def notifier(self) -> Notifier:
        """For messages to other members (in their language) and to other chats."""
        return Notifier(self.services, self.session)

    # -- flows ---------------------------------------------------------------------------

    def bind_router(self, router: Router) -> None:
        self.router = router
        self._flows = router.flows

    async def enter(self, flow: Flow, step: str, **data: Any) -> None:
        """Move to a step of a flow and ask its question.

        `options=[Option, …]` is remembered for the step's question (remembered_options)."""
        if "options" in data:
            data["options"] = [[o.key, o.label] for o in data["options"]]
        if self.state.flow != flow.name:
            self.state.data = {}
        self.state.flow, self.state.step = flow.name, step
        self.state.prompt = None
        if data:
            self.state.data = {**self.state.data, **data}
        await flow.steps[step].prompt(self)

    async def reprompt(self) -> bool:
        """Ask the current step's question again; False when no flow is going on."""
        flow = self._flows.get(self.state.flow or "")
        step = flow.steps.get(self.state.step or "") if flow else None
        if step is None:
            return False
        self.state.prompt = None
        await step.prompt(self)
        return True

    async def enter_named(self, flow_name: str, step: str, **data: Any) -> None:
        """Like enter(), for a flow another feature module owns (no import cycle)."""
        await self.enter(self._flows[flow_name], step, **data)

    def remembered_options(self) -> list[Option]:
        """The options given to enter(): a choice computed once, asked (again) from storage."""
        return [Option(key, label) for key, label in self.state.data.get("options", [])]

    def finish(self) -> None:
        self.state.flow = self.state.step = None
        self.state.data = {}
        self.state.prompt = None

    def remember(self, **data: Any) -> None:
        self.state.data = {**self.state.data, **data}
