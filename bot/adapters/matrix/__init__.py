"""The Matrix adapter (matrix-nio): sync loop, inbound events, outbound rendering.

`create_adapter(app)` builds it from the application's settings; `start()` logs in once (the
session is kept in the database) and syncs; `stop()` ends cleanly between two batches.
"""

from __future__ import annotations

from bot.adapters.matrix.adapter import MatrixAdapter
from bot.adapters.matrix.session import LoginFailed
from bot.app import Application

__all__ = ["LoginFailed", "MatrixAdapter", "create_adapter"]


def create_adapter(app: Application) -> MatrixAdapter:
    return MatrixAdapter(app)
