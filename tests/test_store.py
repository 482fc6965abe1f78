from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.models import Article, ArticleSummary, DigestCounts, Duplicate
from digest.store import Store
from digest.text.keys import with_keys

NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


@pytest.fixture
def make_article(make_article: Callable[..., Article]) -> Callable[..., Article]:
    """Articles as the store gets them: cleaned, so carrying their keys."""
    return lambda **fields: with_keys(make_article(**fields))


def test_saving_twice_stores_each_article_once_and_keeps_first_seen(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    articles = [make_article(id="a", body="Alpha text"), make_article(id="b", body="Beta text")]
    with Store(tmp_path / "s.db") as store:
        assert store.save_articles(articles, NOW) == 2
        assert store.save_articles(articles, LATER) == 0
        assert store.db["articles"].count == 2
        first_seen = store.db.execute("SELECT first_seen FROM articles WHERE id='a'").fetchone()
        assert first_seen[0] == "2026-11-20T07:00:00+00:00"


def test_changed_content_updates_the_article_in_place(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    article = make_article(id="a", body="Old text")
    with Store(tmp_path / "s.db") as store:
        store.save_articles([article], NOW)
        store.save_articles([with_keys(replace(article, body="New text", content_hash=""))],
                            LATER)
        row = store.db.execute("SELECT body, first_seen FROM articles").fetchall()
        assert row == [("New text", "2026-11-20T07:00:00+00:00")]
        assert store.search("new")[0]["id"] == "a"
        assert store.search("old") == []


def test_full_text_search_finds_titles_and_bodies(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    with Store(tmp_path / "s.db") as store:
        store.save_articles([make_article(id="a", title="Ferry resumes", body="Pier fixed"),
                             make_article(id="b", title="Chess final", body="Sicilian")], NOW)
        assert [r["id"] for r in store.search("ferry")] == ["a"]
        assert [r["id"] for r in store.search("sicilian")] == ["b"]


def test_stored_keys_find_urls_and_content(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    stored = make_article(id="a", body="Known words", url="https://ex.com/x?utm_source=1")
    with Store(tmp_path / "s.db") as store:
        store.save_articles([stored], NOW)
        keys = store.stored_keys([make_article(id="z", body="known words!",
                                               url="https://EX.com/x")])
        assert keys.by_url == {"https://ex.com/x": "a"}
        assert list(keys.by_hash.values()) == ["a"]


def test_duplicates_are_recorded_once(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    dup = Duplicate(make_article(id="d"), "a", "same content")
    with Store(tmp_path / "s.db") as store:
        store.save_duplicates([dup], NOW)
        store.save_duplicates([dup], LATER)
        assert store.db["duplicates"].count == 1


def test_summaries_are_cached_by_everything_that_shapes_them(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    from digest.summarize.registry import summary_key

    article = make_article(id="a", title="Pier reopens", body="Some words about the pier.")
    summary = ArticleSummary("a", ("Some words",), "lexrank", whole=True)
    key = summary_key(article, "lexrank", 3, "english")
    with Store(tmp_path / "s.db") as store:
        store.save_summaries([(key, summary)], 3, "english", NOW)
        assert store.cached_summaries({"a": key}) == {"a": summary}
        twin = store.cached_summaries({"b": key})
        assert twin["b"].article_id == "b"
    changed = [summary_key(article, "lexrank", 4, "english"),
               summary_key(article, "lsa", 3, "english"),
               summary_key(article, "lexrank", 3, "english", words=60),
               summary_key(article, "lexrank", 3, "german"),
               summary_key(replace(article, title="Pier closes"), "lexrank", 3, "english"),
               summary_key(replace(article, body="Other words."), "lexrank", 3, "english")]
    assert key not in changed and len(set(changed)) == len(changed)
    # "auto" keys by the language the article is in, not by the setting.
    english = replace(article, language="english")
    assert summary_key(english, "lexrank", 3, "auto") == summary_key(english, "lexrank", 3,
                                                                       "english")


def test_digest_rerun_replaces_its_articles_and_earlier_days_are_known(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.save_digest(date(2026, 11, 20), "h", "t", ["a", "b"], 1, NOW)
        store.save_digest(date(2026, 11, 20), "h", "t", ["a"], 1, LATER)
        assert store.db["digest_articles"].count == 1
        assert store.in_earlier_digests(["a", "b"], date(2026, 11, 21)) == {"a"}
        assert store.in_earlier_digests(["a"], date(2026, 11, 20)) == set()
        [record] = store.digests()
        assert (record.day, record.articles) == (date(2026, 11, 20), 1)


def test_runs_record_start_end_counts_and_errors(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        run = store.start_run(date(2026, 11, 20), NOW)
        store.finish_run(run, "completed", DigestCounts(read=3, new=2), ["x: bad"], LATER)
        row = store.db.execute("SELECT status, read, new, errors FROM runs").fetchone()
        assert row == ("completed", 3, 2, '["x: bad"]')


def test_opening_an_existing_store_keeps_its_data(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    with Store(tmp_path / "s.db") as store:
        store.save_articles([make_article()], NOW)
    with Store(tmp_path / "s.db") as store:
        assert store.db["articles"].count == 1


def test_a_run_whose_process_is_gone_is_marked_abandoned_by_the_next(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    from digest.models import DigestCounts

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    when = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    with Store(tmp_path / "d.db") as store:
        store.db.execute("INSERT INTO runs (day, started, status, host, pid) "
                         "VALUES ('2026-11-19', '2026-11-19T07:00:00+00:00', 'running', ?, ?)",
                         [socket.gethostname(), int(gone.stdout)])
        store.db.conn.commit()
        run = store.start_run(date(2026, 11, 20), when)
        statuses = dict(store.db.execute("SELECT id, status FROM runs").fetchall())
        assert sorted(statuses.values()) == ["abandoned", "running"]
        assert statuses[run] == "running"
        store.finish_run(run, "completed", DigestCounts(), [], when)
