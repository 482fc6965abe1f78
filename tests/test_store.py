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
        assert store.search("new")[0].id == "a"
        assert store.search("old") == []


def test_full_text_search_finds_titles_and_bodies(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    with Store(tmp_path / "s.db") as store:
        store.save_articles([make_article(id="a", title="Ferry resumes", body="Pier fixed"),
                             make_article(id="b", title="Chess final", body="Sicilian")], NOW)
        assert [r.id for r in store.search("ferry")] == ["a"]
        assert [r.id for r in store.search("sicilian")] == ["b"]


def test_the_full_text_index_matches_the_articles_after_inserts_and_changes(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    with Store(tmp_path / "s.db") as store:
        store.save_articles([make_article(id="a", title="Ferry resumes", body="Pier fixed"),
                             make_article(id="b", title="Chess final", body="Sicilian")], NOW)
        # A second save: one article changed, one known, one new.
        store.save_articles([
            make_article(id="a", title="Ferry resumes", body="Harbour reopened"),
            make_article(id="b", title="Chess final", body="Sicilian"),
            make_article(id="c", title="Orchestra tours", body="Vienna dates")], LATER)
        # FTS5 checks every indexed term against the articles table (its content).
        store.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
        assert [r.id for r in store.search("harbour")] == ["a"]
        assert store.search("pier") == []
        assert [r.id for r in store.search("vienna")] == ["c"]
        assert [r.id for r in store.search("sicilian")] == ["b"]  # indexed once, found once
        assert store.db.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0] == 3


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


def test_articles_and_duplicates_keep_their_cleaned_form_under_their_read_hash(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    kept = replace(make_article(id="a", body="Alpha text"), read_hash="read-a")
    copy = replace(make_article(id="d", body="Alpha text"), read_hash="read-d",
                   language="english")
    with Store(tmp_path / "s.db") as store:
        store.save_articles([kept], NOW)
        store.save_duplicates([Duplicate(copy, "a", "same content")], NOW)
        found = store.cleaned({"a": "read-a", "d": "read-d", "x": "read-x"})
        assert sorted(found) == ["a", "d"]
        assert (found["d"].body, found["d"].language, found["d"].content_hash) == (
            "Alpha text", "english", copy.content_hash)
        assert store.cleaned({"a": "other", "d": "other"}) == {}  # read otherwise: clean again
        # Read again otherwise and still a duplicate: the row takes the new
        # cleaned form and keeps when it was first seen.
        edited = replace(copy, title="Alpha, edited", read_hash="read-d2")
        store.save_duplicates([Duplicate(edited, "a", "same content")], LATER)
        assert store.cleaned({"d": "read-d"}) == {}
        assert store.cleaned({"d": "read-d2"})["d"].title == "Alpha, edited"
        row = store.db.execute("SELECT first_seen FROM duplicates WHERE id = 'd'").fetchone()
        assert row[0] == "2026-11-20T07:00:00+00:00"


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


FIXTURES = Path(__file__).parent / "fixtures" / "stores"


def test_a_store_made_before_schema_versions_is_upgraded_without_loss(tmp_path: Path) -> None:
    import sqlite3

    import sqlite_utils

    from digest.store.schema import SCHEMA_VERSION

    # Made by the code of commit c1ff4c4 (the last without versions): a seeds run,
    # an imported feed and a delivered digest; its full-text index set up as that code did.
    path = tmp_path / "digest.db"
    before = sqlite3.connect(path)
    before.executescript((FIXTURES / "made-before-versions.sql").read_text(encoding="utf-8"))
    sqlite_utils.Database(before)["articles"].enable_fts(["title", "body"],
                                                         create_triggers=True)
    before.commit()
    counts = {t: before.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("articles", "runs", "digests", "digest_articles", "deliveries",
                        "sources", "feeds")}
    rows = before.execute("SELECT id, title, body, content_hash FROM articles").fetchall()
    before.close()
    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert {t: store.db[t].count for t in counts} == counts
        assert store.db.execute("SELECT id, title, body, content_hash FROM articles"
                                ).fetchall() == rows
        [day] = [r.day for r in store.digests()]
        assert store.delivered(day) == {"reader@example.org"}
        assert len(store.digest_article_ids(day)) == counts["digest_articles"]
        assert [s.name for s in store.feed_states([])] == ["Example"]
        # The full-text index follows the rebuilt table.
        assert store.search("Pentagon")
        reread = store.articles_by_id([rows[0][0]])[0]
        assert (reread.content_hash, reread.language) == (rows[0][3], "")
    with Store(path) as store:  # opening again changes nothing
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_from_a_newer_version_is_refused_in_one_line(tmp_path: Path) -> None:
    import sqlite3

    from digest.errors import StoreError
    from digest.store.schema import SCHEMA_VERSION

    path = tmp_path / "digest.db"
    with Store(path):
        pass
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError) as error:
        Store(path)
    assert str(error.value) == (f"{path}: made by a newer news-digest (schema version "
                                f"{SCHEMA_VERSION + 1}; this one knows up to {SCHEMA_VERSION}); "
                                "upgrade news-digest")


def test_constraints_refuse_an_article_without_a_title(tmp_path: Path) -> None:
    import sqlite3

    with Store(tmp_path / "d.db") as store, pytest.raises(sqlite3.IntegrityError):
        store.db.execute("INSERT INTO articles (id, source, body, content_hash, published, "
                         "first_seen, updated, location, flags, kind) VALUES "
                         "('x', 's', 'b', 'h', 'p', 'f', 'u', '', '[]', 'file')")


def test_a_locked_store_is_a_one_line_store_error(
    tmp_path: Path, make_article: Callable[..., Article],
) -> None:
    import sqlite3

    from digest.errors import StoreError

    path = tmp_path / "d.db"
    with Store(path):
        pass
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")  # another run holds the write lock
    try:
        # A store opened with a short wait (the real one waits BUSY_SECONDS).
        store = Store.__new__(Store)
        store.path = path
        store.conn = sqlite3.connect(path, timeout=0.2, isolation_level="IMMEDIATE",
                                     check_same_thread=False)
        store._db = None
        with pytest.raises(StoreError) as error:
            store.save_articles([make_article()], NOW)
        assert str(error.value).startswith(f"{path}: cannot write (database is locked")
        assert "\n" not in str(error.value)
        with pytest.raises(StoreError) as error:
            store.finish_run(1, "completed", DigestCounts(), [], NOW)
        assert "database is locked" in str(error.value)
    finally:
        holder.rollback()
        holder.close()
