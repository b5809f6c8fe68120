"""/mydata shows everything stored about a member; /forget erases it after a confirmation."""

from __future__ import annotations

import json

from bot.core.access import PRIVATE
from bot.core.conversation import Conversation
from bot.core.events import ChoiceMade, CommandMessage, Incoming
from bot.core.flow import Flow
from bot.core.markup import Markup, escape
from bot.core.outgoing import Option
from bot.core.router import Router
from bot.handlers import reminders
from bot.handlers.onboarding import profile_summary
from bot.i18n.catalog import N_
from bot.i18n.locale import autonym
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository

router = Router("privacy")
forget = router.include_flow(Flow("forget"))


@router.command("mydata", description=N_("See everything I store about you"), access=PRIVATE)
async def my_data(conv: Conversation, _command: CommandMessage) -> None:
    members = MemberRepository(conv.session)
    export = members.export(conv.member.id)
    lines = [profile_summary(conv, title=conv._("<b>Everything I store about you</b>"))]
    language = conv.member.language or conv.language
    lines.append(conv._("Language: %(language)s", language=autonym(language)))
    for identity in members.identities(conv.member.id):
        lines.append(
            conv._(
                "Account: %(platform)s %(account)s",
                platform=identity.platform,
                account=identity.handle or identity.user_id,
            )
        )
    memberships = MembershipRepository(conv.session)
    for membership, chapter in memberships.chapters_of(conv.member.id):
        if membership.role == "organizer":
            lines.append(conv._("Organizer of: %(chapter)s", chapter=chapter.name))
        else:
            lines.append(conv._("Member of: %(chapter)s", chapter=chapter.name))
    for _request, chapter in memberships.pending_requests_of(conv.member.id):
        lines.append(conv._("Request to join: %(chapter)s", chapter=chapter.name))
    if memberships.watching(conv.member.id):
        lines.append(conv._("Waiting to hear of a chapter forming near you"))
    lines.extend(reminders.data_lines(conv))
    conv.reply(Markup("\n".join(lines)))
    document = json.dumps(export, ensure_ascii=False, indent=2, sort_keys=True)
    conv.reply(Markup(conv._("The same, as JSON:") + "\n<pre>" + escape(document) + "</pre>"))


@router.command("forget", description=N_("Erase everything I store about you"), access=PRIVATE)
async def forget_me(conv: Conversation, _command: CommandMessage) -> None:
    await conv.enter(forget, "confirm")


@forget.prompt("confirm")
async def ask_confirm(conv: Conversation) -> None:
    conv.ask(
        conv._(
            "Do you really want me to erase everything I store about you? This cannot be undone."
        ),
        [
            Option("erase", conv._("Yes, erase my data")),
            Option("keep", conv._("No, keep it")),
        ],
    )


@forget.answer("confirm")
async def on_confirm(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    if event.keys[0] != "erase":
        conv.finish()
        conv.reply(conv._("Nothing was erased."))
        return
    MemberRepository(conv.session).erase(conv.member.id)
    conv.member_erased = True
    conv.reply(
        conv._(
            "Done: everything I stored about you is erased. "
            "If you write to me again, we'll start from the beginning."
        )
    )
