"""How far the section count of a day depends on the SVD's random draw.

    .venv/bin/python bench/svd_stability.py ../shared/data [--seeds 10]

Sections are cut where Ward's merge heights jump by `CLEAR_JUMP` or more
(`digest.group.themes._sections`), on SVD vectors of the day's TF-IDF
matrix. A randomized SVD depends on its seed; a cut that flips with the seed
is noise, not the day's shape. For the BBC day, its short items and the event
set (stories' representatives, as `bench/judgement.py` groups them), this
prints the number of sections each seed gives, for our `reduce` and, when
scikit-learn is installed, for its `TruncatedSVD` (what themes used before).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from judgement import _articles, _records, short_item
from make_eval_sets import bbc, events

from digest.group import themes
from digest.group.stories import group_stories
from digest.group.vectors import merge_heights, reduce, unit_rows


def sections(vectors: np.ndarray) -> int:
    """The number of sections `_sections` picks for these unit vectors (the whole day)."""
    return themes.section_count(merge_heights(vectors))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    bbc_articles = _articles(_records(list(bbc(args.data))))  # type: ignore[arg-type]
    days = {"BBC": bbc_articles, "BBC short items": [short_item(a) for a in bbc_articles],
            "events": _articles(_records(list(events(args.data))))}  # type: ignore[arg-type]
    try:
        from sklearn.decomposition import TruncatedSVD
    except ImportError:
        TruncatedSVD = None
    print("| day | SVD | sections per seed 0.. | distinct counts |\n|---|---|---|---|")
    for name, articles in days.items():
        by_id = {a.id: a for a in articles}
        chosen = sorted((by_id[s.representative] for s in group_stories(articles)),
                        key=lambda a: a.id)
        matrix, _ = themes._tfidf(chosen, "english")
        rank = min(themes.SECTION_SVD_COMPONENTS, matrix.shape[1] - 1, len(chosen) - 1)
        found = {"ours": [sections(unit_rows(reduce(matrix, rank, seed)))
                          for seed in range(args.seeds)]}
        if TruncatedSVD is not None:
            found["scikit-learn"] = [
                sections(unit_rows(TruncatedSVD(rank, random_state=seed).fit_transform(matrix)))
                for seed in range(args.seeds)]
        for method, counts in found.items():
            tally = ", ".join(f"{k}: {n}x" for k, n in sorted(Counter(counts).items()))
            print(f"| {name} | {method} | {' '.join(map(str, counts))} | {tally} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
