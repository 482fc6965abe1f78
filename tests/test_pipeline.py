from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.config import Config
from digest.pipeline import run_in_process
from digest.store import Store

DAY = date(2026, 11, 20)


def test_run_writes_digests_index_and_rows(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir)
    result = run_in_process(config, DAY)
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
        assert store.db["articles"].count == 6
        assert store.db["duplicates"].count == 1
        assert store.db["summaries"].count == 6  # one per story: six different events
        assert store.db["digest_articles"].count == 6
        status = store.db.execute("SELECT status, read, new FROM runs").fetchall()
        assert status == [("completed", 7, 6)]


def test_the_summary_counts_articles_already_known(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir)
    run_in_process(config, DAY, send=False)
    again = run_in_process(config, DAY, send=False)
    assert again.summary_line() == (
        "7 articles read, 0 new, 6 already known, 1 duplicate dropped, 6 in the digest as "
        f"6 stories in {again.counts.themes} sections")


def test_rerun_for_the_same_day_gives_the_same_digest_and_no_new_rows(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir)
    first = run_in_process(config, DAY)
    html, text = first.published.html.read_text(), first.published.text.read_text()
    second = run_in_process(config, DAY)
    assert second.published.html.read_text() == html
    assert second.published.text.read_text() == text
    assert second.counts.new == 0
    with Store(config.store_path) as store:
        assert store.db["articles"].count == 6
        assert store.db["summaries"].count == 6
        assert store.db["digests"].count == 1


def test_next_day_does_not_repeat_articles_already_sent(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir)
    run_in_process(config, DAY)
    late = articles_dir / "late-news.txt"
    late.write_text("Museum reopens after roof repair\nThe town museum reopened on Saturday "
                    "after its roof was repaired.\n", encoding="utf-8")
    written = datetime(2026, 11, 21, 9, 0, tzinfo=UTC).timestamp()
    os.utime(late, (written, written))
    result = run_in_process(config, date(2026, 11, 21))
    assert result.counts.articles == 1
    # Where the six others went: the summary says it.
    assert result.summary_line().startswith(
        "8 articles read (6 in earlier digests, not shown again), 1 new, 6 already known, "
        "1 duplicate dropped, 1 in the digest")
    html = result.published.html.read_text()
    assert "Museum reopens after roof repair" in html
    assert "Teenager wins" not in html
    index = (config.output_dir / "index.html").read_text()
    assert "2026-11-20/digest.html" in index and "2026-11-21/digest.html" in index


def test_a_copy_arriving_in_another_source_later_is_dropped(
    articles_dir: Path, tmp_path: Path, make_config: Callable[..., Config],
) -> None:
    run_in_process(make_config(articles_dir), DAY)
    other = tmp_path / "wire"
    other.mkdir()
    shutil.copy(articles_dir / "river-flood.txt", other / "flood.txt")
    result = run_in_process(make_config(articles_dir, other), date(2026, 11, 21))
    assert result.counts.duplicates == 2
    assert result.counts.articles == 0


def test_a_failing_source_is_reported_and_the_others_still_run(
    articles_dir: Path, tmp_path: Path, make_config: Callable[..., Config],
) -> None:
    result = run_in_process(make_config(tmp_path / "missing", articles_dir), DAY)
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
    run_in_process(config, DAY)
    # The sources move on: the folder is emptied. The 18th is rebuilt from the store.
    for path in articles_dir.iterdir():
        path.unlink()
    past = run_in_process(config, date(2026, 11, 18))
    assert past.counts.read == 0 and past.counts.articles == 6
    html = past.published.html.read_text()
    assert past.published.html.parent.name == "2026-11-18"
    assert "Teenager wins national chess championship" in html
    # A day with nothing stored for it gets an empty digest, not the 18th's articles.
    assert run_in_process(config, date(2026, 11, 16)).counts.articles == 0
    # A rerun of the 20th keeps its articles although no source has them any more;
    # the 21st does not repeat them.
    assert run_in_process(config, DAY).counts.articles == 6
    assert run_in_process(config, date(2026, 11, 21)).counts.articles == 0
    with Store(config.store_path) as store:
        assert store.db["articles"].count == 6


PIER = {
    "pier-1.txt": "Storm cracks Eastport pier\n\nStorm waves cracked two concrete supports of "
                  "the northern pier in Eastport on Tuesday, and the harbour authority closed "
                  "the pier while divers inspect the damaged supports.",
    "pier-2.txt": "Divers inspect cracked Eastport pier\n\nDivers inspected the cracked concrete "
                  "supports of the northern pier in Eastport on Wednesday; the harbour "
                  "authority said the pier stays closed.",
    "pier-3.txt": "Eastport pier to stay closed for a month\n\nThe harbour authority said the "
                  "northern pier in Eastport will stay closed for a month because two concrete "
                  "supports cracked in the storm must be replaced.",
    "pier-4.txt": "Repairs to Eastport pier will take a month\n\nReplacing the two cracked "
                  "concrete supports of the northern pier in Eastport will take a month, the "
                  "harbour authority said after divers inspected them.",
    "chess.txt": "Teenager wins chess final\n\nA sixteen-year-old won the national chess "
                 "championship on Sunday after a final round of five hours.",
}


def test_a_story_already_sent_comes_back_only_as_a_developing_update(
    make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    config = make_config(folder)

    def day(number: int, *names: str) -> str:
        written = datetime(2026, 11, number, 8, 0, tzinfo=UTC).timestamp()
        for name in names:
            (folder / name).write_text(PIER[name], encoding="utf-8")
            os.utime(folder / name, (written, written))
        result = run_in_process(config, date(2026, 11, number))
        return result.published.text.read_text(encoding="utf-8")

    first = day(20, "pier-1.txt")
    assert "Storm cracks Eastport pier" in first
    # One more report on a story already sent: not shown again, and not tomorrow either.
    second = day(21, "pier-2.txt", "chess.txt")
    assert "Divers inspect cracked Eastport pier" not in second
    assert "Teenager wins chess final" in second
    # Two more: the story comes back as an update linked to the day it was sent.
    third = day(22, "pier-3.txt", "pier-4.txt")
    assert "Developing: 2 new reports · first sent Friday 20 November 2026" in third
    assert "Divers inspect cracked Eastport pier" not in third
    html = (config.output_dir / "2026-11-22" / "digest.html").read_text(encoding="utf-8")
    assert '<a href="../2026-11-20/digest.html">digest of Friday 20 November 2026</a>' in html
    with Store(config.store_path) as store:
        # The 21st showed one story but recorded the absorbed report as covered too.
        assert len(store.digest_article_ids(date(2026, 11, 21))) == 2


def test_a_backfill_never_shows_what_was_written_after_its_day(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    late = articles_dir / "late-news.txt"
    late.write_text("Museum reopens after roof repair\nThe town museum reopened on Saturday "
                    "after its roof was repaired.\n", encoding="utf-8")
    written = datetime(2026, 11, 25, 9, 0, tzinfo=UTC).timestamp()
    os.utime(late, (written, written))
    backfill = run_in_process(make_config(articles_dir), date(2026, 11, 20))
    html = backfill.published.html.read_text()
    assert "Teenager wins national chess championship" in html  # written on the 19th
    assert "Museum reopens" not in html


def test_a_run_whose_every_source_failed_fails_and_says_why(
    tmp_path: Path, make_config: Callable[..., Config],
) -> None:
    import pytest

    from digest.errors import SourceError
    from digest.store import Store

    config = make_config(tmp_path / "missing", tmp_path / "also-missing")
    with pytest.raises(SourceError, match=r"^every source failed, so there is no digest: "
                                          r"missing: folder .* does not exist"):
        run_in_process(config, DAY)
    with Store(config.store_path) as store:
        assert store.db.execute("SELECT status FROM runs").fetchall() == [("failed",)]


def test_a_process_pool_makes_the_same_digest_as_one_process(
    articles_dir: Path, seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digest import pipeline
    from digest.config import load_config

    # "auto" in a process not warmed up yet reads the folders while it warms up.
    beside: list[int] = []
    real_beside = pipeline.beside_warm_up

    def counted(*args: Any) -> Any:
        beside.append(len(args[1]))
        return real_beside(*args)

    monkeypatch.setattr(pipeline, "beside_warm_up", counted)

    def config(name: str, runner: str) -> Config:
        path = tmp_path / f"{name}.toml"
        path.write_text(f'[sources]\nfolders = ["{articles_dir}", "{seeds_dir}"]\n'
                        f'[store]\npath = "{tmp_path / name}/d.db"\n'
                        f'[output]\ndir = "{tmp_path / name}/out"\n'
                        f'[run]\ntask_runner = "{runner}"\nworkers = 2\nbatch_size = 2\n')
        return load_config(path, env={})

    alone = run_in_process(config("alone", "threads"), DAY, send=False)
    # Twice: the second pool is forked from a process whose k-means already ran.
    # "auto" forks its pool at the first stage with more than one batch.
    for name, runner in (("pool", "processes"), ("pool-again", "processes"), ("auto", "auto")):
        monkeypatch.setattr(pipeline, "_WARM", [False])
        pooled = run_in_process(config(name, runner), DAY, send=False)
        assert pooled.published.html.read_bytes() == alone.published.html.read_bytes()
        assert pooled.published.text.read_bytes() == alone.published.text.read_bytes()
        assert pooled.counts == alone.counts
    assert beside == [2]  # "auto": the two folders; "processes" makes its pool first


def test_a_rerun_of_a_day_reads_its_folders_without_warming_up(
    articles_dir: Path, seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digest import pipeline
    from digest.config import load_config

    path = tmp_path / "digest.toml"
    path.write_text(f'[sources]\nfolders = ["{articles_dir}", "{seeds_dir}"]\n'
                    f'[store]\npath = "{tmp_path}/d.db"\n[output]\ndir = "{tmp_path}/out"\n'
                    '[run]\ntask_runner = "auto"\nworkers = 2\nbatch_size = 2\n')
    config = load_config(path, env={})
    pools: list[int] = []
    real_fork_pool = pipeline.fork_pool

    def counted(workers: int = 0) -> Any:
        pools.append(workers)
        return real_fork_pool(workers)

    monkeypatch.setattr(pipeline, "fork_pool", counted)
    monkeypatch.setattr(pipeline, "_WARM", [False])
    first = run_in_process(config, DAY, send=False)
    assert pools == [2]
    monkeypatch.setattr(pipeline, "_WARM", [False])  # as a fresh process
    again = run_in_process(config, DAY, send=False)
    # The day was made: its articles are stored, and nothing forks or warms up a pool.
    assert pools == [2]
    assert again.published.html.read_bytes() == first.published.html.read_bytes()
    # A new day's articles in a day made before: the pool is made once needed.
    for number in range(6):
        (articles_dir / f"late-{number}.txt").write_text(
            f"Late item {number} on the harbour\n\nA new report number {number} about the "
            "harbour's night ferries, the crews and the timetable.\n", encoding="utf-8")
    monkeypatch.setattr(pipeline, "_WARM", [False])
    late = run_in_process(config, DAY, send=False)
    assert pools == [2, 2]
    assert late.counts.new == 6


# Whether the pool was made: processes forked before it see False (`beside_warm_up`).
_POOL_MADE: list[bool] = [False]


def _twice_plus(item: int, add: int) -> int:
    return 2 * item + add


def _refuse_three(item: int) -> int:
    if item == 3:
        raise ValueError("three is refused")
    return item


def _die_before_the_pool(item: int) -> int:
    if not _POOL_MADE[0]:
        os._exit(1)  # as a process killed while reading
    return item * 10


def _make_pool() -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _POOL_MADE[0] = True
    return ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))


@pytest.mark.parametrize("processes", [1, 2, 5])
def test_sources_read_beside_the_warm_up_come_back_in_order(processes: int) -> None:
    from digest.pipeline import beside_warm_up

    made: list[Any] = []

    def make() -> Any:
        made.append(_make_pool())
        return made[-1]

    try:
        assert beside_warm_up(_twice_plus, list(range(7)), [1], make, processes) == \
            [1, 3, 5, 7, 9, 11, 13]
        assert len(made) == 1  # the pool is made meanwhile, once
    finally:
        _POOL_MADE[0] = False
        for pool in made:
            pool.shutdown()


def _heard_from_all(before: set[Any]) -> None:
    """Wait until the processes begun since `before` have ended (each sent what it did)."""
    import multiprocessing
    import time

    deadline = time.monotonic() + 10
    while set(multiprocessing.active_children()) - before and time.monotonic() < deadline:
        time.sleep(0.01)


def test_work_begun_ahead_is_taken_item_by_item_from_any_thread() -> None:
    import multiprocessing
    from concurrent.futures import ThreadPoolExecutor

    from digest.processes import Ahead

    before = set(multiprocessing.active_children())
    ahead = Ahead(_twice_plus, list(range(7)), [1], 3)
    _heard_from_all(before)  # every item done ahead
    with ThreadPoolExecutor(4) as threads:  # from any thread
        found = list(threads.map(ahead.get, reversed(range(7))))
    assert found == [(True, 2 * i + 1) for i in reversed(range(7))]
    assert ahead.results(lambda items: pytest.fail("nothing is left to do")) == \
        [1, 3, 5, 7, 9, 11, 13]
    # An exception raised by the work comes back as one, and is raised by `results`.
    refused = Ahead(_refuse_three, [1, 3], [], 1)
    _heard_from_all(before)
    assert refused.get(0) == (True, 1)
    done, error = refused.get(1)  # type: ignore[misc]
    assert not done and isinstance(error, ValueError)
    with pytest.raises(ValueError, match="three is refused"):
        refused.results(lambda items: items)


def _slowly(item: int) -> int:
    import time

    time.sleep(0.2)
    return item * 10


def test_work_not_begun_ahead_is_left_to_the_taker() -> None:
    from digest.processes import Ahead

    # One process at 0.2 s an item: asked at once, it has begun one item, two at most.
    ahead = Ahead(_slowly, [1, 2, 3, 4, 5], [], 1)
    taken: list[int] = []

    def again(items: list[int]) -> list[int]:
        taken.extend(items)
        return [i * 10 for i in items]

    assert ahead.results(again) == [10, 20, 30, 40, 50]
    assert len(taken) >= 3 and taken == sorted(taken)
    # Item by item: what nobody has begun is the taker's (None), and stays so.
    later = Ahead(_slowly, [1, 2, 3], [], 1)
    assert later.get(2) is None and later.get(2) is None
    taken.clear()
    assert later.results(again) == [10, 20, 30]
    assert 3 in taken


def test_the_taker_can_work_along_the_processes() -> None:
    from digest.processes import Ahead

    # One process at 0.2 s an item, the taker at once: each does about half.
    done_here: list[int] = []

    def here(item: int) -> int:
        done_here.append(item)
        return _slowly(item)

    assert Ahead(_slowly, [1, 2, 3, 4], [], 1).along(here) == [10, 20, 30, 40]
    assert 1 <= len(done_here) <= 3
    # What a dead process had is done here too; an error here ends the processes.
    assert Ahead(_die_before_the_pool, [1, 2, 3], [], 2).along(lambda i: i * 100) == \
        [100, 200, 300]
    with pytest.raises(ValueError, match="three is refused"):
        Ahead(_slowly, [3, 3, 3], [], 1).along(_refuse_three)


@pytest.mark.parametrize("taking", ["results", "along", "get"])
def test_a_process_killed_holding_the_claims_costs_a_wait_not_a_hang(
    taking: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import multiprocessing

    from digest import processes

    monkeypatch.setattr(processes, "CLAIM_WAIT", 0.2)
    before = set(multiprocessing.active_children())
    ahead = processes.Ahead(_slowly, [1, 2, 3], [], 1)
    # A process that ends holding the claims' lock, as one killed mid-claim would.
    holder = os.fork()
    if holder == 0:
        ahead._claiming.acquire()
        os._exit(0)
    os.waitpid(holder, 0)
    if taking == "results":
        assert ahead.results(lambda items: [i * 10 for i in items]) == [10, 20, 30]
    elif taking == "along":
        assert ahead.along(lambda item: item * 10) == [10, 20, 30]
    else:
        assert ahead.get(2) is None  # the taker's to do, and every process ended
    assert not set(multiprocessing.active_children()) - before


def test_work_begun_ahead_and_not_taken_is_ended_by_cancel() -> None:
    import multiprocessing

    from digest.processes import Ahead

    before = set(multiprocessing.active_children())
    # Answers too big for the pipe: each process waits for them to be read.
    ahead = Ahead(_twice_plus, list(range(40_000)), [1], 2)
    assert ahead.get(0) in ((True, 1), None)  # None: asked before a process claimed it
    ahead.cancel()
    assert not set(multiprocessing.active_children()) - before
    assert ahead.get(1) is None  # the taker's now
    # A dead process's items are done again by the taker.
    dead = Ahead(_die_before_the_pool, [1, 2, 3], [], 2)
    assert dead.results(lambda items: [i * 100 for i in items]) == [100, 200, 300]


def test_a_source_that_fails_beside_the_warm_up_fails_here_and_a_dead_reader_is_redone(
) -> None:
    import multiprocessing

    from digest.pipeline import beside_warm_up

    pools: list[Any] = []

    def make() -> Any:
        pools.append(_make_pool())
        return pools[-1]

    try:
        with pytest.raises(ValueError, match="three is refused"):
            beside_warm_up(_refuse_three, [1, 2, 3, 4], [], make, 2)
        _POOL_MADE[0] = False
        # Each reading process dies: their shares are read on the pool instead.
        assert beside_warm_up(_die_before_the_pool, [1, 2, 3], [], make, 2) == [10, 20, 30]

        def no_pool() -> Any:
            raise OSError("cannot fork")

        # The pool cannot be made: that is the error, and no reading process is left
        # (each would otherwise wait for its answer, too big for the pipe, to be read).
        before = set(multiprocessing.active_children())
        with pytest.raises(OSError, match="cannot fork"):
            beside_warm_up(_twice_plus, list(range(40_000)), [1], no_pool, 2)
        assert set(multiprocessing.active_children()) == before
    finally:
        _POOL_MADE[0] = False
        for pool in pools:
            pool.shutdown()


def test_each_day_links_to_the_day_before_and_the_day_after(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    config = make_config(articles_dir)
    first = run_in_process(config, date(2026, 11, 20), send=False)
    page = first.published.html.read_text(encoding="utf-8")
    assert 'rel="prev"' not in page and 'rel="next"' not in page
    second = run_in_process(config, date(2026, 11, 22), send=False)
    later = second.published.html.read_text(encoding="utf-8")
    assert '<a rel="prev" href="../2026-11-20/digest.html">← Friday 20 November 2026</a>' in later
    earlier = first.published.html.read_text(encoding="utf-8")
    assert '<a rel="next" href="../2026-11-22/digest.html">Sunday 22 November 2026 →</a>' in \
        earlier
    assert earlier.count('rel="next"') == 1


def test_a_run_says_how_far_it_is_in_its_log(
    articles_dir: Path, make_config: Callable[..., Config], caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="digest"):
        run_in_process(make_config(articles_dir), DAY, send=False)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert said[:4] == ["reading 1 folder and fetching 0 feeds",
                        "read 7 articles from 1 source",
                        "6 of them for the digest of 2026-11-20; grouping stories",
                        "6 stories; summarizing 6 (the rest are cached), finding sections"]


def _stages(config: Config, day: date = DAY) -> tuple[dict[str, float], Path]:
    """Run the day once; return {stage: seconds} of the stages that ran, and the page."""
    stages: dict[str, float] = {}
    result = run_in_process(config, day, on_stage=stages.__setitem__, send=False)
    return stages, result.published.html


def test_a_rerun_on_unchanged_articles_redoes_no_work(
    articles_dir: Path, make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digest import pipeline

    done: dict[str, int] = {}

    def spy(name: str) -> None:
        real = getattr(pipeline, name)

        def counted(items: Any, *args: Any) -> Any:
            done[name] = done.get(name, 0) + len(items)
            return real(items, *args)

        monkeypatch.setattr(pipeline, name, counted)

    for name in ("clean_articles", "leads_of", "summarize_batch"):
        spy(name)
    config = make_config(articles_dir)
    cold, page = _stages(config)
    html = page.read_text()
    assert done == {"clean_articles": 7, "leads_of": 6, "summarize_batch": 6}
    assert {"stories", "themes"} <= cold.keys()
    pages = sorted((page.parent / "articles").iterdir())
    os.utime(page, ns=(1, 1))  # so that a rewrite would show
    written = {p: p.stat().st_mtime_ns for p in [page, *pages]}
    done.clear()
    again, page = _stages(config)
    # Nothing is cleaned again (the dropped duplicate keeps its cleaned form
    # too), no leads, stories, sections or summaries are made: all are read
    # back, and no unchanged file is written again.
    assert not any(done.values())
    assert not {"stories", "themes"} & again.keys()
    assert page.read_text() == html
    assert {p: p.stat().st_mtime_ns for p in [page, *pages]} == written


def test_a_changed_article_or_setting_groups_the_day_again(
    articles_dir: Path, make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digest import pipeline

    found: list[str] = []
    real = pipeline.leads_of

    def counted(articles: Any, language: str) -> Any:
        found.extend(a.title for a in articles)
        return real(articles, language)

    monkeypatch.setattr(pipeline, "leads_of", counted)
    config = make_config(articles_dir)
    _stages(config)
    assert len(found) == 6
    found.clear()
    edited = articles_dir / "river-flood.txt"
    edited.write_text(edited.read_text() + "\n\nThe river fell again by the evening.\n")
    os.utime(edited, (datetime(2026, 11, 19, 12, tzinfo=UTC).timestamp(),) * 2)
    stages, page = _stages(config)
    # The day is grouped again, but only the edited article's lead is found again.
    assert {"clean", "stories", "themes"} <= stages.keys()
    assert found == ["River Wend bursts its banks as rain continues"]
    assert any("The river fell again" in p.read_text()
               for p in (page.parent / "articles").iterdir())
    # The same articles under another similarity bar: grouped again from stored leads.
    found.clear()
    stricter = make_config(articles_dir, extra="[stories]\nsimilarity = 0.5\n")
    stages, _ = _stages(stricter)
    assert "stories" in stages and found == []


def test_changed_cleaning_rules_clean_the_articles_again(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    def bodies() -> list[str]:
        with Store(config.store_path) as store:
            return [a.body for a in store.articles_by_id(store.digest_article_ids(DAY))]

    config = make_config(articles_dir)
    first = run_in_process(config, DAY, send=False)
    assert any("Insurers sent assessors" in body for body in bodies())
    stricter = make_config(articles_dir,
                           extra='[clean]\ndrop_lines = [".*Insurers sent assessors.*"]\n')
    second = run_in_process(stricter, DAY, send=False)
    assert not any("Insurers sent assessors" in body for body in bodies())
    assert second.counts.articles == first.counts.articles


def test_auto_uses_no_pool_for_a_small_day(
    articles_dir: Path, make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digest import pipeline

    def no_pool(workers: int = 0) -> Any:
        raise AssertionError("a day of one batch needs no pool")

    monkeypatch.setattr(pipeline, "fork_pool", no_pool)
    config = make_config(articles_dir, extra="[run]\nworkers = 2\n")
    assert config.run.task_runner == "auto"
    assert run_in_process(config, DAY, send=False).counts.articles == 6


def test_a_runner_whose_tasks_cost_more_makes_bigger_batches_of_the_same_digest(
    articles_dir: Path, tmp_path: Path,
) -> None:
    from digest.config import load_config
    from digest.pipeline import InProcess, run_digest

    class Scaled(InProcess):
        def __init__(self, scale: int) -> None:
            super().__init__()
            self.scale = scale
            self.sizes: dict[str, list[int]] = {}

        def batch_size(self, configured: int, count: int) -> int:
            return configured * self.scale

        def map(self, name: str, fn: Any, items: Any, *args: Any, io: bool = False,
                label: Any = None) -> list[Any]:
            self.sizes.setdefault(name, []).extend(map(len, items))
            return super().map(name, fn, items, *args, io=io, label=label)

    pages = {}
    for scale in (1, 2):
        path = tmp_path / f"scale{scale}.toml"
        path.write_text(f'[sources]\nfolders = ["{articles_dir}"]\n'
                        f'[store]\npath = "{tmp_path / str(scale)}/d.db"\n'
                        f'[output]\ndir = "{tmp_path / str(scale)}/out"\n'
                        '[run]\ntask_runner = "threads"\nbatch_size = 2\n', encoding="utf-8")
        runner = Scaled(scale)
        result = run_digest(load_config(path, env={}), DAY, runner, send=False)
        pages[scale] = result.published.html.read_text(encoding="utf-8")
        for stage in ("clean", "story-leads", "summarize", "article-pages"):
            sizes = runner.sizes[stage]
            assert max(sizes) == 2 * scale and sum(sizes) > 2 * scale, (stage, sizes)
    assert pages[1] == pages[2]


def test_article_pages_written_in_batches_are_the_pages_of_the_whole_digest(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    # Article pages are written in batches (on other cores on a big day), each
    # batch sent with only what a page needs of the digest: the pages are the
    # ones the whole digest makes.
    from digest.publish.pages import article_pages, page_context, write_article_pages
    from digest.publish.render import render_article

    config = make_config(articles_dir)
    result = run_in_process(config, DAY, send=False)
    digest = result.published.digest
    with Store(config.store_path) as store:
        stored = {a.id: a for a in store.articles_by_id(sorted(digest.article_ids))}
    pages = article_pages(digest, stored)
    assert len(pages) >= 5
    folder = result.published.html.parent
    for page, article in pages:
        assert (folder / page).read_text(encoding="utf-8") == render_article(article, digest)
    elsewhere = folder.parent / "again"
    assert write_article_pages(pages, str(elsewhere), page_context(digest)) == len(pages)
    assert write_article_pages(pages, str(elsewhere), page_context(digest)) == 0
    for page, _ in pages:
        assert (elsewhere / page).read_bytes() == (folder / page).read_bytes()


def test_start_map_runs_its_items_beside_what_follows_and_returns_them_in_order() -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from digest.pipeline import InProcess

    times: dict[str, float] = {}
    go = threading.Event()

    def waits_for_the_caller(item: int, offset: int) -> int:
        assert go.wait(10), "start_map did not return before its items finished"
        return item + offset

    with ThreadPoolExecutor(2) as pool:
        runner = InProcess(executor=pool, on_stage=times.__setitem__)
        pending = runner.start_map("pages", waits_for_the_caller, [3, 1, 2], 10)
        go.set()  # only reached if start_map left the items running
        assert pending.result() == [13, 11, 12]
    assert "pages" in times
    # With no other worker the items run at once; the results are the same.
    assert InProcess().start_map("pages", lambda item, n: item * n, [1, 2], 3).result() == [3, 6]


def test_an_article_page_that_cannot_be_written_fails_the_run_after_the_day_is_stored(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    # The articles' pages are written on the pool while the run writes the
    # day's page and the store: a page that cannot be written fails the run,
    # naming it, and the next run writes it without redoing the day's work.
    from digest.errors import DeliveryError

    config = make_config(articles_dir,
                         extra='[run]\ntask_runner = "processes"\nworkers = 2\nbatch_size = 2\n')
    first = run_in_process(config, DAY, send=False)
    page = sorted((first.published.html.parent / "articles").iterdir())[0]
    expected = page.read_bytes()
    page.unlink()
    page.mkdir()  # a folder where the page goes: it cannot be written
    with pytest.raises(DeliveryError, match=page.name):
        run_in_process(config, DAY, send=False)
    with Store(config.store_path) as store:
        rows = list(store.db.query("SELECT status FROM runs ORDER BY id"))
    assert [r["status"] for r in rows] == ["completed", "failed"]
    page.rmdir()
    times: dict[str, float] = {}
    again = run_in_process(config, DAY, send=False, on_stage=times.__setitem__)
    assert page.read_bytes() == expected
    assert again.published.html.read_bytes() == first.published.html.read_bytes()
    assert not {"stories", "themes"} & times.keys()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_worker_ends_soon_after_its_run_is_killed() -> None:
    import signal
    import subprocess
    import sys
    import time

    # A run (here a small script) forks a worker that watches it, then is killed.
    script = ("import os, time\n"
              "from digest.processes import watch_parent\n"
              "run = os.getpid()\n"
              "pid = os.fork()\n"
              "if pid == 0:\n"
              "    watch_parent(run)\n"
              "    time.sleep(60)\n"
              "    os._exit(0)\n"
              "print(pid, flush=True)\n"
              "time.sleep(60)\n")
    run = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert run.stdout is not None
    worker = int(run.stdout.readline())
    run.send_signal(signal.SIGKILL)
    run.wait()

    deadline = time.monotonic() + 10
    while not _ended(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = not _ended(worker)
    if alive:
        os.kill(worker, signal.SIGKILL)
    assert not alive, "the worker outlived its run"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_a_killed_run_leaves_no_worker_behind(
    articles_dir: Path, seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    import signal
    import socket
    import subprocess
    import sys
    import time

    # A mail server that takes the connection and never says a word: the run
    # waits there, at its last step, with its pool up.
    with socket.create_server(("127.0.0.1", 0)) as mute:
        mute.settimeout(120)
        make_config(articles_dir, seeds_dir, extra=(
            f'[email]\nto = ["ann@example.org"]\nsmtp_host = "127.0.0.1"\n'
            f'smtp_port = {mute.getsockname()[1]}\n'
            '[run]\nworkers = 2\nbatch_size = 2\n'))
        run = subprocess.Popen(
            [sys.executable, "-m", "digest_flows.cli", "run", "--without-prefect",
             "--config", str(tmp_path / "digest.toml"), "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            connection, _ = mute.accept()
            with connection:
                workers = _children(run.pid)
                assert len(workers) == 2, "the pool's two workers"
                run.send_signal(signal.SIGKILL)
                run.wait()
                deadline = time.monotonic() + 10
                while not all(map(_ended, workers)) and time.monotonic() < deadline:
                    time.sleep(0.1)
                left = [pid for pid in workers if not _ended(pid)]
                for pid in left:
                    os.kill(pid, signal.SIGKILL)
                assert not left, "workers outlived their killed run"
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _ended(pid: int) -> bool:
    """Whether process `pid` has exited (a zombie until the system reaps it, or reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
