"""Plain data that flows between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Article:
    """One article as read from a source, before or after cleaning."""

    id: str
    source: str
    title: str
    body: str
    published: datetime
    url: str | None = None
    location: str = ""
    flags: tuple[str, ...] = ()
    # "file" for folder articles, "feed" for feed items (whose dates are the publisher's).
    kind: str = "file"
    # The language its feed declares ("en-US"...); after cleaning, the language name
    # ("english") declared or detected, or "" when there is too little text to tell.
    language: str = ""
    # Identity keys (digest.text.keys), set once at cleaning and carried from then on:
    # the normalised URL ("" without one) and the hash of the normalised words.
    url_key: str = ""
    content_hash: str = ""
    # Its feed's category ("News/World"), if it has one.
    category: str = ""
    # After cleaning: a hash of the article as read and of the cleaning rules
    # (digest.text.keys.read_hash). The same read needs no cleaning again.
    read_hash: str = ""


@dataclass(frozen=True)
class Cleaned:
    """What cleaning made of an article, kept under its read hash (`Article.read_hash`)."""

    title: str
    body: str
    language: str
    url_key: str
    content_hash: str
    read_hash: str


@dataclass(frozen=True)
class SourceProblem:
    """A one-line reason why a source, or one item of it, was not (fully) read."""

    source: str
    item: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.item}" if self.item else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class IngestResult:
    """What reading one source produced: its articles and its problems."""

    source: str
    location: str
    articles: tuple[Article, ...] = ()
    problems: tuple[SourceProblem, ...] = ()
    failed: bool = False


@dataclass(frozen=True)
class FeedState:
    """What we know about one feed between runs; `url` (as configured) is its key."""

    url: str
    name: str
    fetch_url: str = ""
    full_text: bool = False
    etag: str | None = None
    last_modified: str | None = None
    consecutive_errors: int = 0
    next_attempt: datetime | None = None
    gone: bool = False
    last_fetch: datetime | None = None
    last_success: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    items: int = 0
    # Paused by hand (`digest sources pause`): kept and listed, not read.
    paused: bool = False
    # Its folder in another reader's list ("News/World"), and its web site.
    category: str = ""
    site_url: str = ""

    @property
    def current_url(self) -> str:
        return self.fetch_url or self.url

    def status(self, now: datetime) -> str:
        """Return one word for how the feed is doing: paused, gone, new, ok, failing or
        backing-off."""
        if self.paused:
            return "paused"
        if self.gone:
            return "gone"
        if self.last_fetch is None:
            return "new"
        if self.consecutive_errors:
            return "backing-off" if self.next_attempt and self.next_attempt > now else "failing"
        return "ok"


@dataclass(frozen=True)
class StoredKeys:
    """Identity keys of articles already stored, for cross-run duplicate checks."""

    by_url: dict[str, str] = field(default_factory=dict)
    by_hash: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Duplicate:
    """An incoming article dropped because another article has the same content."""

    article: Article
    duplicate_of: str
    reason: str


@dataclass(frozen=True)
class DedupResult:
    """Articles that survive duplicate removal, and the ones dropped."""

    unique: tuple[Article, ...]
    duplicates: tuple[Duplicate, ...]


@dataclass(frozen=True)
class ArticleSummary:
    """The summary of one article: its chosen sentences, in document order."""

    article_id: str
    sentences: tuple[str, ...]
    algorithm: str
    whole: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


@dataclass(frozen=True)
class Theme:
    """A section of the digest: a label and the ids of its articles, in order."""

    label: str
    article_ids: tuple[str, ...]
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Coverage:
    """Another outlet's article on the same story."""

    id: str
    source: str
    title: str
    url: str | None = None
    # Its own page in the day's folder, for an article with no web address.
    page: str | None = None


@dataclass(frozen=True)
class DigestEntry:
    """One story as it appears in a digest: its representative article and other coverage."""

    id: str
    title: str
    source: str
    published: datetime
    summary: tuple[str, ...]
    url: str | None = None
    also: tuple[Coverage, ...] = ()
    # A story already in an earlier digest that has new coverage: how many new
    # reports, and the day it was first in a digest.
    developing: int = 0
    first_shown: date | None = None
    # What the reader asked for, in importance units: boost terms, source weights.
    preference: float = 0.0
    # Its own page in the day's folder, for an article with no web address.
    page: str | None = None

    @property
    def other_sources(self) -> tuple[str, ...]:
        """The other outlets that covered the story, each once, in order."""
        return tuple(c.source for c in self.other_outlets)

    @property
    def other_outlets(self) -> tuple[Coverage, ...]:
        """One report per other outlet (its first), in order; not the entry's own source."""
        seen = {self.source}
        outlets = []
        for report in self.also:
            if report.source not in seen:
                seen.add(report.source)
                outlets.append(report)
        return tuple(outlets)


@dataclass(frozen=True)
class DigestSection:
    """A theme with its entries, ready to render."""

    label: str
    entries: tuple[DigestEntry, ...]
    # Stories of the section left out here (the email's budget): on the web page.
    more: int = 0


@dataclass(frozen=True)
class DigestCounts:
    """The figures a digest header and a run record show."""

    read: int = 0
    new: int = 0
    duplicates: int = 0
    articles: int = 0
    themes: int = 0
    sources: int = 0
    stories: int = 0
    # Read now but published before the day's window: stored, not shown.
    older: int = 0
    # In the digest from the store (read by an earlier run), not read now.
    carried: int = 0
    # Feeds that answered "not modified": nothing new, nothing read.
    unchanged: int = 0
    # Stories left out because they matched a mute term.
    muted: int = 0
    # Read now but already in an earlier day's digest: not shown again.
    shown_before: int = 0


@dataclass(frozen=True)
class Digest:
    """A whole day's digest, ready to render."""

    day: date
    title: str
    sections: tuple[DigestSection, ...]
    counts: DigestCounts
    failures: tuple[SourceProblem, ...] = ()
    timezone: str = "UTC"
    # New articles on stories already sent, too few to show again: recorded as
    # covered so they do not come back tomorrow.
    absorbed: tuple[str, ...] = ()
    # Where the day's page is published ([output] base_url), for the email's links.
    page_url: str | None = None
    # Stories left out because they matched a mute term.
    muted: int = 0
    # Stories shown open in each section of the page (0: all); the rest are collapsed.
    open_per_section: int = 0
    # The digests written before and after this day's, for the page's day links.
    previous_day: date | None = None
    next_day: date | None = None

    @property
    def stories(self) -> int:
        """How many stories the digest shows."""
        return sum(len(s.entries) + s.more for s in self.sections)

    @property
    def outlets(self) -> int:
        """How many distinct outlets the digest's stories come from."""
        return len({name for s in self.sections for e in s.entries
                    for name in (e.source, *(c.source for c in e.also))})

    @property
    def article_ids(self) -> tuple[str, ...]:
        """Every article the digest covers: representatives, other coverage, absorbed."""
        shown = tuple(i for s in self.sections for e in s.entries
                      for i in (e.id, *(c.id for c in e.also)))
        return shown + tuple(i for i in self.absorbed if i not in shown)


@dataclass(frozen=True)
class SourceRecord:
    """How the last read of one source (folder or feed) went, as stored."""

    name: str
    kind: str
    location: str
    articles: int
    problems: int
    last_read: str | None
    last_success: str | None
    last_error: str | None


@dataclass(frozen=True)
class SearchHit:
    """A stored article that matches a search, with where the match is."""

    id: str
    title: str
    source: str
    published: datetime
    url: str | None
    # The matching passage, the matched words between [ and ].
    snippet: str
    # The first digest it appeared in, if any.
    day: date | None


@dataclass(frozen=True)
class DigestRecord:
    """A digest already written: its day, files and article count."""

    day: date
    html_path: str
    text_path: str
    articles: int
    themes: int


def feed_name(url: str) -> str:
    """Return a readable default name for a feed: its host without "www." or "feeds."."""
    host = (urlsplit(url).hostname or url).lower()
    for prefix in ("www.", "feeds.", "feed.", "rss."):
        host = host.removeprefix(prefix)
    return host
