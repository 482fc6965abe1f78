"""How story grouping and themes scale with the size of a day: 1k, 10k and 50k articles.

    .venv/bin/python bench/quality_scaling.py ../shared/data [--sizes 1000,10000,50000] [--runs 3]

The BBC corpus has 2,225 articles, so bigger days are made from it: the
first 2,225 articles are the corpus itself; each later one takes its title
and a random half of its paragraphs from one BBC article and a random half
of the paragraphs of another article of the same category (related, not
identical), published at a random time within two days. Each size runs digest.stories.group_stories
(near-duplicates and same-event grouping) and digest.themes.group_by_theme
on the stories' representatives, each size in a fresh process after an
untimed warm-up on a small day, the sizes in turn within each of `--runs`
runs. It prints seconds per stage (the median run), the growth over the
size before (the median of each run's own ratio, so a drift of the
machine's speed between runs does not enter it) and that growth per
tenfold (the size ratio's log10-th root), and the process's peak memory (in
brackets: what the day's grouping added to the process holding the day's
articles).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import statistics
import subprocess
import sys
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


def one_size(data: Path, size: int) -> dict[str, float]:
    """Group a day of `size` articles in this process, after a warm-up; return the figures."""
    sources = list(bbc(data))
    # Warm-up, untimed: imports, the word-rarity table, the first numpy and
    # sklearn calls. Without it the smallest size pays for them.
    warm = make_day(sources, 300, seed=1)
    warm_stories = group_stories(warm, language="english")
    group_by_theme([a for a in warm if a.id in {s.representative for s in warm_stories}],
                   language="english")
    day = make_day(sources, size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    stories = group_stories(day, language="english")
    middle = time.perf_counter()
    by_id = {a.id: a for a in day}
    themes = group_by_theme([by_id[s.representative] for s in stories], language="english")
    end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "stories": len(stories), "themes": len(themes),
            "stories_s": middle - start, "themes_s": end - middle, "peak": peak,
            "before": before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs over every size, a fresh process each (median)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a size, in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.data, args.one)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    # Each size in a fresh process (its own peak memory, no heap left by the
    # last), the sizes taken in turn within each run: the machine's speed
    # drifts over an hour, and a ratio is fair only between neighbours in time.
    runs: list[list[dict[str, float]]] = []
    for _ in range(args.runs):
        runs.append([json.loads(subprocess.run(
            [sys.executable, __file__, str(args.data), "--one", str(size)],
            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
            for size in sizes])
    print("| articles | stories | themes | stories s | x previous | per 10x articles | "
          "themes s | peak MiB (day alone) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, size in enumerate(sizes):
        rows = sorted((run[n] for run in runs), key=lambda r: r["stories_s"])
        row = rows[len(rows) // 2]  # the median run (by story time)
        ratio = per10 = ""
        if n:
            # The median over runs of each run's own ratio to the size before.
            growth = statistics.median(run[n]["stories_s"] / run[n - 1]["stories_s"]
                                       for run in runs)
            ratio = f"{growth:.1f}"
            per10 = f"{growth ** (1 / math.log10(size / sizes[n - 1])):.1f}"
        print(f"| {size:,} | {row['stories']:,} | {row['themes']} | {row['stories_s']:.1f} | "
              f"{ratio} | {per10} | {row['themes_s']:.1f} | {row['peak']:.0f} "
              f"({row['peak'] - row['before']:.0f}) |")
    if len(sizes) > 2:
        growth = statistics.median(run[-1]["stories_s"] / run[0]["stories_s"] for run in runs)
        print(f"\n{sizes[0]:,} -> {sizes[-1]:,}: {growth:.1f}x, "
              f"{growth ** (1 / math.log10(sizes[-1] / sizes[0])):.1f} per 10x articles "
              f"(median over the {len(runs)} runs of each run's ratio)")


if __name__ == "__main__":
    main()
