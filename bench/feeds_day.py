"""The captured real news feeds as one day: stories, sections, labels and summaries.

    .venv/bin/python bench/feeds_day.py ../shared/data

Reads every feed file of `rss_atom_feeds/real_news_feeds/` (BBC, NYT, NPR,
Japan Times, Aeon, Quanta) through the feed parser, cleans the items as a run
does, groups them into stories and sections, and prints each section's label
(checked against the label rules), its stories' headlines, and any summary
that still carries page furniture (credits, "Read more").
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

from digest.group.labels import label_problems
from digest.group.stories import group_stories
from digest.group.themes import group_by_theme
from digest.ingest.feeds import parse_feed
from digest.summarize.registry import summarize_article
from digest.text.clean import build_rules, clean_articles

_FURNITURE = re.compile(r"image credit|getty images|\(ap\)|read more|continue reading|"
                        r"appeared first|photo:", re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    args = parser.parse_args()
    now = datetime(2023, 11, 25, tzinfo=UTC)
    articles = []
    for path in sorted((args.data / "rss_atom_feeds" / "real_news_feeds").glob("*.xml")):
        parsed = parse_feed(path.read_bytes(), source=path.stem, feed_key=f"file:{path.name}",
                            now=now)
        articles += parsed.articles
    articles = clean_articles(articles, build_rules())
    by_id = {a.id: a for a in articles}
    stories = group_stories(articles)
    themes = group_by_theme([by_id[s.representative] for s in stories])
    members = {s.representative: s.article_ids for s in stories}
    print(f"{len(articles)} items, {len(stories)} stories, {len(themes)} sections\n")
    bad_labels = furniture = 0
    for theme in themes:
        problems = label_problems(theme.label) if theme.label != "Other news" else []
        bad_labels += bool(problems)
        print(f"## {theme.label}" + (f"  -- BAD: {problems}" if problems else ""))
        for representative in theme.article_ids:
            others = [by_id[i].source for i in members[representative][1:]]
            also = f"  (+ {', '.join(others)})" if others else ""
            print(f"- [{by_id[representative].source}] {by_id[representative].title}{also}")
            summary = " ".join(summarize_article(by_id[representative]).sentences)
            if _FURNITURE.search(summary):
                furniture += 1
                print(f"    FURNITURE in summary: {summary[:160]}")
    print(f"\nlabels with a problem: {bad_labels}; summaries with furniture: {furniture}")


if __name__ == "__main__":
    main()
