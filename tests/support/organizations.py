"""Organization files for tests that need organizers and admins."""

from __future__ import annotations

from pathlib import Path

CHAPTERS_ORG = """
[organization]
name = "Common Ground"
default_language = "en"
admins = ["test:admin"]
interests = ["outreach", "events"]
chapter_radius_km = 50
founding_threshold = 3

[organization.intro]
en = "We are Common Ground."
fr = "Nous sommes Common Ground."
nl = "Wij zijn Common Ground."

[[chapters]]
name = "Brussels"
country = "BE"
latitude = 50.85
longitude = 4.35
languages = ["fr", "nl", "en"]
organizers = ["test:olga"]
[chapters.description]
en = "Meets on Thursdays."
fr = "Se réunit le jeudi."
nl = "Komt samen op donderdag."

[[chapters]]
name = "Ghent"
country = "BE"
latitude = 51.05
longitude = 3.72
languages = ["nl"]
organizers = ["test:gert"]

[[chapters]]
name = "Lille"
country = "FR"
latitude = 50.63
longitude = 3.06
languages = ["fr"]
"""


def write_chapters_org(folder: Path) -> Path:
    path = folder / "organization.toml"
    path.write_text(CHAPTERS_ORG, encoding="utf-8")
    return path
