"""How story grouping and themes scale with the size of a day: 1k, 10k and 50k articles.

    .venv/bin/python bench/quality_scaling.py ../shared/data [--sizes 1000,10000,50000]

The BBC corpus has 2,225 articles, so bigger days are made from it: the
first 2,225 articles are the corpus itself; each later one takes its title
and a random half of its paragraphs from one BBC article and a random half
of the paragraphs of another article of the same category (related, not
identical), published at a random time within two days. Each size runs digest.stories.group_stories
(near-duplicates and same-event grouping) and digest.themes.group_by_theme
on the stories' representatives, and prints seconds per stage, the ratio to
the size before, and peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from make_eval_sets import bbc

from digest.group.stories import group_stories
from digest.group.themes import group_by_theme
from digest.models import Article


def make_day(sources: list[dict[str, str]], size: int, seed: int = 0) -> list[Article]:
    rng = random.Random(seed)
    start = datetime(2026, 11, 22, tzinfo=UTC)
    articles = []
    by_theme: dict[str, list[dict[str, str]]] = {}
    for source in sources:
        by_theme.setdefault(source["theme"], []).append(source)
    for number in range(size):
        source = sources[number % len(sources)]
        paragraphs = _paragraphs(source)
        if number >= len(sources):  # half of this article, half of another on the topic
            other = _paragraphs(rng.choice(by_theme[source["theme"]]))
            paragraphs = _half(paragraphs, rng) + _half(other, rng)
        articles.append(Article(
            id=f"{number:06d}", source=f"outlet-{number % 40}", title=source["title"],
            body="\n\n".join(paragraphs),
            published=start + timedelta(seconds=rng.randrange(2 * 86400))))
    return articles


def _paragraphs(source: dict[str, str]) -> list[str]:
    return [p for p in source["text"].split("\n") if p.strip()]


def _half(paragraphs: list[str], rng: random.Random) -> list[str]:
    keep = sorted(rng.sample(range(len(paragraphs)), max(1, len(paragraphs) // 2)))
    return [paragraphs[i] for i in keep]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    parser.add_argument("--sizes", default="1000,10000,50000")
    args = parser.parse_args()
    sources = list(bbc(args.data))
    print("| articles | stories | themes | stories s | themes s | total s | x previous |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    previous = None
    for size in (int(s) for s in args.sizes.split(",")):
        day = make_day(sources, size)
        start = time.perf_counter()
        stories = group_stories(day, language="english")
        middle = time.perf_counter()
        by_id = {a.id: a for a in day}
        themes = group_by_theme([by_id[s.representative] for s in stories], language="english")
        end = time.perf_counter()
        total = end - start
        ratio = f"{total / previous:.1f}" if previous else ""
        previous = total
        print(f"| {size:,} | {len(stories):,} | {len(themes)} | {middle - start:.1f} | "
              f"{end - middle:.1f} | {total:.1f} | {ratio} |", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
