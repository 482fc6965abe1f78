"""Story and section judgement on every development set at once.

    .venv/bin/python bench/judgement.py ../shared/data [--only stories|themes]

Prints one table with the measures issue 10 asks for:

- dev pairs: `event_pairs_dev/event_pairs.jsonl`, scored after grouping the
  whole BBC corpus (undated, one timestamp) and the whole event set (dated):
  pairwise precision and recall of the labelled pairs (UNSURE left out);
- BBC, 2,225 articles as one undated day, B-cubed against the connected
  components of `derived_near_duplicate_pairs.tsv`;
- the event set (54 hand-made events) B-cubed, with and without `published`;
- themes: BBC NMI against its 5 categories, and short items (each BBC
  article's headline and first sentence) as one day: NMI, the share of
  stories in "Other news", the largest story, and every label checked
  against the kinds of word a label must never be.

Dev figures: the settings were chosen from principles, not tuned to these.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from make_eval_sets import bbc, events

from digest.eval.evaluate import Record, bcubed, nmi_ari
from digest.group.labels import label_problems
from digest.group.stories import group_stories
from digest.group.themes import OTHER_NEWS, group_by_theme
from digest.models import Article
from digest.text.clean import build_rules, clean_article

_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?=\s+[A-Z\"'‘“]|$)", re.S)


def _articles(records: Sequence[Record]) -> list[Article]:
    rules = build_rules((), (), True)
    return [clean_article(r.article(), rules) for r in records]


def _records(rows: list[dict[str, object]], dated: bool = True) -> list[Record]:
    out = []
    for row in rows:
        published = row.get("published") if dated else None
        out.append(Record(id=str(row["id"]), title=str(row["title"]), text=str(row["text"]),
                          source=str(row.get("source") or ""),
                          published=_parse(published), story=_opt(row.get("story")),
                          theme=_opt(row.get("theme"))))
    return out


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def _parse(value: object):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00").replace(" ", "T", 1))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _story_of(articles: Sequence[Article]) -> tuple[dict[str, str], float, list[tuple[str, ...]]]:
    start = time.perf_counter()
    stories = group_stories(articles)
    seconds = time.perf_counter() - start
    return ({i: s.id for s in stories for i in s.article_ids}, seconds,
            [s.article_ids for s in stories])


def _pair_scores(pairs: list[dict[str, str]], story: dict[str, str], which: str) -> str:
    tp = fp = fn = 0
    for pair in pairs:
        if pair["set"] != which or pair["label"] == "UNSURE":
            continue
        same = story[pair["a"]] == story[pair["b"]]
        gold = pair["label"] == "SAME"
        tp += same and gold
        fp += same and not gold
        fn += gold and not same
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return f"P {precision:.3f} R {recall:.3f} ({fp} false merges, {fn} missed)"


def _near_duplicate_gold(data: Path, ids: Sequence[str]) -> dict[str, str]:
    parent = {i: i for i in ids}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    with open(data / "bbc_news_summary" / "derived_near_duplicate_pairs.tsv",
              encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            a, b = root(row["article_a"]), root(row["article_b"])
            parent[max(a, b)] = min(a, b)
    return {i: root(i) for i in ids}


def short_item(article: Article) -> Article:
    """Return the article as a feed item would carry it: headline and first sentence."""
    body = " ".join(article.body.split())
    match = _FIRST_SENTENCE.match(body)
    return replace(article, body=match.group(1) if match else body[:300])


def _themes(articles: Sequence[Article], gold: dict[str, str], name: str) -> list[list[str]]:
    start = time.perf_counter()
    stories = group_stories(articles)
    by_id = {a.id: a for a in articles}
    members = {s.representative: s.article_ids for s in stories}
    themes = group_by_theme([by_id[s.representative] for s in stories])
    seconds = time.perf_counter() - start
    theme_of: dict[str, str] = {}
    other = 0
    for number, theme in enumerate(themes):
        for representative in theme.article_ids:
            other += theme.label == OTHER_NEWS
            for article_id in members[representative]:
                theme_of[article_id] = str(number)
    nmi, _ = nmi_ari(theme_of, gold)
    labels = [t.label for t in themes]
    bad = [f"{label!r}: {', '.join(problems)}" for label in labels
           if (problems := label_problems(label))]
    largest = max(len(s.article_ids) for s in stories)
    rows = [[f"{name} themes", f"NMI {nmi:.3f}, {len(themes)} sections, "
             f"{other / len(stories):.0%} of {len(stories)} stories in {OTHER_NEWS!r}, "
             f"largest story {largest}", f"{seconds:.1f}"],
            [f"{name} labels", "; ".join(labels) + (f" -- BAD: {bad}" if bad else " (clean)"),
             ""]]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="?", default=Path("../shared/data"))
    parser.add_argument("--only", choices=("stories", "themes"))
    args = parser.parse_args()
    pairs_file = args.data / "event_pairs_dev" / "event_pairs.jsonl"
    pairs = [json.loads(line) for line in pairs_file.read_text(encoding="utf-8").splitlines()]
    bbc_rows = list(bbc(args.data))
    event_rows = list(events(args.data))
    bbc_articles = _articles(_records(bbc_rows))  # type: ignore[arg-type]
    rows: list[list[str]] = []
    if args.only != "themes":
        bbc_story, seconds, groups = _story_of(bbc_articles)
        gold = _near_duplicate_gold(args.data, [a.id for a in bbc_articles])
        p, r, f1 = bcubed(bbc_story, gold)
        rows.append(["BBC 2,225 undated, B-cubed vs near-duplicate components",
                     f"P {p:.3f} R {r:.3f} F1 {f1:.3f}, {len(groups)} stories "
                     f"(gold {len(set(gold.values()))}), largest {max(map(len, groups))}",
                     f"{seconds:.1f}"])
        rows.append(["dev pairs, BBC", _pair_scores(pairs, bbc_story, "bbc"), ""])
        for dated in (True, False):
            records = _records(event_rows, dated)  # type: ignore[arg-type]
            story, seconds, groups = _story_of(_articles(records))
            gold = {r.id: r.story or "" for r in records}
            p, r, f1 = bcubed(story, gold)
            what = "dated" if dated else "undated"
            rows.append([f"events 298 {what}, B-cubed vs 54 events",
                         f"P {p:.3f} R {r:.3f} F1 {f1:.3f}, {len(groups)} stories",
                         f"{seconds:.1f}"])
            if dated:
                rows.append(["dev pairs, events", _pair_scores(pairs, story, "events"), ""])
    if args.only != "stories":
        theme_gold = {str(r["id"]): str(r["theme"]) for r in bbc_rows}
        rows += _themes(bbc_articles, theme_gold, "BBC")
        rows += _themes([short_item(a) for a in bbc_articles], theme_gold, "BBC short items")
        event_records = _records(event_rows)  # type: ignore[arg-type]
        rows += _themes(_articles(event_records),
                        {r.id: r.theme or "" for r in event_records}, "events")
    print("| measure | value | s |\n|---|---|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
