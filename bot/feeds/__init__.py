"""Blog feeds: fetching (httpx, guarded) and parsing (feedparser), apart from any handler.

A digest never waits on the network: the periodic fetch stores entries, the digest reads them.
"""
