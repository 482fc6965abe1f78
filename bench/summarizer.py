"""What a summary costs per article, against the floor of tokenising the article once.

    .venv/bin/python bench/summarizer.py ../shared/data [--runs 5] [--algorithms news,lexrank]

The BBC articles are cleaned as a run cleans them (so each carries its
language), then, alternated in one process, each run:

- floor: split the title and every paragraph into sentences with the same
  Punkt tokenizer the summarizers use, and every sentence into words: the
  least any extractive summarizer must do;
- each algorithm: `summarize_article` on every article, with its caches
  (stems) emptied first, so a run pays for what a fresh process would.

Prints milliseconds per article (median of the runs) and the ratio to the
floor measured in the same run. `--check FILE` writes every summary (JSON
lines) so that two commits' outputs can be compared text for text.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from make_eval_sets import bbc

from digest.models import Article
from digest.summarize import registry
from digest.summarize.registry import summarize_article
from digest.text.clean import build_rules, clean_articles
from digest.text.tokenizer import PunktTokenizer


def load(data: Path) -> list[Article]:
    when = datetime(2026, 11, 25, tzinfo=UTC)
    raw = [Article(id=item["id"], source="bbc", title=item["title"], body=item["text"],
                   published=when) for item in bbc(data)]
    return clean_articles(raw, build_rules())


def floor(articles: list[Article]) -> float:
    start = time.perf_counter()
    for article in articles:
        tokenizer = PunktTokenizer(article.language or "english")
        for block in (article.title, *article.body.split("\n\n")):
            for sentence in tokenizer.to_sentences(" ".join(block.split())):
                tokenizer.to_words(sentence)
    return time.perf_counter() - start


def summaries(articles: list[Article], algorithm: str) -> tuple[float, list[tuple[str, ...]]]:
    _forget()
    start = time.perf_counter()
    made = [summarize_article(a, algorithm).sentences for a in articles]
    return time.perf_counter() - start, made


def _forget() -> None:
    """Empty the per-process caches a summarizer fills (a fresh process starts without them)."""
    registry._summarizer.cache_clear()
    forget = getattr(registry, "forget_stems", None)
    if forget is not None:
        forget()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--algorithms", default="news")
    parser.add_argument("--check", type=Path, help="write every news summary here (JSON lines)")
    args = parser.parse_args()
    articles = load(args.data)
    algorithms = args.algorithms.split(",")
    for algorithm in algorithms:  # once untimed: imports, models
        summarize_article(articles[0], algorithm)
    floor(articles[:50])
    times: dict[str, list[float]] = {name: [] for name in ["floor", *algorithms]}
    ratios: dict[str, list[float]] = {name: [] for name in algorithms}
    made: list[tuple[str, ...]] = []
    for _ in range(args.runs):
        base = floor(articles)
        times["floor"].append(base)
        for algorithm in algorithms:
            seconds, found = summaries(articles, algorithm)
            times[algorithm].append(seconds)
            ratios[algorithm].append(seconds / base)
            if algorithm == "news":
                made = found
    n = len(articles)
    print(f"{n} BBC articles, median of {args.runs} runs\n")
    print("| work | ms per article | x floor (same run) |")
    print("|---|---:|---:|")
    print(f"| floor: Punkt sentences + words | {statistics.median(times['floor']) / n * 1000:.3f} "
          "| 1.0 |")
    for algorithm in algorithms:
        print(f"| {algorithm} | {statistics.median(times[algorithm]) / n * 1000:.3f} | "
              f"{statistics.median(ratios[algorithm]):.2f} |")
    if args.check and made:
        with args.check.open("w", encoding="utf-8") as handle:
            for article, sentences in zip(articles, made, strict=True):
                handle.write(json.dumps({"id": article.id, "summary": sentences}) + "\n")
        print(f"\nsummaries written to {args.check}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
