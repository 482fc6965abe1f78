"""Parse feed documents (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed) from bytes into articles."""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx

from digest.config import FetchConfig
from digest.ingest.fetch import FetchError, HostLimiter, fetch_feed, fetch_page, record_failure
from digest.ingest.folder import article_id
from digest.ingest.fulltext import extract_article_text
from digest.ingest.html import html_to_line, html_to_text
from digest.models import Article, FeedState, IngestResult, SourceProblem, feed_name
from digest.text.keys import is_web_url, normalize_url, normalized_words

# A title made up from the text when an item has none: this many words.
_UNTITLED_WORDS = 12
# A feed named after its own title keeps at most this many characters of it.
_NAME_CHARS = 80
# A paragraph under this many different item titles is the feed's, not the items'.
_FEED_TEXT_TITLES = 3
_JSON_TYPES = ("application/feed+json", "application/json")


@dataclass(frozen=True)
class ParsedFeed:
    """The articles of one feed document, newest first, and what was wrong with it."""

    title: str
    articles: tuple[Article, ...]
    problems: tuple[str, ...]
    is_feed: bool = True


def parse_feed(
    content: bytes,
    *,
    source: str,
    feed_key: str,
    now: datetime,
    headers: Mapping[str, str] | None = None,
    max_items: int = 200,
) -> ParsedFeed:
    """Return the items of the feed document `content` as articles.

    `feed_key` (the feed's configured URL) makes item ids stable; `headers` are
    the HTTP response headers, so a charset the server declares is honoured.
    A document that is ill-formed but still yields items is used, with its
    problem recorded; items that have nothing to show are skipped with a reason.
    """
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if _looks_like_json(content, headers.get("content-type", "")):
        feed_title, entries, problems, is_feed = _json_feed(content)
    else:
        feed_title, entries, problems, is_feed = _xml_feed(content, headers)
    if not is_feed:
        return ParsedFeed(feed_title, (), tuple(problems), is_feed=False)
    # A link still relative (feedparser applies xml:base) is resolved against
    # the document's address (RFC 3986, 5.1.3), or the one the server gave
    # for it (Content-Location).
    base = headers.get("content-location") or feed_key
    articles: list[Article] = []
    for number, entry in enumerate(entries, 1):
        entry["link"] = _joined(base, entry["link"])
        article = _article(entry, source=source, feed_key=feed_key, now=now)
        if article is None:
            problems.append(f"item {number}: no title, link or text; skipped")
        else:
            articles.append(article)
    articles = _without_shared_text(articles)
    articles.sort(key=lambda a: (a.published, a.id), reverse=True)
    if len(articles) > max_items:
        problems.append(f"kept the newest {max_items} of {len(articles)} items")
        articles = articles[:max_items]
    return ParsedFeed(feed_title, tuple(articles), tuple(problems))


def _without_shared_text(articles: list[Article]) -> list[Article]:
    """The items, less the paragraphs that items of three or more titles carry alike.

    Such a paragraph is the feed's, not the items': "Comments" under every
    link of an aggregator, a podcast's blurb, a blog's sign-off ("- Jane, API
    Team"), "Questions? Visit us on the forum", an advert for the
    publisher's course. Kept, it would speak for the items in their
    summaries, and an item of nothing else would be a copy of every other
    (dedup would keep one of them); such an item keeps its title and link.
    Two titles over one text are more likely one report and its update
    (dedup keeps the first), and an item repeated under one title is a
    repeat: both keep their text.
    """
    # The feed's text comes from one template, so it is the same text to the
    # character (HTML made into text, spaces folded): no need to normalise it.
    parts = [a.body.split("\n\n") if a.body else [] for a in articles]
    titles: dict[str, set[str]] = {}
    for article, paragraphs in zip(articles, parts, strict=True):
        for paragraph in paragraphs:
            titles.setdefault(paragraph, set()).add(article.title)
    shared = {text for text, heads in titles.items() if len(heads) >= _FEED_TEXT_TITLES}
    if not shared:
        return articles
    kept = []
    for article, paragraphs in zip(articles, parts, strict=True):
        own = [p for p in paragraphs if p not in shared]
        kept.append(article if len(own) == len(paragraphs)
                    else dataclasses.replace(article, body="\n\n".join(own)))
    return kept


def _looks_like_json(content: bytes, content_type: str) -> bool:
    if any(t in content_type for t in _JSON_TYPES):
        return True
    return content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


# A feed document's title, its entries, its problems, and whether it is a feed at all.
_Document = tuple[str, list[dict[str, Any]], list[str], bool]


def _xml_feed(content: bytes, headers: dict[str, str]) -> _Document:
    parsed = feedparser.parse(content, response_headers=headers)
    problems: list[str] = []
    # A recognised feed with no items (yet) is a feed; an HTML page never is.
    is_feed = bool(parsed.entries) or (bool(parsed.get("version"))
                                       and not _looks_like_html(content))
    if parsed.get("bozo"):
        error = parsed.get("bozo_exception")
        reason = " ".join(str(error).split()) or type(error).__name__
        if parsed.entries:
            problems.append(f"feed is not well-formed ({reason}); "
                            f"{len(parsed.entries)} items used")
        elif is_feed:
            problems.append(f"feed is not well-formed ({reason}); no items found")
        elif _looks_like_html(content):
            problems.append("not a feed: the address returns an HTML page, not RSS, Atom or "
                            "JSON Feed")
        else:
            problems.append(f"not a usable feed ({reason})")
    elif not parsed.get("version") and not parsed.entries:
        problems.append("not a feed (no RSS, Atom or JSON Feed document found)")
    feed_language = str(parsed.feed.get("language") or "")
    entries = [_from_feedparser(e, feed_language) for e in parsed.entries]
    return html_to_line(parsed.feed.get("title", "")), entries, problems, is_feed


def _looks_like_html(content: bytes) -> bool:
    head = content[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head


def _from_feedparser(entry: Any, feed_language: str = "") -> dict[str, Any]:
    contents = entry.get("content") or []
    best = max(contents, key=lambda c: len(c.get("value", "")), default=None)
    body, body_type = (best.get("value", ""), best.get("type", "")) if best else ("", "")
    summary = entry.get("summary", "")
    if len(summary) > len(body):
        body, body_type = summary, entry.get("summary_detail", {}).get("type", "text/html")
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    link = entry.get("link") or ""
    if link == entry.get("id") and not is_web_url(link):
        link = ""  # feedparser's stand-in from a GUID ("12345", "//[x"): an id, not a page
    return {
        "id": entry.get("id") or "",
        "link": link,
        "title": entry.get("title", ""),
        "body": body,
        "plain": body_type == "text/plain",
        "published": _parsed_date(moment),
        "language": ((best or {}).get("language") or entry.get("title_detail", {}).get("language")
                     or feed_language),
    }


def _json_feed(content: bytes) -> _Document:
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return "", [], [f"not a usable JSON Feed ({exc})"], False
    except RecursionError:
        return "", [], ["not a usable JSON Feed (nested too deeply)"], False
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return "", [], ["not a JSON Feed (no items list)"], False
    problems: list[str] = []
    if not str(document.get("version", "")).startswith("https://jsonfeed.org/version/"):
        problems.append("JSON document has no JSON Feed version; items used anyway")
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        html_body = str(item.get("content_html") or "")
        text_body = str(item.get("content_text") or item.get("summary") or "")
        entries.append({
            "id": str(item.get("id") or ""),
            "link": str(item.get("url") or item.get("external_url") or ""),
            "title": str(item.get("title") or ""),
            "body": html_body or text_body,
            "plain": not html_body,
            "published": _iso_date(item.get("date_published") or item.get("date_modified")),
            "language": str(item.get("language") or document.get("language") or ""),
        })
    return html_to_line(str(document.get("title", ""))), entries, problems, True


def _iso_date(value: Any) -> datetime | None:
    """Return an ISO 8601 time as UTC; None when missing, malformed or out of range."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # "9999-12-31T23:59:59-10:00" is past year 9999 in UTC
        return None


def _parsed_date(moment: Any) -> datetime | None:
    """Return feedparser's UTC time tuple as a datetime; None when missing or out of range."""
    if not moment:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(moment), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _article(entry: dict[str, Any], *, source: str, feed_key: str, now: datetime) -> Article | None:
    body = html_to_text(entry["body"], plain=entry["plain"])
    title = html_to_line(entry["title"])
    link = _web_link(entry["link"])
    if not title and not body and not link:
        return None
    if not title:
        words = body.split()
        title = " ".join(words[:_UNTITLED_WORDS]) + ("…" if len(words) > _UNTITLED_WORDS else "")
        title = title or link
    guid = entry["id"].strip()
    if guid:
        key = f"guid:{guid}"
    elif link:
        key = f"link:{normalize_url(link)}"
    else:
        key = "hash:" + hashlib.sha256(f"{title}\0{body}".encode()).hexdigest()
    published = entry["published"]
    flags = () if published else ("undated",)
    return Article(
        id=article_id(feed_key, key),
        source=source,
        title=title,
        body=body,
        published=published or now,
        url=link or None,
        location=feed_key,
        flags=flags,
        kind="feed",
        language=str(entry.get("language") or ""),
    )


def _joined(base: str, link: str) -> str:
    """`link` made absolute against `base` when it is relative and `base` is a web address."""
    link = link.strip()
    if not link or not is_web_url(base) or not link.isprintable() or " " in link:
        return link  # words or control characters: no reference to resolve
    try:
        return link if urlsplit(link).scheme else urljoin(base, link)
    except ValueError:  # "http://[::1": not a URL at all (and `_web_link` drops it)
        return link


def _web_link(value: str) -> str:
    """Return `value` if it is an http(s) URL, else "" (no javascript: or bare GUIDs)."""
    link = value.strip()
    return link if is_web_url(link) else ""


def problem_label(state: FeedState, name: str = "") -> str:
    """Return how a feed's problems name it: its name, or its address when it has none.

    A feed nobody named is called after its host until it gives its title;
    two feeds of one host would then read alike, so problems give the address.
    """
    name = name or state.name
    return state.url if name == feed_name(state.url) else name


@dataclass(frozen=True)
class FeedRead:
    """Reading one feed: what it gave, and the feed's state to store."""

    result: IngestResult
    state: FeedState


def read_feed(
    client: httpx.Client,
    state: FeedState,
    settings: FetchConfig,
    now: datetime,
    limiter: HostLimiter,
    stored_full_text: Mapping[str, str] | None = None,
) -> FeedRead:
    """Fetch and parse one feed; fetch full text for stub items when the feed asks for it.

    `stored_full_text` maps ids of items whose full text is already stored to
    that text, so their pages are not fetched again.
    """
    try:
        return _read_feed(client, state, settings, now, limiter, stored_full_text)
    except Exception as exc:  # one feed's content never stops the run: its own problem
        reason = f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"
        failure = record_failure(state, reason, now, settings, None)
        problem = SourceProblem(problem_label(state), "", failure.problem or reason)
        return FeedRead(IngestResult(state.name, state.url, (), (problem,), True), failure.state)


def _read_feed(
    client: httpx.Client, state: FeedState, settings: FetchConfig, now: datetime,
    limiter: HostLimiter, stored_full_text: Mapping[str, str] | None,
) -> FeedRead:
    fetched = fetch_feed(client, state, settings, now, limiter)
    name = state.name
    if fetched.content is None:
        reported = ((SourceProblem(problem_label(state), "", fetched.problem),)
                    if fetched.problem else ())
        failed = fetched.outcome in ("failed", "gone")
        return FeedRead(IngestResult(name, state.url, (), reported, failed), fetched.state)
    parsed = parse_feed(fetched.content, source=name, feed_key=state.url, now=now,
                        headers=fetched.headers, max_items=settings.max_items)
    problems_text = list(parsed.problems)
    new_state = dataclasses.replace(fetched.state, items=len(parsed.articles))
    if parsed.title and state.name == feed_name(state.url):
        # No name was configured: the feed's own title reads better than its host.
        name = parsed.title[:_NAME_CHARS]
        new_state = dataclasses.replace(new_state, name=name)
        parsed = dataclasses.replace(parsed, articles=tuple(
            dataclasses.replace(a, source=name) for a in parsed.articles))
    if not parsed.is_feed:
        failure = record_failure(new_state, "; ".join(parsed.problems), now, settings, None)
        problem = SourceProblem(problem_label(state, name), "", failure.problem or "not a feed")
        return FeedRead(IngestResult(name, state.url, (), (problem,), True), failure.state)
    articles = [dataclasses.replace(a, category=state.category) if state.category else a
                for a in parsed.articles]
    if state.full_text:
        stored = stored_full_text or {}
        articles = _unshared([(a, _with_full_text(a, client, settings, limiter, stored,
                                                  problems_text)) for a in articles],
                             stored, problems_text)
        # The site's own paragraphs on every page ("The Courier is an
        # independent paper founded in 1901") leave the pages' texts too.
        articles = _without_shared_text(articles)
    problems = tuple(SourceProblem(problem_label(state, name), "", p) for p in problems_text)
    return FeedRead(IngestResult(name, state.url, tuple(articles), problems), new_state)


def _unshared(items: list[tuple[Article, Article]], stored: Mapping[str, str],
              problems: list[str]) -> list[Article]:
    """Each item with the text its page gave, unless pages of other items gave the same.

    `items` pairs each item as the feed gave it with the item after its page
    was read. One text on the pages of different items is a paywall's, a
    login's or a consent notice, not an article: those items keep the feed's
    text (else the notice would make them copies of each other, and all but
    one would be dropped as duplicates).
    """
    # Each page read now (not a stub kept, not a stored text), by its words.
    texts = {a.id: normalized_words(found.body) for a, found in items
             if found is not a and a.id not in stored}
    pages: dict[str, set[str]] = {}
    for original, _ in items:
        if original.id in texts:
            pages.setdefault(texts[original.id], set()).add(
                normalize_url(original.url or original.id))
    shared = {ident for ident, text in texts.items() if len(pages[text]) > 1}
    if not shared:
        return [found for _, found in items]
    kept = [original if original.id in shared else found for original, found in items]
    count = sum(original.id in shared for original, _ in items)
    problems.append(f"full text of {count} items: their pages gave one and the same text "
                    "(a paywall's or a login's notice, not an article); kept the feed's text")
    return kept


def _with_full_text(
    article: Article, client: httpx.Client, settings: FetchConfig, limiter: HostLimiter,
    stored: Mapping[str, str], problems: list[str],
) -> Article:
    if article.id in stored:
        return dataclasses.replace(article, body=stored[article.id],
                                   flags=(*article.flags, "full-text"))
    if len(article.body.split()) >= settings.full_text_min_words or not article.url:
        return article
    try:
        text = extract_article_text(fetch_page(client, article.url, settings, limiter),
                                    article.url)
    except FetchError as exc:
        problems.append(f"full text of '{article.title}': {exc}; kept the feed's text")
        return article
    first, _, rest = text.partition("\n\n")
    if rest and " ".join(first.split()) == article.title:
        text = rest  # the page repeats the headline above the article
    if len(text.split()) <= len(article.body.split()):
        problems.append(f"full text of '{article.title}': no article text found on the page; "
                        "kept the feed's text")
        return article
    return dataclasses.replace(article, body=text, flags=(*article.flags, "full-text"))
