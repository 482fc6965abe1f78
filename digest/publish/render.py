"""Render a digest to HTML and plain text with Jinja2, and write the files."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import css_inline
import jinja2

from digest.errors import DeliveryError
from digest.models import (
    Article,
    ArticleSummary,
    Coverage,
    Digest,
    DigestCounts,
    DigestEntry,
    DigestRecord,
    DigestSection,
    SourceProblem,
    Theme,
)
from digest.text import modelcache
from digest.text.keys import fingerprint, is_web_url

log = logging.getLogger(__name__)


def assemble_digest(
    day: date,
    title: str,
    themes: Sequence[Theme],
    articles: Mapping[str, Article],
    summaries: Mapping[str, ArticleSummary],
    counts: DigestCounts,
    failures: Sequence[SourceProblem] = (),
    timezone: str = "UTC",
    coverage: Mapping[str, Sequence[str]] | None = None,
    developing: Mapping[str, tuple[int, date]] | None = None,
    absorbed: Sequence[str] = (),
    preferences: Mapping[str, float] | None = None,
    pages: Mapping[str, str] | None = None,
) -> Digest:
    """Return the digest of `day`: each theme a section, each story an entry.

    Themes list the stories' representative articles; `coverage` maps a
    representative's id to the other articles of its story. `preferences`
    maps a representative's id to the reader's say on it (ranking), `pages`
    an article's id to its own page when it has no web address.
    """
    coverage = coverage or {}
    developing = developing or {}
    preferences = preferences or {}
    pages = pages or {}
    sections = []
    for theme in themes:
        entries = tuple(
            DigestEntry(
                id=article.id,
                title=article.title,
                source=article.source,
                published=article.published,
                summary=summaries[article.id].sentences if article.id in summaries else (),
                url=safe_url(article.url),
                also=tuple(Coverage(o.id, o.source, o.title, safe_url(o.url), pages.get(o.id))
                           for o in (articles[i] for i in coverage.get(article.id, ()))),
                developing=developing.get(article.id, (0, None))[0],
                first_shown=developing.get(article.id, (0, None))[1],
                preference=preferences.get(article.id, 0.0),
                page=pages.get(article.id),
            )
            for article in (articles[i] for i in theme.article_ids)
        )
        sections.append(DigestSection(theme.label, entries))
    return Digest(day, title, tuple(sections), counts, tuple(failures), timezone,
                  tuple(absorbed))


def safe_url(url: str | None) -> str | None:
    """Return `url` if it is an http(s) link, else None (no javascript: or data: links)."""
    return url.strip() if url and is_web_url(url) else None


def render_html(digest: Digest) -> str:
    """Return the digest as a standalone HTML page (CSS inside, everything escaped)."""
    return _environment().get_template("digest.html.j2").render(digest=digest)


def render_text(digest: Digest) -> str:
    """Return the digest as plain text, wrapped for reading in a terminal or mail client."""
    return _environment().get_template("digest.txt.j2").render(digest=digest)


def render_email_html(
    digest: Digest, unsubscribe: str | None = None
) -> str:
    """Return the digest as email HTML: tables, one column, every CSS rule inlined.

    The <style> block stays for the @media rules (dark mode, narrow screens)
    that cannot be inlined; clients that drop it still get the inlined styles.
    """
    html = _environment().get_template("email.html.j2").render(
        digest=digest, unsubscribe=safe_url(unsubscribe) or _mailto(unsubscribe))
    inliner = css_inline.CSSInliner(keep_style_tags=True, keep_at_rules=True,
                                    load_remote_stylesheets=False)
    return str(inliner.inline(html))


def _mailto(value: str | None) -> str | None:
    return value if value and value.startswith("mailto:") and "\n" not in value else None


def render_article(article: Article, digest: Digest, key: str = "") -> str:
    """Return the page of one article that has no web address of its own (a folder file).

    The page names a hash of all it is made from (`article_page_key`; `key`
    when the caller has it already), so a rerun can tell an unchanged page
    without making it again.
    """
    paragraphs = [" ".join(p.split()) for p in article.body.split("\n\n") if p.strip()]
    return _environment().get_template("article.html.j2").render(
        article=article, paragraphs=paragraphs, digest=digest,
        key=key or article_page_key(article, digest))


def article_page_key(article: Article, digest: Digest) -> str:
    """Return a hash of what an article's page is made from: the article, the day, the code."""
    return fingerprint(_templates_version("article.html.j2", "_style.css.j2"), article.id,
                       article.source, article.title, article.body,
                       article.published.isoformat(), digest.title, digest.day.isoformat(),
                       digest.timezone)


def page_key_state(path: Path, key: str) -> bool | None:
    """Whether the page at `path` was made from what `key` hashes; None when there is no page."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_KEY_WITHIN)
    except FileNotFoundError:
        return None
    except OSError:
        return False
    return f'<meta name="digest-key" content="{key}">'.encode() in head


_KEY_WITHIN = 400  # bytes from the start of a page within which its key is written


@lru_cache(maxsize=8)
def _templates_version(*names: str) -> str:
    environment = _environment()
    assert environment.loader is not None
    return fingerprint(*(environment.loader.get_source(environment, n)[0] for n in names))


def render_index(records: Sequence[DigestRecord], title: str) -> str:
    """Return the index page linking every digest made so far, newest first."""
    return _environment().get_template("index.html.j2").render(
        records=records, title=title
    )


def write_file(path: Path, content: str, *, new: bool = False) -> Path:
    """Write `content` to `path` atomically, so a crash never leaves half a page.

    A file that already says exactly this is left as it is (a rerun rewrites
    nothing that did not change). `new`: the caller found no file at `path`
    a moment ago, so there is nothing to compare (its folder may not exist).
    """
    if not new:
        try:
            if path.read_text(encoding="utf-8") == content:
                return path
        except (OSError, UnicodeDecodeError):
            pass  # not there yet, or not ours to compare: written below
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        # mkstemp makes the file private (0600); a page is for a web server to
        # serve: readable by all, as the user's umask allows.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        raise DeliveryError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _local_time(moment: datetime, zone: str, year: int | None = None) -> str:
    """Return `moment` in `zone` as "25 Nov 20:04", with its year when not `year`."""
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%d %b %H:%M" if year in (None, local.year) else "%d %b %Y %H:%M")


def _href(item: DigestEntry | Coverage, base: str | None = "") -> str | None:
    """Return where a story or report links: its web address, else its own page.

    The page is relative to the day's folder (`base` ""), or under `base`
    (the day's folder on the web); with `base` None (an email without
    `[output] base_url`) there is nowhere to link it.
    """
    if item.url:
        return item.url
    if item.page is None or base is None:
        return None
    return f"{base}/{item.page}" if base else item.page


def render_day(day: date) -> str:
    """Return a day as pages name it: "Friday 20 November 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _plural(count: int, word: str, many: str = "") -> str:
    return f"{count} {word}" if count == 1 else f"{count} {many or word + 's'}"


def _environment() -> jinja2.Environment:
    return _environment_in(modelcache.folder())


@lru_cache(maxsize=4)
def _environment_in(folder: Path | None) -> jinja2.Environment:
    env = jinja2.Environment(
        # The templates are package data: an installed wheel renders like a checkout.
        loader=jinja2.PackageLoader("digest.publish", "templates"),
        bytecode_cache=_CompiledTemplates(folder) if folder else None,
        # .j2 templates named *.html.j2 are escaped; the text template is not HTML.
        autoescape=lambda name: bool(name) and ".html" in str(name),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Installed templates change only with the package, and so with the
        # process: no look at their files' times on every page.
        auto_reload=False,
    )
    env.filters["local_time"] = _local_time
    env.filters["long_date"] = render_day
    env.filters["plural"] = _plural
    env.filters["slug"] = lambda i: f"theme-{i}"
    env.filters["href"] = _href
    env.filters["wrap"] = wrap
    return env


# The cache folders already warned about (once a process each).
_WARNED: set[str] = set()


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """The templates compiled once and kept with the decoded models (`[store] cache_dir`).

    Compiling the day's templates took about 60 ms of every run, cold or
    rerun, and each pool worker compiled the article page's again
    (bench/README.md, "the eleventh session"). Jinja2 checks each kept copy
    against its template's source and this Python's version; the names carry
    Jinja2's version too. A copy that cannot be read is compiled again, one
    that cannot be kept is not (one warning), and the run goes on.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder), f"jinja2-{jinja2.__version__}-%s.cache")

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # cut short or unreadable: compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError as exc:
            if self.directory not in _WARNED:
                _WARNED.add(self.directory)
                log.warning("model cache %s: cannot keep the compiled templates there (%s); "
                            "they are compiled again on each run", self.directory,
                            exc.strerror or exc)


def wrap(text: str, width: int, indent: str = "") -> str:
    """Return `text` in lines of at most `width` characters, the later ones after `indent`.

    Lines break between words only: a word longer than the line (a link)
    gets a line of its own, whole, so it still works when copied.
    """
    return f"\n{indent}".join(_lines(max(width, 1)).findall(" ".join(text.split())))


@lru_cache(maxsize=16)
def _lines(width: int) -> re.Pattern[str]:
    """The lines of a text whose words are one space apart, `width` long at most, greedily.

    A line is the longest run of whole words that fits (it ends before a
    space or at the end), or else one word on its own, however long.
    """
    return re.compile(f"[^ ].{{0,{width - 1}}}(?= |$)|[^ ]+")
