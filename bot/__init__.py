"""chapterbot: a chat-bot organizing assistant for a membership organization."""
