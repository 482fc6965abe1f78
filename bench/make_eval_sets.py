"""Convert the evaluation data in ../shared/data to the JSON Lines format of `digest eval`.

    .venv/bin/python bench/make_eval_sets.py ../shared/data [--out bench/eval]

Writes, one article per line ({"id", "title", "text", "published", "source"}
plus gold fields):

- bbc.jsonl: the 2,225 BBC articles, `reference` (the extractive summary,
  sentences split as the data's README says) and `theme` (the category).
- cnn_dailymail.jsonl: the 100-article CNN/DailyMail sample, raw text with
  its page furniture; `reference` = the highlights. The first line of the
  raw text is not a headline, so `title` is empty.
- events.jsonl: the 298 news-event articles, `story` (the hand-made event)
  and `theme` (the category), with publisher and publication time.

The output folder is git-ignored: the texts are the publishers', not ours.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

_GLUED = re.compile(r"(?<=[.!?])(?=[A-Z\"'])")


def _read(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # sport/199.txt


def bbc(data: Path) -> Iterator[dict[str, Any]]:
    root = data / "bbc_news_summary" / "BBC News Summary"
    for path in sorted((root / "News Articles").glob("*/*.txt")):
        category = path.parent.name
        title, _, body = _read(path).strip().partition("\n")
        summary = _read(root / "Summaries" / category / path.name).strip()
        sentences = [s.strip() for s in _GLUED.split(summary) if s.strip()]
        yield {"id": f"{category}/{path.name}", "title": title.strip(), "text": body.strip(),
               "source": "bbc", "reference": "\n".join(sentences), "theme": category}


def cnn_dailymail(data: Path) -> Iterator[dict[str, Any]]:
    csv.field_size_limit(sys.maxsize)
    with open(data / "cnn_dailymail_sample100" / "train_sample.csv", encoding="utf-8",
              newline="") as handle:
        for row in csv.DictReader(handle):
            yield {"id": row["id"], "title": "", "text": row["article"], "source": "cnn_dm",
                   "reference": row["highlights"].strip()}


def events(data: Path) -> Iterator[dict[str, Any]]:
    for path in sorted((data / "news_event_clusters" / "data").glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        cluster = item["newsCluster"]
        text = item.get("text") or item.get("description") or ""
        yield {"id": item["dId"], "title": item.get("title") or "", "text": text,
               "published": item.get("date_publish"), "source": item.get("source_domain"),
               "url": item.get("url"), "story": str(cluster["EventId"]),
               "theme": cluster["Category"]}


def write(path: Path, records: Iterable[dict[str, Any]]) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "eval")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, records in (("bbc", bbc(args.data)), ("cnn_dailymail", cnn_dailymail(args.data)),
                          ("events", events(args.data))):
        count = write(args.out / f"{name}.jsonl", records)
        print(f"{args.out / name}.jsonl: {count} articles")


if __name__ == "__main__":
    main()
