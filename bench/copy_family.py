"""Story grouping with one wire story carried by hundreds or thousands of outlets.

    .venv/bin/python bench/copy_family.py ../shared/data [--copies 0,1000,3000,10000]

The day is bench/quality_scaling.py's synthetic day of 2,000 articles plus
N copies of its first article, each under a dateline and a copyright line
of its own (so no two are the same text, and the folder stage's exact
duplicate check keeps them all). Each size runs `group_stories` in a fresh
process and prints its seconds, its stories, the largest story and the
process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from make_eval_sets import bbc
from quality_scaling import make_day

from digest.group.stories import group_stories


def one(data: Path, copies: int) -> dict[str, float]:
    day = make_day(list(bbc(data)), 2000)
    first = day[0]
    day += [replace(first, id=f"copy-{n:06d}", source=f"wire-{n}",
                    body=f"CITY{n} (Newswire) - {first.body} Copyright {n} Wire{n} Media.")
            for n in range(copies)]
    start = time.perf_counter()
    stories = group_stories(day, language="english")
    seconds = time.perf_counter() - start
    return {"copies": copies, "seconds": seconds, "stories": len(stories),
            "largest": max(len(s.article_ids) for s in stories),
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    parser.add_argument("--copies", default="0,1000,3000,10000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a size, in this process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.data, args.one)))
        return
    print("| copies | story grouping s | stories | largest story | peak MiB |")
    print("|---:|---:|---:|---:|---:|")
    for copies in (int(c) for c in args.copies.split(",")):
        row = json.loads(subprocess.run(
            [sys.executable, __file__, str(args.data), "--one", str(copies)],
            capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        print(f"| {copies:,} | {row['seconds']:.2f} | {row['stories']:,} | {row['largest']:,} "
              f"| {row['peak']:,.0f} |")


if __name__ == "__main__":
    main()
