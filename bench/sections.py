"""Sections on days of every kind: how many, what share in "Other news", and how alike.

    .venv/bin/python bench/sections.py ../shared/data

Groups each day as a digest does (stories, then sections of their lead
articles) and prints, per section, its stories, how alike they are (the mean
cosine of their pairs in the TF-IDF space of `digest.group.themes`, as a
multiple of the whole day's) and its label; where the articles have known themes
(the BBC categories, the events' topics), the day's NMI against them. The days:

- the captured real feeds (`rss_atom_feeds/real_news_feeds/`) as one day;
- the CNN/DailyMail sample (100 unrelated articles, no headlines);
- the 2,225 BBC articles, and their short items (headline and first sentence);
- the 298 news-event articles;
- seeded random days of 60 to 300: half BBC, half event articles, and BBC
  short items alone (the ordinary mixed day of a few feeds);
- seeded random days of 100 to 298 of the event articles' short items.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from judgement import _articles, _records, short_item
from make_eval_sets import bbc, cnn_dailymail, events

from digest.eval.evaluate import nmi_ari
from digest.group.stories import group_stories
from digest.group.themes import _tfidf, group_by_theme
from digest.ingest.feeds import parse_feed
from digest.models import Article
from digest.text.clean import build_rules, clean_articles

OTHER_NEWS = "Other news"


def report(name: str, articles: Sequence[Article], gold: dict[str, str] | None = None) -> None:
    """Print the day's sections; with `gold` themes (article id -> theme), also the NMI."""
    stories = group_stories(articles)
    by_id = {a.id: a for a in articles}
    leads = sorted((by_id[s.representative] for s in stories), key=lambda a: a.id)
    themes = group_by_theme(leads)
    row = {a.id: i for i, a in enumerate(leads)}
    matrix, _ = _tfidf(leads, "english")

    def mean_pair(rows: list[int]) -> float:
        total = np.asarray(matrix[rows].sum(axis=0)).ravel()
        own = float(matrix[rows].multiply(matrix[rows]).sum())
        return float(total @ total - own) / (len(rows) * (len(rows) - 1))

    day = mean_pair(list(range(len(leads))))
    other = sum(len(t.article_ids) for t in themes if t.label == OTHER_NEWS)
    score = ""
    if gold:
        members = {s.representative: s.article_ids for s in stories}
        section_of = {i: str(n) for n, t in enumerate(themes)
                      for lead in t.article_ids for i in members[lead]}
        score = f", NMI {nmi_ari(section_of, gold)[0]:.3f}"
    print(f"## {name}: {len(leads)} stories, {len(themes)} sections, "
          f"{other / len(leads):.0%} in {OTHER_NEWS!r}{score}")
    for theme in themes:
        rows = [row[i] for i in theme.article_ids]
        alike = f"{mean_pair(rows) / day:5.2f}x" if len(rows) > 1 and day > 0 else "    -"
        print(f"  {len(rows):5d}  {alike}  {theme.label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    args = parser.parse_args()
    feeds: list[Article] = []
    now = datetime(2023, 11, 25, tzinfo=UTC)
    for path in sorted((args.data / "rss_atom_feeds" / "real_news_feeds").glob("*.xml")):
        feeds += parse_feed(path.read_bytes(), source=path.stem, feed_key=f"file:{path.name}",
                            now=now).articles
    report("real feeds, one day", clean_articles(feeds, build_rules()))
    report("CNN/DailyMail 100", _articles(_records(list(cnn_dailymail(args.data)))))
    bbc_records = _records(list(bbc(args.data)))  # type: ignore[arg-type]
    event_records = _records(list(events(args.data)))  # type: ignore[arg-type]
    gold = {r.id: r.theme or "" for r in [*bbc_records, *event_records]}
    bbc_articles = _articles(bbc_records)
    report("BBC 2,225", bbc_articles, gold)
    report("BBC short items", [short_item(a) for a in bbc_articles], gold)
    event_articles = _articles(event_records)
    report("events 298", event_articles, gold)
    rng = random.Random(1)
    for size in (60, 100, 150, 300):
        for draw in (1, 2):
            report(f"random day of {size} ({draw}): BBC and events",
                   rng.sample(bbc_articles, size // 2) + rng.sample(event_articles, size // 2),
                   gold)
            report(f"random day of {size} ({draw}): BBC short items",
                   [short_item(a) for a in rng.sample(bbc_articles, size)], gold)
    # The event articles as feed items (headline and first sentence): many
    # reports of few events, as a day of several outlets' feeds.
    for size in (100, 200, 298):
        report(f"random day of {size}: event short items",
               [short_item(a) for a in rng.sample(event_articles, size)], gold)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
