"""The terminal chat: how people try the bot and script it (`chapterbot chat`)."""
