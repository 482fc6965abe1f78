"""Time a cold run of feeds only: the captured real feeds served over local HTTP with latency.

    .venv/bin/python bench/feed_run.py ../shared/data [--latency 0.5] [--task-runner auto]

Serves every file of `rss_atom_feeds/real_news_feeds/` from 127.0.0.1, each
response held back `--latency` seconds (a far news site's round trips and
its server's time), and runs the day's digest once in this process (no
Prefect) on an empty store: the run a schedule makes each morning. Prints
seconds per stage and in all. Run it in a fresh process each time: the
models are loaded once per process.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from localhttp import Handler, serving

from digest.config import (
    Config,
    FeedConfig,
    OutputConfig,
    RunConfig,
    SourcesConfig,
    StoreConfig,
)
from digest.pipeline import run_in_process

FEEDS = Path("rss_atom_feeds") / "real_news_feeds"


def handler(documents: dict[str, bytes], latency: float) -> type[Handler]:
    class Feeds(Handler):
        def do_GET(self) -> None:
            time.sleep(latency)
            body = documents.get(self.path)
            if body is None:
                self.send_body(404, b"", {})
                return
            self.send_body(200, body, {"Content-Type": "application/xml"})

    return Feeds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder (../shared/data)")
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--task-runner", default="auto", help="[run] task_runner (auto)")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2023, 11, 25),
                        help="the digest's day (the captured feeds' last day)")
    args = parser.parse_args()
    documents = {f"/{p.name}": p.read_bytes() for p in sorted((args.data / FEEDS).glob("*.xml"))}
    stages: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="digest-feeds-") as tmp, \
            serving(handler(documents, args.latency)) as base:
        config = Config(
            sources=SourcesConfig(folders=(), feeds=tuple(FeedConfig(url=f"{base}{path}")
                                                          for path in documents)),
            store=StoreConfig(path=f"{tmp}/digest.db"), output=OutputConfig(dir=f"{tmp}/out"),
            run=RunConfig(task_runner=args.task_runner))
        start = time.perf_counter()
        result = run_in_process(config, args.day, send=False,
                                on_stage=lambda name, secs: stages.__setitem__(name, secs))
        total = time.perf_counter() - start
    print(f"{len(documents)} feeds, {args.latency} s latency: {result.counts.read} items, "
          f"{result.counts.stories} stories\n")
    print("| stage | s |\n|---|---:|")
    for name, secs in stages.items():
        if secs >= 0.005:
            print(f"| {name} | {secs:.2f} |")
    print(f"| **total** | **{total:.2f}** |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
