"""Time the library pipeline (no Prefect) on the BBC News Summary articles.

    .venv/bin/python bench/pipeline.py ../shared/data [--runs 3] [--folders DIR ...]

Each run starts from an empty store (cold), then runs again on the same store
for the same day (everything cached). `--folders seeds` times a small day
instead (the three sample articles). Prints seconds per stage, articles per
second and the process's peak memory.

Each run's store and pages go in a new folder under `--keep DIR` (by
default digest-bench in the system's temporary folder), left there: remove
DIR after the last run, not between runs. ext4 without a journal, as on
this machine, skips inodes freed in the last minute or more when it makes a
file (`recently_deleted` in the kernel's fs/ext4/ialloc.c), so a run that
starts just after thousands of files were deleted pays many times the
normal cost for each page it writes (measured here: 0.5-0.8 ms of system
time a file instead of about 0.04). A daily run does not delete thousands
of files before it writes its pages. `--discard` deletes each run's folder
after it, as this script did by default before: the next cold run then
pays for those deletions.

The decoded models (`[store] cache_dir`) are kept in DIR/model-cache (or
`--model-cache DIR`), as a daily run finds them from the day before: only
the first cold run in a new DIR decodes and writes them. With `--first-run`
each run's store gets its own, so every cold run decodes them, as a
machine's very first run does.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from digest.config import Config, OutputConfig, RunConfig, SourcesConfig, StoreConfig
from digest.models import DigestCounts
from digest.pipeline import run_in_process

STAGES = ("recall-feeds", "read-folder", "recall-cleaned", "clean", "recall-articles", "dedup",
          "recall-summaries", "recall-stories", "recall-leads", "recall-themes",
          "story-leads", "stories", "summarize", "themes", "article-pages", "publish", "write",
          "index", "deliver")
BBC = Path("bbc_news_summary") / "BBC News Summary" / "News Articles"


def one_run(config: Config, day: date) -> tuple[dict[str, float], float, DigestCounts]:
    stages: dict[str, float] = {}
    start = time.perf_counter()
    result = run_in_process(config, day,
                            on_stage=lambda name, secs: stages.__setitem__(name, secs))
    return stages, time.perf_counter() - start, result.counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder (../shared/data)")
    parser.add_argument("--runs", type=int, default=3, help="cold+warm pairs to take medians of")
    parser.add_argument("--task-runner", default="auto", help="[run] task_runner (auto)")
    parser.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()) / "digest-bench",
                        help="make each run's store and pages under this folder, never deleted "
                             "(default: %(default)s)")
    parser.add_argument("--discard", action="store_true",
                        help="delete each run's folder after it (the next run pays for that)")
    parser.add_argument("--first-run", action="store_true",
                        help="every cold run decodes the models anew, as a first run does")
    parser.add_argument("--batch-size", type=int, help="[run] batch_size (default: 250)")
    parser.add_argument("--model-cache", type=Path,
                        help="the decoded models' folder (default: KEEP/model-cache)")
    parser.add_argument("--folders", nargs="+", type=Path,
                        help="these folders instead of the BBC's (e.g. seeds: a small day)")
    args = parser.parse_args()
    root = args.data / BBC
    folders = (sorted(str(p.resolve()) for p in args.folders) if args.folders
               else sorted(str(p) for p in root.iterdir() if p.is_dir()))
    if not folders:
        print(f"{root}: no category folders found", file=sys.stderr)
        return 1
    cold: list[tuple[dict[str, float], float]] = []
    warm: list[tuple[dict[str, float], float]] = []
    counts = DigestCounts()
    # Folder articles are dated by their files' times: the day is today, so none is later.
    day = date.today()
    models = None if args.first_run else (args.model_cache or args.keep / "model-cache")
    args.keep.mkdir(parents=True, exist_ok=True)
    for _ in range(args.runs):
        with (tempfile.TemporaryDirectory(prefix="digest-bench-", dir=args.keep) if args.discard
              else contextlib.nullcontext(tempfile.mkdtemp(prefix="digest-bench-",
                                                           dir=args.keep))) as tmp:
            config = Config(
                sources=SourcesConfig(folders=tuple(folders)),
                store=StoreConfig(path=f"{tmp}/digest.db",
                                  cache_dir=str(models.resolve()) if models else ""),
                output=OutputConfig(dir=f"{tmp}/out"),
                run=RunConfig(task_runner=args.task_runner,
                              batch_size=args.batch_size or RunConfig.batch_size),
            )
            stages, total, counts = one_run(config, day)
            cold.append((stages, total))
            stages, total, _ = one_run(config, day)
            warm.append((stages, total))
    count = counts.read
    print(f"{count} articles read from {len(folders)} folders, {counts.duplicates} exact "
          f"duplicates dropped, {counts.articles} in the digest as {counts.stories} stories, "
          f"{counts.themes} themes; "
          f"median of {args.runs} runs\n")
    print("| stage | cold (s) | cached rerun (s) |")
    print("|---|---:|---:|")
    for name in STAGES:
        c = statistics.median(s.get(name, 0.0) for s, _ in cold)
        w = statistics.median(s.get(name, 0.0) for s, _ in warm)
        print(f"| {name} | {c:.2f} | {w:.2f} |")
    c_total = statistics.median(t for _, t in cold)
    w_total = statistics.median(t for _, t in warm)
    print(f"| **total** | **{c_total:.2f}** | **{w_total:.2f}** |")
    print(f"| articles/s | {count / c_total:.0f} | {count / w_total:.0f} |")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS of the process): {peak_mib:.0f} MiB")
    if not args.discard:
        print(f"each run's store and pages are kept in {args.keep}: remove it after the last "
              "run, not between runs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
