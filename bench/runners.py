"""Time a cold BBC day on each task runner, side by side, and check they make the same digest.

    .venv/bin/python bench/runners.py ../shared/data [--runs 3] [--workers 2]

Runs the one pipeline (digest.pipeline.run_in_process) from an empty store
with `[run] task_runner` = threads, processes and dask (a local cluster of
`--workers` processes), in turn, `--runs` times; prints the median seconds,
the speed-up over threads, and whether each runner's page, text and email are
byte for byte those of threads. Each run is a fresh Python process (as a
`digest run` is); its time counts pool and cluster start-up, not the imports of
the main process. The decoded models (`[store] cache_dir`) are made once, before
the timed runs, in a folder they share, as a daily run finds them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from digest.config import Config, OutputConfig, RunConfig, SourcesConfig, StoreConfig
from digest.pipeline import run_in_process

BBC = Path("bbc_news_summary") / "BBC News Summary" / "News Articles"
RUNNERS = ("threads", "processes", "dask")


def one_run(folders: tuple[str, ...], runner: str, workers: int, day: date, models: str,
            ) -> tuple[float, tuple[bytes, ...], int]:
    with tempfile.TemporaryDirectory(prefix="digest-runners-") as tmp:
        config = Config(sources=SourcesConfig(folders=folders),
                        store=StoreConfig(path=f"{tmp}/digest.db", cache_dir=models),
                        output=OutputConfig(dir=f"{tmp}/out"),
                        run=RunConfig(task_runner=runner, workers=workers))
        start = time.perf_counter()
        result = run_in_process(config, day, send=False)
        seconds = time.perf_counter() - start
        pages = tuple(p.read_bytes() for p in (result.published.html, result.published.text,
                                               result.published.email_html))
        return seconds, pages, result.counts.stories


def in_fresh_process(data: Path, runner: str, workers: int, models: str
                     ) -> tuple[float, str, int]:
    done = subprocess.run([sys.executable, __file__, str(data), "--one", runner,
                           "--workers", str(workers), "--model-cache", models],
                          capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.splitlines()[-1])
    return found["seconds"], found["digest"], found["stories"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder (../shared/data)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", choices=RUNNERS, help=argparse.SUPPRESS)
    parser.add_argument("--model-cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        root = args.data / BBC
        folders = tuple(sorted(str(p) for p in root.iterdir() if p.is_dir()))
        seconds, made, stories = one_run(folders, args.one, args.workers, date.today(),
                                         args.model_cache)
        print(json.dumps({"seconds": seconds, "stories": stories,
                          "digest": hashlib.sha256(b"\0".join(made)).hexdigest()}))
        return 0
    root = args.data / BBC
    folders = tuple(sorted(str(p) for p in root.iterdir() if p.is_dir()))
    if not folders:
        print(f"{root}: no category folders found", file=sys.stderr)
        return 1
    models = tempfile.mkdtemp(prefix="digest-models-")
    subprocess.run([sys.executable, "-c", "import sys\n"
                    "from digest.pipeline import warm_up\n"
                    "from digest.text import modelcache\n"
                    "modelcache.use(sys.argv[1])\n"
                    "warm_up()", models], check=True)
    times: dict[str, list[float]] = {r: [] for r in RUNNERS}
    pages: dict[str, str] = {}
    stories = 0
    for _ in range(args.runs):
        for runner in RUNNERS:
            seconds, made, stories = in_fresh_process(args.data, runner, args.workers, models)
            times[runner].append(seconds)
            pages.setdefault(runner, made)
            if made != pages[runner]:
                print(f"warning: {runner} made a different digest from one run to the next")
    shutil.rmtree(models)
    base = statistics.median(times["threads"])
    print(f"BBC News Summary, {stories} stories, cold, {args.workers} workers, "
          f"median of {args.runs} runs (runners alternated)\n")
    print("| task runner | seconds | speed-up over threads | same digest as threads |")
    print("|---|---:|---:|---|")
    for runner in RUNNERS:
        median = statistics.median(times[runner])
        same = "yes" if pages[runner] == pages["threads"] else "NO"
        print(f"| {runner} | {median:.2f} | {base / median:.2f}x | {same} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
