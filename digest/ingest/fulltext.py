"""Extract the article text from a web page (for feed items that carry only a stub)."""

from __future__ import annotations

from digest.text.clean import normalize_text


def extract_article_text(page: bytes, url: str) -> str:
    """Return the main article text of `page`, paragraphs separated by blank lines, or ""."""
    import trafilatura

    text = trafilatura.extract(
        page, url=url, include_comments=False, include_tables=False, favor_precision=True
    )
    if not text:
        return ""
    return normalize_text(text.replace("\n", "\n\n"))
