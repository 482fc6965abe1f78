"""The day's digest composed from the stages' results, and its files written."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from digest.config import Config
from digest.group.follow import StoryGroups
from digest.models import (
    Article,
    ArticleSummary,
    Digest,
    DigestCounts,
    DigestRecord,
    SourceProblem,
    Theme,
)
from digest.publish.mail import email_parts
from digest.publish.rank import Terms, preference, rank
from digest.publish.render import (
    article_page_key,
    assemble_digest,
    page_key_state,
    render_article,
    render_day,
    render_html,
    render_index,
    render_text,
    safe_url,
    write_file,
)


@dataclass(frozen=True)
class Pages:
    """The day's files: the web page, the plain text and the email's HTML."""

    html: Path
    text: Path
    email_html: Path
    # The email's (text, HTML) bodies, made once for the file and every message.
    email: tuple[str, str]


def compose_digest(
    config: Config, day: date, day_end: datetime, themes: Sequence[Theme],
    articles: Mapping[str, Article], summaries: Mapping[str, ArticleSummary],
    counts: DigestCounts, problems: Sequence[SourceProblem], stories: StoryGroups,
    days: Sequence[date] = (),
) -> Digest:
    """Return the day's digest: muted stories out, the rest ranked with the reader's say.

    Each article with no web address of its own gets a page of its own (its
    path, relative to the day's folder); the digest links to its page on the
    web when `[output] base_url` is set.
    """
    mute, boost, weight = Terms(config.rank.mute), Terms(config.rank.boost), _weigher(config)
    muted = [i for theme in themes for i in theme.article_ids if mute.match(articles[i])]
    left_out = set(muted)
    kept = [dataclasses.replace(t, article_ids=tuple(i for i in t.article_ids
                                                     if i not in left_out))
            for t in themes]
    kept = [t for t in kept if t.article_ids]
    preferences = {
        i: preference([articles[i], *(articles[c] for c in stories.coverage.get(i, ()))],
                      boost, weight)
        for t in kept for i in t.article_ids}
    covered = [i for t in kept for r in t.article_ids for i in (r, *stories.coverage.get(r, ()))]
    pages = {i: article_page(i) for i in covered if not safe_url(articles[i].url)}
    # A muted story counts as covered (with its reports), so it does not come back tomorrow.
    hidden = [i for r in muted for i in (r, *stories.coverage.get(r, ()))]
    digest = rank(assemble_digest(day, config.digest.title, kept, articles, summaries, counts,
                                  problems, config.digest.timezone, stories.coverage,
                                  stories.developing, (*stories.absorbed, *hidden),
                                  preferences, pages), day_end)
    digest = dataclasses.replace(
        digest, muted=len(muted), open_per_section=config.output.open_per_section,
        previous_day=max((d for d in days if d < day), default=None),
        next_day=min((d for d in days if d > day), default=None))
    if config.output.base_url:
        page = f"{config.output.base_url.rstrip('/')}/{day.isoformat()}/digest.html"
        digest = dataclasses.replace(digest, page_url=safe_url(page))
    return digest


def _weigher(config: Config) -> Callable[[Article], float]:
    """Return the ranking weight of an article's source: its feed's, or its folder's."""
    feeds = {f.url: f.weight for f in config.sources.feeds}
    folders = [(Path(folder), w) for folder, w in config.sources.weights.items()]

    def weight(article: Article) -> float:
        if article.kind == "feed":
            return feeds.get(article.location, 1.0)
        path = Path(article.location)
        return next((w for folder, w in folders if path.is_relative_to(folder)), 1.0)
    return weight


def article_page(article_id: str) -> str:
    """Return the path, in the day's folder, of the page of an article with no web address."""
    return f"articles/{hashlib.sha256(article_id.encode()).hexdigest()[:16]}.html"


def article_pages(digest: Digest, articles: Mapping[str, Article],
                  folder: Path | None = None) -> list[tuple[str, Article]]:
    """Return the pages the digest links to for articles with no web address.

    Each is (its path in the day's folder, the article), in the digest's order.
    With `folder`, only those not already there as made from the same article,
    day and templates: a rerun then hands no page to the workers (checking one
    costs a small read, making it a render). A day whose folder is not made
    yet has none there, and is not checked page by page.
    """
    pages = [(page, articles[article_id])
             for entry in (e for s in digest.sections for e in s.entries)
             for article_id, page in ((entry.id, entry.page), *((c.id, c.page) for c in entry.also))
             if page]
    if folder is None or not folder.is_dir():
        return pages
    return [(page, article) for page, article in pages
            if page_key_state(folder / page, article_page_key(article, digest)) is not True]


def page_context(digest: Digest) -> Digest:
    """Return what an article's page needs of the day's digest (its title, day and zone).

    Light to send with each batch of pages to another process.
    """
    return dataclasses.replace(digest, sections=(), failures=(), absorbed=())


def write_article_pages(pages: Sequence[tuple[str, Article]], folder: str,
                        digest: Digest) -> int:
    """Write the pages of articles with no web address; return how many were written.

    A page made from the same article, day and templates as the one on disk
    is not made again. `digest` may be `page_context`'s.
    """
    written = 0
    for page, article in pages:
        path = Path(folder) / page
        key = article_page_key(article, digest)
        state = page_key_state(path, key)
        if state is not True:
            write_file(path, render_article(article, digest, key), new=state is None)
            written += 1
    return written


def day_folder(config: Config, day: date) -> Path:
    """Return the folder of a day's files under `[output] dir`."""
    return config.output_dir / day.isoformat()


def write_pages(digest: Digest, config: Config) -> Pages:
    """Write the day's page, text and email HTML under `[output] dir`/<day>/.

    The pages of its articles with no web address (`write_article_pages`)
    are written apart, in batches.
    """
    folder = day_folder(config, digest.day)
    _link_from_previous_day(digest, config)
    email = email_parts(digest, config.email)
    return Pages(write_file(folder / "digest.html", render_html(digest)),
                 write_file(folder / "digest.txt", render_text(digest)),
                 write_file(folder / "email.html", email[1]), email)


_NO_NEXT_DAY = '<span class="next-day"></span>'


def _link_from_previous_day(digest: Digest, config: Config) -> None:
    """Give the previous day's page, written before this day existed, its link to this day."""
    if digest.previous_day is None:
        return
    page = day_folder(config, digest.previous_day) / "digest.html"
    try:
        html = page.read_text(encoding="utf-8")
    except OSError:
        return  # moved or never written: nothing to link from
    if _NO_NEXT_DAY in html:
        day = digest.day.isoformat()
        link = (f'<span class="next-day"> · <a rel="next" href="../{day}/digest.html">'
                f"{render_day(digest.day)} →</a></span>")
        write_file(page, html.replace(_NO_NEXT_DAY, link, 1))


def write_index(records: Sequence[DigestRecord], config: Config) -> Path:
    """Write the index of every digest written so far."""
    return write_file(config.output_dir / "index.html",
                      render_index(records, config.digest.title))
