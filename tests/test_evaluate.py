"""`digest eval`: the JSON Lines format, the measures, and the two commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.errors import DigestError
from digest.eval.evaluate import bcubed, nmi_ari, pair_scores, read_records, rouge, stories_to_pairs
from digest_flows.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "eval" / "small.jsonl"


def test_bcubed_on_a_worked_example() -> None:
    gold = {"a": "1", "b": "1", "c": "2", "d": "2"}
    assert bcubed(gold, gold) == (1.0, 1.0, 1.0)
    merged = {k: "x" for k in gold}
    precision, recall, f1 = bcubed(merged, gold)
    assert (precision, recall) == (0.5, 1.0) and f1 == pytest.approx(2 / 3)
    split = {k: k for k in gold}
    assert bcubed(split, gold)[:2] == (1.0, 0.5)


def test_pairs_nmi_and_rouge() -> None:
    pairs = stories_to_pairs({"a": "1", "b": "1", "c": "2"})
    assert pairs == {frozenset(("a", "b"))}
    assert pair_scores(pairs, pairs | {frozenset(("c", "d"))}) == (1.0, 0.5)
    assert nmi_ari({"a": "x", "b": "y"}, {"a": "1", "b": "2"}) == (1.0, 1.0)
    same = rouge(["the pier was closed after the storm"], ["the pier was closed after the storm"])
    assert same["rouge2"] == pytest.approx(1.0)


def test_bad_lines_are_errors_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    for text, message in [
        ('{"id": "a", "title": "t"}', r"bad.jsonl:1: field 'text' is missing"),
        ('{"id": "a", "text": "x", "published": "Tuesday"}', r":1: field 'published' is not"),
        ('{"id": "a", "text": 3}', r":1: field 'text' must be a string"),
        ("[1, 2]", r":1: expected an object per line"),
        ('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}', r":2: id 'a' appears twice"),
        ("{oops", r":1: not JSON"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DigestError, match=message):
            read_records(path)


def test_eval_summaries_writes_predictions_and_compares_with_the_baselines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "pred.jsonl"
    assert main(["eval", "summaries", str(FIXTURE), "--out", str(out), "--sentences", "2"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    records = read_records(FIXTURE)
    assert [r["id"] for r in rows] == [r.id for r in records]
    assert all(r["summary"] for r in rows)
    printed = capsys.readouterr().out
    for name in ("| news |", "| Lead-2 |", "| sumy LexRank |", "ROUGE-2"):
        assert name in printed


def test_eval_grouping_scores_stories_and_themes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "groups.jsonl"
    assert main(["eval", "grouping", str(FIXTURE), "--out", str(out)]) == 0
    rows = {json.loads(line)["id"]: json.loads(line) for line in out.read_text().splitlines()}
    assert set(rows) == {r.id for r in read_records(FIXTURE)}
    assert set(next(iter(rows.values()))) == {"id", "story", "theme", "theme_label"}
    # The two reports of the pier event are one story; the chess report is another.
    assert rows["pier-1"]["story"] == rows["pier-2"]["story"] != rows["chess-1"]["story"]
    printed = capsys.readouterr().out
    assert "stories (B-cubed)" in printed and "F1 1.000" in printed
    assert "NMI" in printed


def test_eval_text_is_decoded_as_feed_text_is() -> None:
    from digest.eval.evaluate import Record

    record = Record(id="1", title="Oil firm#39;s shares &amp;lt;b&amp;gt;rise&amp;lt;/b&amp;gt;",
                    text='Prices rose. &lt;A HREF="http://www.example.com/x"&gt;More&lt;/A&gt;')
    article = record.article()
    assert article.title == "Oil firm's shares rise"
    assert "href" not in article.body.lower() and "&" not in article.body
