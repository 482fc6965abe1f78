"""Ingest every file of the shared feed corpus through the project's own feed code.

    .venv/bin/python bench/feeds_corpus.py ../shared/data/rss_atom_feeds

Each file is served from a local HTTP server (127.0.0.1) and read as a
configured feed: fetch (digest.ingest.fetch), parse (digest.ingest.feeds), clean, dedup and
store (digest.pipeline, digest.store) into a throwaway store. Prints files,
entries parsed and stored, files with a recorded problem, files that are not
feeds, exceptions (must be 0) and time.
"""

from __future__ import annotations

import argparse
import logging
import mimetypes
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

from localhttp import Handler, serving, store_feed_reads

from digest.config import Config, FeedConfig, FetchConfig, SourcesConfig, StoreConfig
from digest.ingest.fetch import HostLimiter, make_client
from digest.pipeline import FeedJob, read_one_feed
from digest.store import Store


def corpus_handler(root: Path) -> type[Handler]:
    class Files(Handler):
        def do_GET(self) -> None:
            path = (root / unquote(self.path.lstrip("/"))).resolve()
            if root not in path.parents or not path.is_file():
                self.send_body(404, b"not found", {})
                return
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self.send_body(200, path.read_bytes(), {"Content-Type": kind})

    return Files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="../shared/data/rss_atom_feeds")
    args = parser.parse_args()
    root = args.corpus.resolve()
    logging.getLogger("digest").setLevel(logging.ERROR)  # problems are counted, not printed
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "README.md")
    if not files:
        print(f"{root}: no files", file=sys.stderr)
        return 1
    now = datetime.now(UTC)
    exceptions: list[str] = []
    problems: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="digest-feeds-") as tmp, serving(
            corpus_handler(root)) as base:
        config = Config(sources=SourcesConfig(folders=()), store=StoreConfig(f"{tmp}/d.db"),
                        fetch=FetchConfig(workers=1))
        feeds = [FeedConfig(url=f"{base}/{quote(str(p.relative_to(root)))}") for p in files]
        start = time.perf_counter()
        reads = []
        limiter = HostLimiter(1, 1)
        with Store(config.store_path) as store, make_client(config.fetch) as client:
            for job_state in store.feed_states(feeds):
                try:
                    read = read_one_feed(FeedJob(job_state, {}), config.fetch, now, client,
                                         limiter)
                except Exception:
                    exceptions.append(f"{job_state.url}\n{traceback.format_exc()}")
                    continue
                reads.append(read)
            parsed = [a for r in reads for a in r.result.articles]
            stored = store_feed_reads(store, reads, config, now)
            elapsed = time.perf_counter() - start
            for read in reads:
                if read.result.problems:
                    problems["not a feed" if read.result.failed else "used, with a problem"] += 1
    print(f"corpus: {root}\n")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| files | {len(files):,} |")
    print(f"| entries parsed | {len(parsed):,} |")
    print(f"| entries stored (after exact dedup) | {stored:,} |")
    print(f"| files with a recorded problem | {sum(problems.values()):,} |")
    print(f"| ... of which not a feed at all | {problems['not a feed']:,} |")
    print(f"| exceptions | {len(exceptions)} |")
    print(f"| seconds (fetch, parse, clean, dedup, store) | {elapsed:.1f} |")
    for text in exceptions[:5]:
        print(f"\nexception: {text}", file=sys.stderr)
    return 1 if exceptions else 0


if __name__ == "__main__":
    raise SystemExit(main())
