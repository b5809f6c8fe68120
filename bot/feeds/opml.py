"""OPML, the feed readers' exchange format: read for `chapterbot feeds import`, written for
`chapterbot feeds export`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

MAX_BYTES = 2 * 1024 * 1024


class OpmlError(ValueError):
    """The file is not OPML we can read; the message says why."""


@dataclass(frozen=True, slots=True)
class Outline:
    url: str
    title: str


def read_opml(data: bytes) -> list[Outline]:
    """Every feed outline (xmlUrl), nested folders included, in the file's order, once each."""
    if len(data) > MAX_BYTES:
        raise OpmlError("the file is larger than 2 MB")
    if b"<!DOCTYPE" in data[:2048].upper() or b"<!ENTITY" in data.upper():
        raise OpmlError("OPML files with a DOCTYPE or entities are not read")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not valid XML ({exc})") from exc
    if root.tag.lower() != "opml":
        raise OpmlError("not an OPML file (its root element is not <opml>)")
    found: dict[str, Outline] = {}
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url.lower().startswith(("http://", "https://")):
            continue
        title = (outline.get("title") or outline.get("text") or "").strip()
        found.setdefault(url, Outline(url, title[:300]))
    return list(found.values())


def write_opml(title: str, folders: list[tuple[str, list[Outline]]]) -> str:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for name, outlines in folders:
        folder = ET.SubElement(body, "outline", text=name, title=name)
        for outline in outlines:
            ET.SubElement(
                folder,
                "outline",
                type="rss",
                text=outline.title or outline.url,
                title=outline.title or outline.url,
                xmlUrl=outline.url,
            )
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"
