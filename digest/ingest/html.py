"""Turn HTML from feeds and web pages into plain text with paragraphs."""

from __future__ import annotations

import html
import re

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

from digest.text.clean import normalize_text

_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
# Entities that lost their "&" on the way ("#39;", "quot;", "lt;b gt;"), as
# some feeds and news datasets carry them.
_REMNANT = re.compile(r"(?<![&;])(#\d{2,5});|(?<![&\w;])(quot|amp|lt|gt|nbsp|apos);")
# Strict profile: block elements become paragraphs; no layout padding. Scripts,
# styles and images never yield text, so tracking pixels vanish.
_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_images=False, display_links=False)


def html_to_text(markup: str, *, plain: bool = False) -> str:
    """Return the readable text of `markup`, one paragraph per block, blank lines between.

    Entities are decoded, also when escaped twice ("&amp;lt;b&amp;gt;") or
    missing their "&" ("#39;"); tags, including tags that were escaped, are
    then stripped. With `plain` (a feed that declares its text plain) nothing
    is taken for a tag: entities are decoded and "<" stays text.
    """
    if not markup or not markup.strip():
        return ""
    markup = _decode_entities(markup)
    if plain or not _TAG.search(markup):
        return normalize_text(markup)
    text = get_text(markup, _CONFIG)
    # inscriptis separates blocks with single newlines; each becomes a paragraph.
    return normalize_text(re.sub(r"\n+", "\n\n", text))


def html_to_line(markup: str) -> str:
    """Return `markup` as one line of text (for titles)."""
    return " ".join(html_to_text(markup).split())


def _decode_entities(markup: str) -> str:
    """Return `markup` with entities decoded, also when escaped twice or missing their "&"."""
    for _ in range(3):  # "&amp;lt;b&amp;gt;" takes two rounds
        decoded = html.unescape(_REMNANT.sub(lambda m: f"&{m.group(1) or m.group(2)};", markup))
        if decoded == markup:
            break
        markup = decoded
    return markup
