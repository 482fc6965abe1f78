"""Feed lists in OPML: read one exported from another reader, write ours."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import listparser

from digest.config import FeedConfig
from digest.errors import SourceError
from digest.models import FeedState
from digest.text.keys import is_web_url


@dataclass(frozen=True)
class OpmlFeeds:
    """The feeds an OPML document lists, and the outlines that were skipped and why."""

    feeds: tuple[FeedConfig, ...]
    skipped: tuple[str, ...]


def read_opml(content: bytes, where: str) -> OpmlFeeds:
    """Return the feeds listed in the OPML document `content` (read from `where`)."""
    parsed = listparser.parse(content)
    if not parsed.feeds:
        reason = parsed.get("bozo_exception")
        detail = f" ({' '.join(str(reason).split())})" if reason else ""
        raise SourceError(f"{where}: no feeds found in this OPML file{detail}")
    feeds: dict[str, FeedConfig] = {}
    skipped = []
    for entry in parsed.feeds:
        url = str(entry.get("url", "")).strip()
        title = " ".join(str(entry.get("title", "")).split())
        if not is_web_url(url):
            skipped.append(f"{where}: outline '{title or url}' skipped: '{url}' is not an "
                           "http(s) feed address")
            continue
        feeds.setdefault(url, FeedConfig(url=url, name=title))
    return OpmlFeeds(tuple(feeds.values()), tuple(skipped))


def write_opml(states: Sequence[FeedState], title: str, now: datetime) -> bytes:
    """Return an OPML 2.0 document listing the feeds (gone feeds included, marked)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    body = ET.SubElement(root, "body")
    for state in states:
        outline = ET.SubElement(body, "outline", type="rss", text=state.name, title=state.name,
                                xmlUrl=state.current_url)
        if state.gone:
            outline.set("category", "gone")
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
