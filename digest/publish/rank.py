"""Order a digest by importance, and cut it to a reading budget for the email.

A story's importance adds three signals, each on a scale where 1 is a lot:

- **Outlets**: log2 of the number of distinct outlets that covered it
  (1 outlet: 0, 2: 1, 4: 2, 8: 3). Independent outlets choosing a story is
  the editorial signal news aggregators lead with; the log keeps one
  saturated story from drowning every other.
- **Recency**: 2^(-age / 12 h) at the end of the day, so a story of the last
  hours counts up to 1 and one from the morning before about 0.1.
- **Developing**: 0.5 for a story already sent that has new reports.
- **The reader's say** (`preference`): +2 for a story matching a `[rank]
  boost` term (as much as four times the outlets), and log2 of the highest
  weight among the story's sources (a source of weight 2 counts as one more
  outlet's worth, 0.5 as one less). Stories matching a `mute` term are left
  out before ranking.

Sections are ordered by their best story, then by their size.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from digest.models import Article, Digest, DigestEntry, DigestSection

RECENCY_HALF_LIFE_HOURS = 12.0
DEVELOPING_BONUS = 0.5
BOOST_BONUS = 2.0


class Terms:
    """Words or phrases matched as whole words, in any case, on an article's title and text."""

    def __init__(self, terms: Iterable[str]) -> None:
        words = sorted({" ".join(t.casefold().split()) for t in terms if t.strip()})
        # Phrases match across any run of spaces; \b keeps "art" out of "start".
        alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I) if words else None

    def match(self, article: Article) -> bool:
        return bool(self.pattern and (self.pattern.search(article.title)
                                      or self.pattern.search(article.body)))


def preference(story: Iterable[Article], boost: Terms, weight_of: Callable[[Article], float]
               ) -> float:
    """Return the reader's say on a story: its boost and its sources' weight (see above)."""
    articles = list(story)
    weight = max((weight_of(a) for a in articles), default=1.0)
    boosted = bool(articles) and boost.match(articles[0])
    return (BOOST_BONUS if boosted else 0.0) + math.log2(weight)


def importance(entry: DigestEntry, day_end: datetime) -> float:
    """Return how important `entry` is at `day_end` (see the module's docstring)."""
    outlets = 1 + len(entry.other_outlets)
    age = max((day_end - entry.published).total_seconds() / 3600.0, 0.0)
    recency = math.pow(2.0, -age / RECENCY_HALF_LIFE_HOURS)
    return (math.log2(outlets) + recency + (DEVELOPING_BONUS if entry.developing else 0.0)
            + entry.preference)


def rank(digest: Digest, day_end: datetime) -> Digest:
    """Return `digest` with each section's stories, and the sections, most important first."""
    def order(entry: DigestEntry) -> tuple[float, float, str]:
        return (-importance(entry, day_end), -entry.published.timestamp(), entry.id)

    sections = [replace(s, entries=tuple(sorted(s.entries, key=order)))
                for s in digest.sections]
    last = [s for s in sections if s.label == "Other news"]
    ranked = sorted((s for s in sections if s.label != "Other news"),
                    key=lambda s: (order(s.entries[0]) if s.entries else (0.0, 0.0, ""),
                                   -len(s.entries), s.label))
    return replace(digest, sections=tuple(ranked + last))


def within_budget(digest: Digest, stories: int, per_section: int) -> Digest:
    """Return the `digest` cut to at most `stories` stories, `per_section` in a section.

    The digest must be ranked: each section keeps its first stories, and the
    best stories of the day are kept first. A section whose stories are all
    cut is left out; every section says how many of its stories were cut.
    """
    kept: dict[int, int] = {}
    candidates = sorted(
        ((n, i) for n, s in enumerate(digest.sections) for i in range(min(per_section,
                                                                          len(s.entries)))),
        key=lambda ni: (ni[1], ni[0]))  # the first of every section, then the seconds...
    for n, _ in candidates[:max(stories, 0)]:
        kept[n] = kept.get(n, 0) + 1
    sections = tuple(
        DigestSection(s.label, s.entries[:kept[n]], more=len(s.entries) - kept[n])
        for n, s in enumerate(digest.sections) if kept.get(n))
    return replace(digest, sections=sections)
