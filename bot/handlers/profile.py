"""/profile (see and change name, place, interests, nudges) and /language."""

from __future__ import annotations

from bot.core.access import ANYONE, ORGANIZERS, PRIVATE, Access
from bot.core.conversation import Conversation
from bot.core.events import ChoiceMade, CommandMessage, Incoming
from bot.core.flow import Flow
from bot.core.outgoing import Option
from bot.core.router import Router
from bot.handlers.chapter_chats import set_chat_language
from bot.handlers.onboarding import language_options, onboarding, profile_summary
from bot.i18n.catalog import N_
from bot.storage.members import MemberRepository

router = Router("profile")
profile = router.include_flow(Flow("profile"))

EDITABLE_STEPS = {"name": "name", "place": "place", "interests": "interests", "nudges": "nudges"}


@router.command("profile", description=N_("See and change your details"), access=PRIVATE)
async def show_profile(conv: Conversation, _command: CommandMessage) -> None:
    if conv.member.onboarded_at is None:
        if conv.state.flow == onboarding.name:
            conv.reply(conv._("Let's finish the introduction first; then /profile will show it."))
            await conv.reprompt()
        else:
            conv.reply(conv._("We haven't met yet. Send /start to introduce yourself."))
        return
    await conv.enter(profile, "menu")


@profile.prompt("menu")
async def ask_menu(conv: Conversation) -> None:
    conv.ask(
        profile_summary(conv, title=conv._("<b>Your profile</b>")),
        [
            Option("name", conv._("Change my name")),
            Option("place", conv._("Change my town")),
            Option("interests", conv._("Change my interests")),
            Option("nudges", conv._("Change outreach nudges")),
            Option("done", conv._("Done")),
        ],
    )


@profile.answer("menu")
async def on_menu(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    choice = event.keys[0]
    if choice == "done":
        conv.finish()
        conv.reply(conv._("All right. Send /help to see what I can do."))
        return
    await conv.enter(onboarding, EDITABLE_STEPS[choice], editing=True)


@router.command(
    "language",
    description=N_("Choose the language I use with you"),
    # In a group: the chat's own language, which its chapter's organizers set.
    access=Access(direct=ANYONE, group=ORGANIZERS, linked=True),
    refusal=N_("Only the organizers of %(chapter)s can change this chat's language."),
)
async def choose_language(conv: Conversation, command: CommandMessage) -> None:
    wanted = command.args.strip().lower()
    if not conv.incoming.is_direct:
        await set_chat_language(conv, wanted)
        return
    options = {o.key: o for o in language_options()}
    direct = wanted if wanted in options else None
    direct = direct or next((o.key for o in options.values() if o.label.lower() == wanted), None)
    if direct:
        set_language(conv, direct)
        return
    if wanted or conv.state.flow:
        # Mid-conversation, a menu would replace the open question: say how to do it in one go.
        conv.reply(conv._("Usage: /language en, /language fr or /language nl."))
        return
    await conv.enter(profile, "language")


@profile.prompt("language")
async def ask_language(conv: Conversation) -> None:
    conv.ask(conv._("Which language would you like me to use?"), language_options())


@profile.answer("language")
async def on_language(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    conv.finish()
    set_language(conv, event.keys[0])


def set_language(conv: Conversation, language: str) -> None:
    conv.member.language = language
    MemberRepository(conv.session).save(conv.member)
    conv.use_language(conv.services.catalogs.translator(language))
    conv.reply(conv._("From now on I'll write to you in English."))
