"""The day's digest composed from the stages' results, and its files written."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
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
from digest.publish.rank import rank
from digest.publish.render import (
    assemble_digest,
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
) -> Digest:
    """Return the day's digest, ranked, linked to its page when `[output] base_url` is set."""
    digest = rank(assemble_digest(day, config.digest.title, themes, articles, summaries, counts,
                                  problems, config.digest.timezone, stories.coverage,
                                  stories.developing, stories.absorbed), day_end)
    if config.output.base_url:
        page = f"{config.output.base_url.rstrip('/')}/{day.isoformat()}/digest.html"
        digest = dataclasses.replace(digest, page_url=safe_url(page))
    return digest


def write_pages(digest: Digest, config: Config) -> Pages:
    """Write the day's page, text and email HTML under `[output] dir`/<day>/."""
    folder = config.output_dir / digest.day.isoformat()
    email = email_parts(digest, config.email)
    return Pages(write_file(folder / "digest.html", render_html(digest)),
                 write_file(folder / "digest.txt", render_text(digest)),
                 write_file(folder / "email.html", email[1]), email)


def write_index(records: Sequence[DigestRecord], config: Config) -> Path:
    """Write the index of every digest written so far."""
    return write_file(config.output_dir / "index.html",
                      render_index(records, config.digest.title))
