"""Adapters: translate platform events to neutral ones and neutral messages to the platform."""
