"""Fetch-and-store load test: many generated feeds served on 127.0.0.x.

    .venv/bin/python bench/feeds_load.py [--feeds 200] [--items 50] [--hosts 20]

Serves `feeds` RSS 2.0 feeds of `items` items each (about 150 words per item),
spread over `hosts` loopback addresses (127.0.0.1, 127.0.0.2, ...), each feed
with an ETag. Then runs the library's read stage as `digest run` does
(digest.pipeline: fetch with the default 8 workers and 2 per host, parse,
clean, dedup, store) twice on a fresh store: a full pass where every feed is
new, and a second pass where every feed answers 304 Not Modified.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from localhttp import Handler, serving, store_feed_reads

from digest.config import Config, FeedConfig, SourcesConfig, StoreConfig
from digest.ingest.fetch import UNCHANGED
from digest.pipeline import InProcess, read_sources, recall_feeds
from digest.store import Store

VOCABULARY = ("council harbour ferry market river budget school election minister storm "
         "festival museum railway bridge hospital court police team match season "
         "report plan workers prices energy water city village farmers students")
WORDS = VOCABULARY.split()


def make_feed(number: int, items: int, rng: random.Random) -> bytes:
    start = datetime(2026, 11, 23, 12, tzinfo=UTC)
    parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
             f"<title>Load feed {number}</title><link>http://load.example/{number}/</link>"
             "<description>generated</description>"]
    for item in range(items):
        text = " ".join(rng.choice(WORDS) for _ in range(150))
        when = format_datetime(start - timedelta(minutes=17 * item + number))
        parts.append(f"<item><title>Feed {number} story {item}: {text[:40]}</title>"
                     f"<link>http://load.example/{number}/{item}</link>"
                     f"<guid>load-{number}-{item}</guid><pubDate>{when}</pubDate>"
                     f"<description>&lt;p&gt;{text}.&lt;/p&gt;</description></item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def feed_handler(documents: dict[str, bytes]) -> type[Handler]:
    class Feeds(Handler):
        def do_GET(self) -> None:
            body = documents.get(self.path)
            if body is None:
                self.send_body(404, b"", {})
                return
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_body(304, b"", {"ETag": etag})
                return
            self.send_body(200, body, {"Content-Type": "application/rss+xml", "ETag": etag})

    return Feeds


def one_pass(config: Config, now: datetime) -> tuple[float, int, int, int]:
    """Return seconds, items parsed, new items stored and 304 answers for one read pass."""
    start = time.perf_counter()
    with Store(config.store_path) as store:
        reads = read_sources(InProcess(config.fetch.workers), config,
                             recall_feeds(store, config), now).feeds
        articles = [a for r in reads for a in r.result.articles]
        new = store_feed_reads(store, reads, config, now)
    not_modified = sum(1 for r in reads if r.state.last_status == UNCHANGED)
    return time.perf_counter() - start, len(articles), new, not_modified


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    documents = {f"/feed/{n}": make_feed(n, args.items, rng) for n in range(args.feeds)}
    megabytes = sum(len(d) for d in documents.values()) / 1e6
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="digest-load-") as tmp, ExitStack() as stack:
        bases = [stack.enter_context(serving(feed_handler(documents), f"127.0.0.{h + 1}"))
                 for h in range(args.hosts)]
        feeds = tuple(FeedConfig(url=f"{bases[n % args.hosts]}/feed/{n}")
                      for n in range(args.feeds))
        config = Config(sources=SourcesConfig(folders=(), feeds=feeds),
                        store=StoreConfig(f"{tmp}/digest.db"))
        full = one_pass(config, now)
        cached = one_pass(config, now + timedelta(hours=1))
    print(f"{args.feeds} feeds x {args.items} items ({megabytes:.1f} MB of XML) on "
          f"{args.hosts} hosts; workers {config.fetch.workers}, per host "
          f"{config.fetch.per_host}\n")
    print("| pass | seconds | items parsed | new items stored | 304 answers |")
    print("|---|---:|---:|---:|---:|")
    for name, (secs, parsed, new, not_modified) in (("full (all new)", full),
                                                     ("second (all 304)", cached)):
        print(f"| {name} | {secs:.2f} | {parsed:,} | {new:,} | {not_modified} |")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS of the process): {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
