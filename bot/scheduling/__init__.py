"""The clock, the outbox and its senders."""
