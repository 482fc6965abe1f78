from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from digest.config import Config
from digest.pipeline import run_pipeline
from digest.store import Store

DAY = date(2026, 11, 20)


def test_run_writes_digests_index_and_rows(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir)
    result = run_pipeline(config, DAY)
    out = config.output_dir
    assert result.published.html == out / "2026-11-20" / "digest.html"
    html = result.published.html.read_text()
    text = result.published.text.read_text()
    assert "Teenager wins national chess championship" in html
    assert "Teenager wins national chess championship" in text
    assert "2026-11-20/digest.html" in (out / "index.html").read_text()
    assert "articles: pixel.txt: binary file skipped" in html
    assert "Sign up for our free morning newsletter" not in html
    c = result.counts
    assert (c.read, c.new, c.duplicates, c.articles, c.sources) == (7, 6, 1, 6, 1)
    with Store(config.store_path) as store:
        assert store.count("articles") == 6
        assert store.count("duplicates") == 1
        assert store.count("summaries") == 4  # one per story
        assert store.count("digest_articles") == 6
        status = store.db.execute("SELECT status, read, new FROM runs").fetchall()
        assert status == [("completed", 7, 6)]


def test_rerun_for_the_same_day_gives_the_same_digest_and_no_new_rows(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir)
    first = run_pipeline(config, DAY)
    html, text = first.published.html.read_text(), first.published.text.read_text()
    second = run_pipeline(config, DAY)
    assert second.published.html.read_text() == html
    assert second.published.text.read_text() == text
    assert second.counts.new == 0
    with Store(config.store_path) as store:
        assert store.count("articles") == 6
        assert store.count("summaries") == 4
        assert store.count("digests") == 1


def test_next_day_does_not_repeat_articles_already_sent(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir)
    run_pipeline(config, DAY)
    (articles_dir / "late-news.txt").write_text(
        "Museum reopens after roof repair\nThe town museum reopened on Saturday after its "
        "roof was repaired.\n", encoding="utf-8")
    result = run_pipeline(config, date(2026, 11, 21))
    assert result.counts.articles == 1
    html = result.published.html.read_text()
    assert "Museum reopens after roof repair" in html
    assert "Teenager wins" not in html
    index = (config.output_dir / "index.html").read_text()
    assert "2026-11-20/digest.html" in index and "2026-11-21/digest.html" in index


def test_a_copy_arriving_in_another_source_later_is_dropped(
    articles_dir: Path, tmp_path: Path, make_config: Callable[..., Config],
) -> None:
    run_pipeline(make_config(articles_dir), DAY)
    other = tmp_path / "wire"
    other.mkdir()
    shutil.copy(articles_dir / "river-flood.txt", other / "flood.txt")
    result = run_pipeline(make_config(articles_dir, other), date(2026, 11, 21))
    assert result.counts.duplicates == 2
    assert result.counts.articles == 0


def test_a_failing_source_is_reported_and_the_others_still_run(
    articles_dir: Path, tmp_path: Path, make_config: Callable[..., Config],
) -> None:
    result = run_pipeline(make_config(tmp_path / "missing", articles_dir), DAY)
    assert result.counts.articles == 6
    html = result.published.html.read_text()
    assert "missing: folder" in html and "does not exist" in html


def test_date_backfills_a_past_day_from_the_store(
    articles_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    # Files written on the 18th, read by the run of the 20th.
    written = datetime(2026, 11, 18, 9, 30, tzinfo=UTC).timestamp()
    for path in articles_dir.iterdir():
        os.utime(path, (written, written))
    config = make_config(articles_dir)
    run_pipeline(config, DAY)
    # The sources move on: the folder is emptied. The 18th is rebuilt from the store.
    for path in articles_dir.iterdir():
        path.unlink()
    past = run_pipeline(config, date(2026, 11, 18))
    assert past.counts.read == 0 and past.counts.articles == 6
    html = past.published.html.read_text()
    assert past.published.html.parent.name == "2026-11-18"
    assert "Teenager wins national chess championship" in html
    # A day with nothing stored for it gets an empty digest, not the 18th's articles.
    assert run_pipeline(config, date(2026, 11, 16)).counts.articles == 0
    # A rerun of the 20th keeps its articles although no source has them any more;
    # the 21st does not repeat them.
    assert run_pipeline(config, DAY).counts.articles == 6
    assert run_pipeline(config, date(2026, 11, 21)).counts.articles == 0
    with Store(config.store_path) as store:
        assert store.count("articles") == 6
