"""Feature modules: each declares a Router and knows no platform."""

from __future__ import annotations

from bot.core.router import Router


def all_routers() -> list[Router]:
    from bot.handlers import (
        chapter_admin,
        chapter_chats,
        chapter_nudges,
        chapters,
        connect,
        digests,
        feeds,
        general,
        growth_chart,
        monthly_report,
        nudges,
        onboarding,
        outreach,
        polls,
        privacy,
        profile,
        reminders,
        stories,
    )

    return [
        general.router,
        onboarding.router,
        profile.router,
        privacy.router,
        chapters.router,
        chapter_admin.router,
        chapter_chats.router,
        polls.router,
        connect.router,
        reminders.router,
        feeds.router,
        digests.router,
        stories.router,
        outreach.router,
        nudges.router,
        chapter_nudges.router,
        monthly_report.router,
        growth_chart.router,
    ]
