"""Near-duplicate detection on the BBC articles against the derived pairs.

    .venv/bin/python bench/near_duplicates.py [../shared/data]

../shared/data/bbc_news_summary/derived_near_duplicate_pairs.tsv lists the 169
article pairs whose 5-word-shingle Jaccard is at least 0.5 (100 exact copies
after whitespace normalisation, 69 near). This runs digest.group.stories'
near-duplicate stage (MinHash LSH candidates, checked exactly) over all 2,225
articles and prints precision and recall of the pairs it finds, and the time.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from make_eval_sets import bbc

from digest.eval.evaluate import Record, pair_scores
from digest.group.stories import near_duplicate_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    args = parser.parse_args()
    records = [Record(id=r["id"], title=r["title"], text=r["text"]) for r in bbc(args.data)]
    articles = [r.article() for r in records]
    with open(args.data / "bbc_news_summary" / "derived_near_duplicate_pairs.tsv",
              encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    gold = {frozenset((r["article_a"], r["article_b"])) for r in rows}
    start = time.perf_counter()
    found = near_duplicate_pairs(articles)
    seconds = time.perf_counter() - start
    predicted = {frozenset((articles[i].id, articles[j].id)) for i, j, _ in found}
    precision, recall = pair_scores(predicted, gold)
    exact = {frozenset((r["article_a"], r["article_b"])) for r in rows
             if r["exact_after_whitespace_norm"] == "1"}
    near = gold - exact
    print("| measure | value |\n|---|---:|")
    print(f"| articles | {len(articles):,} |")
    print(f"| gold pairs (exact / near) | {len(gold)} ({len(exact)} / {len(near)}) |")
    print(f"| pairs found | {len(predicted)} |")
    print(f"| precision | {precision:.3f} |")
    print(f"| recall | {recall:.3f} |")
    print(f"| recall on the near (not exact) pairs | {len(predicted & near) / len(near):.3f} |")
    print(f"| seconds | {seconds:.2f} |")
    missed = sorted(tuple(sorted(p)) for p in gold - predicted)
    extra = sorted(tuple(sorted(p)) for p in predicted - gold)
    if missed:
        print("\nmissed:", ", ".join(" ~ ".join(p) for p in missed[:10]))
    if extra:
        print("not in the gold list:", ", ".join(" ~ ".join(p) for p in extra[:10]))


if __name__ == "__main__":
    main()
