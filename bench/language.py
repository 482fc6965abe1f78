"""Language detection: py3langid one text at a time against `classify_all`, a batch at once.

    .venv/bin/python bench/language.py ../shared/data [--runs 3] [--batch 250]

The samples cleaning sends to the model (the first 1,000 characters of title
and text, whitespace collapsed) of every shared news text: the BBC articles,
the news event clusters, the CNN/DailyMail sample and the items of the feed
captures that hold other languages (heise: German, uolNoticias and
encoding.rss: Portuguese). Checks that both give the same language and the
same scores, bit for bit, for every sample; then times both, alternated,
`--runs` times, in batches of `--batch` samples (as cleaning's batches).
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import numpy as np

from digest.ingest.folder import read_folder
from digest.text.language import _identifier, classify_all, score_all

BBC = Path("bbc_news_summary") / "BBC News Summary" / "News Articles"
FEEDS = ("heise.atom", "uolNoticias.rss", "encoding.rss", "guardian.rss")


def samples(data: Path) -> list[str]:
    texts = [f"{a.title}\n{a.body}" for folder in sorted((data / BBC).iterdir())
             if folder.is_dir() for a in read_folder(str(folder)).articles]
    for path in sorted((data / "news_event_clusters" / "data").glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        texts.append(f"{item.get('title') or ''}\n{item.get('text') or ''}")
    csv.field_size_limit(sys.maxsize)
    with open(data / "cnn_dailymail_sample100" / "train_sample.csv", encoding="utf-8") as f:
        texts += [row["article"] for row in csv.DictReader(f)]
    for name in FEEDS:
        path = data / "rss_atom_feeds" / "rss_parser_fixtures" / "input" / name
        if path.exists():
            feed = feedparser.parse(path.read_bytes())
            texts += [f"{e.get('title', '')}\n{e.get('summary', '')}" for e in feed.entries]
    return [" ".join(t[:1000].split()) for t in texts if len(" ".join(t[:1000].split())) >= 20]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=250)
    args = parser.parse_args()
    texts = samples(args.data)
    identifier = _identifier()
    batches = [texts[i:i + args.batch] for i in range(0, len(texts), args.batch)]
    alone = [identifier.classify(t)[0] for t in texts]
    together = [code for batch in batches for code in classify_all(identifier, batch)]
    differ = sum(a != b for a, b in zip(alone, together, strict=True))
    # The scores themselves: py3langid's for each text against the batch's.
    batch_scores = [v for batch in batches for v in score_all(identifier, batch)]
    unequal = sum(v is None or not np.array_equal(identifier._raw_score(identifier._encode(t)), v)
                  for t, v in zip(texts, batch_scores, strict=True))
    times: dict[str, list[float]] = {"one at a time": [], "a batch at once": []}
    for _ in range(args.runs):
        start = time.perf_counter()
        for text in texts:
            identifier.classify(text)
        times["one at a time"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for batch in batches:
            classify_all(identifier, batch)
        times["a batch at once"].append(time.perf_counter() - start)
    print(f"{len(texts)} samples, languages {dict(Counter(alone).most_common())}; "
          f"batches of {args.batch}; median of {args.runs}\n")
    print(f"different languages: {differ}; different scores: {unequal}\n")
    print("| py3langid | s (range) | ms a sample |")
    print("|---|---:|---:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.3f} ({min(values):.3f}-{max(values):.3f}) "
              f"| {1000 * median / len(texts):.3f} |")
    ratio = statistics.median(a / b for a, b in zip(*times.values(), strict=True))
    print(f"\none at a time / a batch at once, run by run: {ratio:.2f}x")
    # A batch has a fixed cost (a numpy step per byte position of its longest
    # text): below some size, one at a time is cheaper.
    print("\n| samples in a batch | one at a time, ms | the batch walk (`score_all`), ms |")
    print("|---:|---:|---:|")
    for size in (1, 4, 8, 16, 32, 64):
        few = texts[:size]
        alone_ms = _ms(functools.partial(_each, identifier, few))
        batch_ms = _ms(functools.partial(score_all, identifier, few))
        print(f"| {size} | {alone_ms:.2f} | {batch_ms:.2f} |")
    return 0


def _each(identifier: Any, texts: list[str]) -> list[object]:
    return [identifier.classify(t) for t in texts]


def _ms(work: Callable[[], object], repeats: int = 20) -> float:
    """Median milliseconds of `work` over `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


if __name__ == "__main__":
    raise SystemExit(main())
