"""The store's write of a day's articles: FTS5 indexing by a trigger per row, or in bulk.

    .venv/bin/python bench/store_write.py ../shared/data [--runs 5]

The BBC day's 2,087 stored articles, cleaned by the pipeline (one in-process run
into a throwaway store first), are inserted into a new store in one
transaction, alternated:

- "trigger": the full-text index fed by an AFTER INSERT trigger, a row at a time
  (how stores were set up before schema version 6);
- "bulk": no trigger, the new rows indexed by one INSERT ... SELECT (`Store.save_articles`).

Seconds from BEGIN to the end of COMMIT, medians and every run.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from pipeline import BBC  # bench/pipeline.py: where the BBC day's folders are

from digest.config import Config, OutputConfig, SourcesConfig, StoreConfig
from digest.pipeline import run_in_process
from digest.store import Store

TRIGGER = ('CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN INSERT INTO '
           '"articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body"); '
           "END")


def cleaned_rows(data: Path, folder: Path) -> list[dict[str, Any]]:
    root = data / BBC
    config = Config(sources=SourcesConfig(folders=tuple(str(p) for p in sorted(root.iterdir())
                                                        if p.is_dir())),
                    store=StoreConfig(path=str(folder / "day.db")),
                    output=OutputConfig(dir=str(folder / "out")))
    run_in_process(config, date.today(), send=False)
    with sqlite3.connect(folder / "day.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM articles")]


def one_write(path: Path, rows: list[dict[str, Any]], mode: str) -> float:
    store = Store(path)
    try:
        if mode == "trigger":
            store.conn.execute(TRIGGER)
            store.conn.commit()
        start = time.perf_counter()
        store.conn.execute("BEGIN IMMEDIATE")
        store._insert("articles", rows, "IGNORE")
        if mode == "bulk":
            store.conn.execute("INSERT INTO articles_fts (rowid, title, body) "
                               "SELECT rowid, title, body FROM articles")
        store.conn.commit()
        return time.perf_counter() - start
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-bench-write-") as tmp:
        rows = cleaned_rows(args.data, Path(tmp))
        times: dict[str, list[float]] = {"trigger": [], "bulk": []}
        for run in range(args.runs):
            for mode in times:
                times[mode].append(one_write(Path(tmp) / f"{mode}-{run}.db", rows, mode))
    print(f"{len(rows)} articles, one transaction, median of {args.runs}\n")
    print("| full-text index | s (every run) |")
    print("|---|---|")
    for mode, values in times.items():
        every = ", ".join(f"{v:.3f}" for v in values)
        print(f"| {mode} | **{statistics.median(values):.3f}** ({every}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
