"""Feeds through the whole library pipeline and the `digest sources` commands, on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from digest.config import Config
from digest.pipeline import run_in_process
from digest.store import Store
from digest_flows.cli import main

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
DAY = date(2026, 11, 23)
RSS = "application/rss+xml"
# Items per served feed: harbour 3, chess 2, river 2, cafe 1, broken 2, teaser 1.
ITEMS = 11


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@pytest.fixture
def feeds(server: HTTPServer) -> HTTPServer:
    """The local server, serving every fixture feed (and a gone and a failing one)."""
    s = server
    s.expect_request("/harbour", headers={"If-None-Match": '"h1"'}).respond_with_data(
        "", status=304)
    s.expect_request("/harbour").respond_with_data(fixture("rss2.xml"), content_type=RSS,
                                                   headers={"ETag": '"h1"'})
    s.expect_request("/chess").respond_with_data(fixture("atom.xml"),
                                                 content_type="application/atom+xml")
    s.expect_request("/river-old").respond_with_data(
        "", status=301, headers={"Location": s.url_for("/river")})
    s.expect_request("/river").respond_with_data(fixture("feed.json"),
                                                 content_type="application/feed+json")
    s.expect_request("/cafe").respond_with_data(fixture("latin1.xml"), content_type="text/xml")
    s.expect_request("/broken").respond_with_data(fixture("truncated.xml"), content_type=RSS)
    s.expect_request("/teaser").respond_with_data(
        fixture("stub.xml").replace(b"http://PLACEHOLDER", s.url_for("").rstrip("/").encode()),
        content_type=RSS)
    s.expect_request("/observatory").respond_with_data(fixture("observatory.html"),
                                                       content_type="text/html")
    s.expect_request("/gone").respond_with_data("", status=410)
    s.expect_request("/flaky").respond_with_data("", status=500)
    return s


@pytest.fixture
def config(feeds: HTTPServer, make_config: Callable[..., Config]) -> Config:
    def table(path: str, extra: str = "") -> str:
        return f'[[sources.feeds]]\nurl = "{feeds.url_for(path)}"\n{extra}'

    return make_config(extra="".join([
        table("/harbour", 'name = "Harbour Gazette"\n'), table("/chess"), table("/river-old"),
        table("/cafe"), table("/broken"), table("/teaser", "full_text = true\n"),
        table("/gone", 'name = "Gone Daily"\n'), table("/flaky", 'name = "Flaky News"\n'),
    ]) + "[fetch]\ntimeout = 5.0\n")


def test_feeds_are_stored_once_across_reruns(server: HTTPServer, config: Config) -> None:
    first = run_in_process(config, DAY)
    assert first.counts.new == ITEMS and first.counts.read == ITEMS
    second = run_in_process(config, DAY)
    assert second.counts.new == 0
    with Store(config.store_path) as store:
        assert store.db["articles"].count == ITEMS
        assert store.db["duplicates"].count == 0
        sources = {row.name: row for row in store.sources()}
        feeds = {s.name: s for s in store.feed_states([f.state() for f in config.sources.feeds])}
    # The second run got a 304 from the harbour feed and went straight to the moved feed.
    harbour = [r for r, _ in server.log if r.path == "/harbour"]
    assert len(harbour) == 2 and harbour[1].headers["If-None-Match"] == '"h1"'
    assert len([r for r, _ in server.log if r.path == "/river-old"]) == 1
    assert len([r for r, _ in server.log if r.path == "/gone"]) == 1
    assert len([r for r, _ in server.log if r.path == "/flaky"]) == 1  # backing off
    assert feeds["River Watch"].fetch_url == server.url_for("/river")
    assert feeds["Gone Daily"].gone
    assert feeds["Flaky News"].consecutive_errors == 1
    assert sources["Chess Weekly"].kind == "feed"
    html = first.published.html.read_text()
    assert "Observatory opens to the public" in html
    assert "Bäckerei öffnet früher" in html
    for text in ("Gone Daily", "polling stopped", "Flaky News", "HTTP 500",
                 "Broken Bulletin", "not well-formed"):
        assert text in html
    again = second.published.html.read_text()
    assert "polling stopped" in again and "Flaky News" in again


def test_feed_that_rewrites_its_guids_adds_no_copies(server: HTTPServer, config: Config) -> None:
    run_in_process(config, DAY)
    rewritten = (fixture("rss2.xml").replace(b"harbour-2026-0001", b"rewritten-1")
                 .replace(b"<guid>http://harbour.example/news/fish-market</guid>",
                          b"<guid>rewritten-2</guid>"))
    server.clear()
    server.expect_request("/harbour").respond_with_data(rewritten, content_type=RSS)
    later = run_in_process(config, DAY)
    assert later.counts.new == 0 and later.counts.duplicates == 2
    with Store(config.store_path) as store:
        assert store.db["articles"].count == ITEMS
        titles = [r[0] for r in store.db.execute(
            "SELECT title FROM articles WHERE title LIKE 'Night ferry%'").fetchall()]
    assert titles == ["Night ferry returns after winter pause"]


def test_items_outside_the_window_are_stored_but_not_shown(
    server: HTTPServer, config: Config,
) -> None:
    result = run_in_process(config, date(2026, 11, 26))
    assert result.counts.new == ITEMS
    html = result.published.html.read_text()
    assert "Final decided in rapid tiebreak" not in html  # 23 Nov, three days before
    with Store(config.store_path) as store:
        assert store.db["articles"].count == ITEMS


def test_sources_list_shows_each_feed_status(
    server: HTTPServer, config: Config, capsys: pytest.CaptureFixture[str],
) -> None:
    config_path = str(Path.cwd() / "digest.toml")
    assert main(["sources", "list", "--config", config_path]) == 0
    before = capsys.readouterr().out
    assert "Gone Daily" in before and " new " in before
    run_in_process(config, DAY)
    assert main(["sources", "list", "--config", config_path]) == 0
    out = capsys.readouterr().out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert lines["SOURCE"].split() == ["SOURCE", "KIND", "FROM", "STATUS", "LAST", "FETCH",
                                       "LAST", "SUCCESS", "ITEMS", "ERRORS", "NEXT", "ATTEMPT"]
    assert " ok " in lines["Harbour Gazette"] and " 3 " in lines["Harbour Gazette"]
    assert " gone " in lines["Gone Daily"] and lines["Gone Daily"].endswith("never")
    flaky = re.split(r"\s{2,}", lines["Flaky News"])
    assert flaky[2] == "config" and flaky[3] == "backing-off" and flaky[7] == "1"  # one error
    assert "Flaky News: HTTP 500 INTERNAL SERVER ERROR" in out
    assert f"River Watch: {server.url_for('/river')}" in out


def test_opml_import_export_round_trip(
    server: HTTPServer, feeds: HTTPServer, make_config: Callable[..., Config], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = make_config(tmp_path / "empty-folder")
    (tmp_path / "empty-folder").mkdir()
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>'
        '<outline text="Local"><outline text="Chess" type="rss" '
        f'xmlUrl="{server.url_for("/chess")}" htmlUrl="https://chess.example/"/>'
        f'<outline text="River" type="rss" xmlUrl="{server.url_for("/river")}"/></outline>'
        '<outline text="Bad" xmlUrl="javascript:alert(1)"/></body></opml>', encoding="utf-8")
    config_path = str(tmp_path / "digest.toml")
    assert main(["sources", "import-opml", str(opml), "--config", config_path]) == 0
    captured = capsys.readouterr()
    assert "Imported 2 new feeds" in captured.out
    assert "outline 'Bad' skipped: 'javascript:alert(1)' is not an http(s) feed address" in \
        captured.err
    assert main(["sources", "import-opml", str(opml), "--config", config_path]) == 0
    assert "Imported 0 new feeds" in capsys.readouterr().out
    result = run_in_process(config, DAY)
    assert result.counts.new == 4  # chess 2 + river 2, read because they were imported
    exported = tmp_path / "out.opml"
    assert main(["sources", "export-opml", str(exported), "--config", config_path]) == 0
    assert "Wrote 2 feeds" in capsys.readouterr().out
    text = exported.read_text()
    assert f'xmlUrl="{server.url_for("/chess")}"' in text and 'title="Chess"' in text
    # Categories (the outline folders) and web sites come back out.
    assert 'htmlUrl="https://chess.example/"' in text and 'category="/Local"' in text
    from digest.ingest.opml import read_opml

    again = {f.name: f for f in read_opml(text.encode(), "out.opml").feeds}
    assert (again["Chess"].category, again["Chess"].site_url) == ("Local",
                                                                    "https://chess.example/")
    assert main(["sources", "export-opml", "--config", config_path]) == 0
    # Standard output gets the same document (bar its creation time, to the second).
    def undated(document: str) -> str:
        return re.sub(r"<dateCreated>[^<]*</dateCreated>", "", document)

    assert undated(capsys.readouterr().out) == undated(text)


def test_import_of_a_file_that_is_not_opml_is_a_clear_error(
    make_config: Callable[..., Config], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    make_config(tmp_path)
    bad = tmp_path / "notes.txt"
    bad.write_text("just some notes")
    config_path = str(tmp_path / "digest.toml")
    assert main(["sources", "import-opml", str(bad), "--config", config_path]) == 1
    assert capsys.readouterr().err.strip() == (
        f"SourceError: {bad}: no feeds found in this OPML file")
    assert main(["sources", "import-opml", str(tmp_path / "missing.opml"),
                 "--config", config_path]) == 1
    assert "missing.opml: cannot read (No such file or directory)" in capsys.readouterr().err


def test_a_problem_names_an_unnamed_feed_by_its_address(
    server: HTTPServer, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    atom = fixture("atom.xml")
    server.expect_request("/atom").respond_with_data(atom, content_type="application/atom+xml")
    server.expect_request("/missing").respond_with_data("", status=404)
    (tmp_path / "empty").mkdir()
    config = make_config(tmp_path / "empty", extra=(
        f'[[sources.feeds]]\nurl = "{server.url_for("/atom")}"\n'
        f'[[sources.feeds]]\nurl = "{server.url_for("/missing")}"\n'))
    result = run_in_process(config, date(2026, 11, 23), send=False)
    problems = [str(p) for p in result.problems]
    assert any(p.startswith(f"{server.url_for('/missing')}: HTTP 404") for p in problems), problems


def test_the_summary_says_where_every_article_read_went(
    server: HTTPServer, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    def item(title: str, when: str) -> str:
        return (f"<item><title>{title}</title><link>https://news.example/{title.split()[0]}"
                f"</link><pubDate>{when}</pubDate><description>{title} and what happened "
                "next, in a few words.</description></item>")

    rss = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Coast News</title>"
           + item("Lifeboat launched twice in one night", "Mon, 23 Nov 2026 10:00:00 +0000")
           + item("Harbour wall repaired after winter", "Tue, 10 Nov 2026 09:00:00 +0000")
           + item("Beach cleanup draws record crowd", "Sun, 01 Nov 2026 09:00:00 +0000")
           + "</channel></rss>")
    server.expect_request("/coast", headers={"If-None-Match": '"c1"'}).respond_with_data(
        "", status=304)
    server.expect_request("/coast").respond_with_data(rss, content_type=RSS,
                                                      headers={"ETag": '"c1"'})
    (tmp_path / "empty").mkdir()
    config = make_config(tmp_path / "empty",
                         extra=f'[[sources.feeds]]\nurl = "{server.url_for("/coast")}"\n')
    first = run_in_process(config, DAY, send=False)
    assert first.summary_line() == (
        "3 articles read (2 older than the window, not shown), 3 new, 0 duplicates dropped, "
        "1 in the digest as 1 story in 1 section")
    again = run_in_process(config, DAY, send=False)
    assert again.summary_line() == (
        "0 articles read (1 feed unchanged), 0 new, 0 duplicates dropped, "
        "1 in the digest (1 from earlier runs) as 1 story in 1 section")


def test_sections_can_be_the_feeds_categories(
    feeds: HTTPServer, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    (tmp_path / "empty").mkdir()
    config = make_config(tmp_path / "empty", extra=(
        f'[[sources.feeds]]\nurl = "{feeds.url_for("/chess")}"\ncategory = "Sport/Chess"\n'
        f'[[sources.feeds]]\nurl = "{feeds.url_for("/river")}"\ncategory = "Local"\n'
        '[themes]\nby = "category"\n'))
    result = run_in_process(config, DAY, send=False)
    sections = {s.label: [e.source for e in s.entries] for s in result.published.digest.sections}
    assert set(sections) == {"Sport · Chess", "Local"}
    assert {len(v) for v in sections.values()} == {2}
