"""Feed lists in OPML: read one exported from another reader, write ours."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import listparser

from digest.errors import SourceError
from digest.models import FeedState
from digest.text.keys import is_web_url


@dataclass(frozen=True)
class OpmlFeeds:
    """The feeds an OPML document lists, and the outlines that were skipped and why."""

    feeds: tuple[FeedState, ...]
    skipped: tuple[str, ...]


# Our own mark on an exported feed that its server said is gone (HTTP 410).
GONE = "gone"


def read_opml(content: bytes, where: str) -> OpmlFeeds:
    """Return the feeds listed in the OPML document `content` (read from `where`)."""
    parsed = listparser.parse(content)
    if not parsed.feeds:
        reason = parsed.get("bozo_exception")
        detail = f" ({' '.join(str(reason).split())})" if reason else ""
        raise SourceError(f"{where}: no feeds found in this OPML file{detail}")
    sites = _site_urls(content)
    feeds: dict[str, FeedState] = {}
    skipped = []
    for entry in parsed.feeds:
        url = str(entry.get("url", "")).strip()
        title = " ".join(str(entry.get("title", "")).split())
        if not is_web_url(url):
            skipped.append(f"{where}: outline '{title or url}' skipped: '{url}' is not an "
                           "http(s) feed address")
            continue
        paths = ["/".join(p) for p in entry.get("categories", []) if p and p != [GONE]]
        feeds.setdefault(url, FeedState(url=url, name=title, category=paths[0] if paths else "",
                                        site_url=sites.get(url, "")))
    return OpmlFeeds(tuple(feeds.values()), tuple(skipped))


def _site_urls(content: bytes) -> dict[str, str]:
    """Return {feed address: web site} from the outlines' htmlUrl (listparser drops it)."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        return {}
    return {o.get("xmlUrl", "").strip(): o.get("htmlUrl", "").strip()
            for o in root.iter("outline")
            if o.get("xmlUrl") and is_web_url(o.get("htmlUrl", ""))}


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
        if state.site_url:
            outline.set("htmlUrl", state.site_url)
        # OPML categories: comma-separated, each a "/"-separated path.
        categories = [f"/{state.category.strip('/')}" if state.category else "",
                      GONE if state.gone else ""]
        if any(categories):
            outline.set("category", ",".join(c for c in categories if c))
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
