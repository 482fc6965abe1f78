"""Quality measures on JSON Lines data anyone can bring: summaries (ROUGE) and grouping.

One article per line: `id`, `title`, `text`, optional `published` (ISO 8601),
`source`, `url`, and optional gold fields `reference` (a summary), `story` (an
event id) and `theme` (a label).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from digest.config import StoriesConfig
from digest.errors import DigestError
from digest.models import Article

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Record:
    """One line of an evaluation file."""

    id: str
    title: str
    text: str
    published: datetime | None = None
    source: str = ""
    url: str | None = None
    reference: str | None = None
    story: str | None = None
    theme: str | None = None

    def article(self) -> Article:
        """Return the record as an article (each line of text a paragraph).

        Title and text are decoded as feed text is: entities decoded, tags stripped.
        """
        from digest.ingest.html import html_to_line, html_to_text

        body = "\n\n".join(html_to_text(line) for line in self.text.splitlines() if line.strip())
        # No headline (the CNN/DailyMail sample): the article has none.
        return Article(id=self.id, source=self.source or "eval", title=html_to_line(self.title),
                       body=body,
                       published=self.published or EPOCH, url=self.url,
                       flags=() if self.published else ("undated",))


def read_records(path: Path) -> list[Record]:
    """Read an evaluation file; a bad line is an error naming the file, line and field."""
    records = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DigestError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DigestError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(item, dict):
            raise DigestError(f"{where}: expected an object per line")
        record = _record(item, where)
        if record.id in seen:
            raise DigestError(f"{where}: id {record.id!r} appears twice")
        seen.add(record.id)
        records.append(record)
    return records


def _record(item: Mapping[str, Any], where: str) -> Record:
    def text(field: str, required: bool = False) -> str | None:
        value = item.get(field)
        if value is None:
            if required:
                raise DigestError(f"{where}: field '{field}' is missing")
            return None
        if isinstance(value, int | float) and field in ("id", "story"):
            return str(value)
        if not isinstance(value, str):
            raise DigestError(f"{where}: field '{field}' must be a string")
        return value

    published = None
    raw = text("published")
    if raw:
        try:
            published = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            raise DigestError(f"{where}: field 'published' is not an ISO 8601 time: "
                              f"{raw!r}") from None
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
    return Record(id=text("id", True) or "", title=text("title") or "",
                  text=text("text", True) or "", published=published,
                  source=text("source") or "", url=text("url"), reference=text("reference"),
                  story=text("story"), theme=text("theme"))


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write one JSON object per line; return how many."""
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def rouge(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Return mean ROUGE-1/2/L F1 (rouge-score, Porter stemming) over the pairs."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals: Counter[str] = Counter()
    for prediction, reference in zip(predictions, references, strict=True):
        scores = scorer.score(reference, prediction)
        for kind in ROUGE_TYPES:
            totals[kind] += scores[kind].fmeasure
    count = max(len(predictions), 1)
    return {kind: totals[kind] / count for kind in ROUGE_TYPES}


def bcubed(predicted: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, float, float]:
    """Return B-cubed precision, recall and F1 of a clustering against gold clusters."""
    ids = [i for i in gold if i in predicted]
    if not ids:
        return 0.0, 0.0, 0.0
    by_predicted: dict[str, set[str]] = defaultdict(set)
    by_gold: dict[str, set[str]] = defaultdict(set)
    for i in ids:
        by_predicted[predicted[i]].add(i)
        by_gold[gold[i]].add(i)
    precision = recall = 0.0
    for i in ids:
        mine, truth = by_predicted[predicted[i]], by_gold[gold[i]]
        both = len(mine & truth)
        precision += both / len(mine)
        recall += both / len(truth)
    precision /= len(ids)
    recall /= len(ids)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def nmi_ari(predicted: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, float]:
    """Return normalised mutual information and adjusted Rand index against gold labels."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    ids = [i for i in gold if i in predicted]
    truth = [gold[i] for i in ids]
    mine = [predicted[i] for i in ids]
    return (float(normalized_mutual_info_score(truth, mine)),
            float(adjusted_rand_score(truth, mine)))


def pair_scores(
    predicted_pairs: set[frozenset[str]], gold_pairs: set[frozenset[str]]
) -> tuple[float, float]:
    """Return precision and recall of predicted pairs against gold pairs."""
    hits = len(predicted_pairs & gold_pairs)
    precision = hits / len(predicted_pairs) if predicted_pairs else 1.0
    recall = hits / len(gold_pairs) if gold_pairs else 1.0
    return precision, recall


def lead(text_sentences: Sequence[str], count: int) -> list[str]:
    """The Lead-N baseline: the first `count` sentences."""
    return list(text_sentences[:count])


def stories_to_pairs(assignment: Mapping[str, str]) -> set[frozenset[str]]:
    """Return every pair of ids that share a group."""
    groups: dict[str, list[str]] = defaultdict(list)
    for item, group in assignment.items():
        groups[group].append(item)
    return {frozenset((a, b)) for members in groups.values()
            for n, a in enumerate(members) for b in members[n + 1:]}


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """Return a small Markdown table."""
    def cell(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if n == 0 else "---:" for n in range(len(header))) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def evaluate_summaries(
    records: Sequence[Record], sentences: int, algorithm: str = "news",
    language: str = "english", baselines: Sequence[str] = ("lead", "lexrank"),
) -> tuple[dict[str, list[str]], list[tuple[str, dict[str, float]]]]:
    """Summarize every record with `algorithm` and the baselines.

    Return the predictions per method (ours first) and, over the records that
    have a `reference`, ROUGE per method. Every method sees the same cleaned
    article (the project's cleaning rules) and the same sentence split.
    """
    from digest.summarize.registry import document_sentences, summarize_article
    from digest.text.clean import build_rules, clean_article

    rules = build_rules((), (), True)
    articles = [clean_article(r.article(), rules) for r in records]
    predictions: dict[str, list[str]] = {}
    for method in (algorithm, *baselines):
        if method == "lead":
            predictions["lead"] = [" ".join(lead(document_sentences(a, language), sentences))
                                   for a in articles]
        else:
            predictions[method] = [summarize_article(a, method, sentences, language).text
                                   for a in articles]
    scored = [n for n, r in enumerate(records) if r.reference]
    references = [records[n].reference or "" for n in scored]
    results = [(method, rouge([made[n] for n in scored], references))
               for method, made in predictions.items()] if scored else []
    return predictions, results


@dataclass(frozen=True)
class Grouping:
    """Each article's story and theme, as `digest eval grouping` writes them."""

    story: dict[str, str]
    theme: dict[str, str]
    theme_label: dict[str, str]


def group_records(
    records: Sequence[Record], similarity: float = StoriesConfig.similarity,
    window_hours: float = StoriesConfig.window_hours,
    language: str = "auto",
) -> Grouping:
    """Group records into stories, then the stories into themes, as a digest would."""
    from digest.group.stories import group_stories
    from digest.group.themes import group_by_theme
    from digest.text.clean import build_rules, clean_article

    rules = build_rules((), (), True)
    articles = [clean_article(r.article(), rules) for r in records]
    by_id = {a.id: a for a in articles}
    stories = group_stories(articles, similarity, window_hours, language)
    story_of = {i: s.id for s in stories for i in s.article_ids}
    members = {s.representative: s.article_ids for s in stories}
    themes = group_by_theme([by_id[s.representative] for s in stories], language=language)
    theme_of: dict[str, str] = {}
    label_of: dict[str, str] = {}
    for number, theme in enumerate(themes, 1):
        for representative in theme.article_ids:
            for article_id in members[representative]:
                theme_of[article_id] = f"t{number}"
                label_of[article_id] = theme.label
    return Grouping(story_of, theme_of, label_of)


def grouping_scores(records: Sequence[Record], grouping: Grouping) -> list[tuple[str, ...]]:
    """Return table rows of the measures the records' gold fields allow."""
    rows: list[tuple[str, ...]] = []
    gold_story = {r.id: r.story for r in records if r.story is not None}
    gold_theme = {r.id: r.theme for r in records if r.theme is not None}
    if gold_story:
        precision, recall, f1 = bcubed(grouping.story, gold_story)
        predicted = len(set(grouping.story.values()))
        rows.append(("stories (B-cubed)", f"{len(gold_story)}",
                     f"{len(set(gold_story.values()))} gold / {predicted} found",
                     f"P {precision:.3f} R {recall:.3f} F1 {f1:.3f}"))
    if gold_theme:
        nmi, ari = nmi_ari(grouping.theme, gold_theme)
        rows.append(("themes", f"{len(gold_theme)}",
                     f"{len(set(gold_theme.values()))} gold / "
                     f"{len(set(grouping.theme.values()))} found",
                     f"NMI {nmi:.3f} ARI {ari:.3f}"))
    return rows
