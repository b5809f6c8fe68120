"""Which updates were handled, so that one delivered again after a restart is not handled
twice.

Telegram delivers an update until the bot confirms it (the next getUpdates offset, or a 200
to the webhook); a bot stopped between handling and confirming gets it again. The ids of the
last updates handled are kept in the database. Not a high-water mark: after a week without
updates Telegram restarts the sequence at a random number, which may be lower.
"""

from __future__ import annotations

from collections import deque

from bot.adapters.telegram.state import REMEMBERED_UPDATES, TelegramState


class UpdateLedger:
    def __init__(self, state: TelegramState) -> None:
        self.state = state
        self._recent: deque[int] = deque(state.handled_updates(), maxlen=REMEMBERED_UPDATES)
        self._known = set(self._recent)

    def handled(self, update_id: int) -> bool:
        return update_id in self._known

    def record(self, update_id: int) -> None:
        if update_id in self._known:
            return
        if len(self._recent) == self._recent.maxlen:
            self._known.discard(self._recent[0])
        self._recent.append(update_id)
        self._known.add(update_id)
        self.state.set_handled_updates(list(self._recent))
