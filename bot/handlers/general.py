"""/help, /cancel, and what the bot says when it is added to a group chat."""

from __future__ import annotations

from bot.core.access import EVERYWHERE
from bot.core.conversation import Conversation
from bot.core.events import (
    CommandMessage,
    Incoming,
    MemberJoined,
    MemberLeft,
)
from bot.core.markup import Markup
from bot.core.router import Router
from bot.i18n.catalog import N_

router = Router("general")


@router.command("help", description=N_("What I can do"), access=EVERYWHERE)
async def show_help(conv: Conversation, _command: CommandMessage) -> None:
    lines = [conv._("<b>What I can do</b>")]
    for command in conv.router.commands.values():
        if conv.incoming.is_direct or not command.direct_only:
            lines.append(f"/{command.name}: {conv._(command.description)}")
    conv.reply(Markup("\n".join(lines)))


@router.command("cancel", description=N_("Cancel the current step"), access=EVERYWHERE)
async def cancel(conv: Conversation, _command: CommandMessage) -> None:
    if conv.state.flow:
        conv.finish()
        conv.reply(conv._("Stopped. Send /help to see what I can do."))
    else:
        conv.reply(conv._("There is nothing to stop."))


@router.on(MemberJoined)
@router.on(MemberLeft)
async def stay_quiet(_conv: Conversation, _event: Incoming) -> None:
    """Group membership changes say nothing for now; chapters will count them."""
