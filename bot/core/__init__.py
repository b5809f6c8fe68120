"""The platform-neutral core: events, outgoing messages, conversations, routing."""
