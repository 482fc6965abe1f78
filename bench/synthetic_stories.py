"""How well story grouping finds the synthetic days' own stories.

    .venv/bin/python bench/synthetic_stories.py ../shared/data [--sizes 10000,50000]

bench/quality_scaling.py's days: past the 2,225th, each article takes the
title and half the paragraphs of one BBC article and half the paragraphs of
another of its category. Taking each article's first BBC article as its
story (the one whose title it carries), this prints the stories found, the
B-cubed precision, recall and F1 against that, and how many articles were
merged as near-copies. The truth here is made, not labelled: each article
is half another article, so read it beside the dev sets of bench/judgement.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from make_eval_sets import bbc
from quality_scaling import make_day

from digest.eval.evaluate import bcubed
from digest.group.stories import group_stories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    parser.add_argument("--sizes", default="10000,50000")
    args = parser.parse_args()
    sources = list(bbc(args.data))
    print("| articles | stories | B-cubed P | R | F1 | merged as near-copies |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        day = make_day(sources, size)
        truth = {a.id: str(int(a.id) % len(sources)) for a in day}  # make_day's numbering
        stories = group_stories(day, language="english")
        found = {i: s.id for s in stories for i in s.article_ids}
        p, r, f1 = bcubed(found, truth)
        copies = sum(len(s.near_duplicates) for s in stories)
        print(f"| {size:,} | {len(stories):,} | {p:.3f} | {r:.3f} | {f1:.3f} | {copies:,} |")


if __name__ == "__main__":
    main()
