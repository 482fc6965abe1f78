from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from digest.models import Article, ArticleSummary, DigestCounts, SourceProblem, Theme
from digest.publish.render import (
    assemble_digest,
    render_html,
    render_index,
    render_text,
    write_file,
)
from digest.store import DigestRecord

EVIL = "<script>alert(1)</script>"


def _digest(make_article: Callable[..., Article], url: str | None = "https://ex.com/a"):
    article = make_article(id="a", title=f"Title {EVIL}", url=url, source="Ex <b>News</b>")
    summaries = {"a": ArticleSummary("a", (f"Summary {EVIL} & more.",), "lexrank")}
    return assemble_digest(
        date(2026, 11, 20), "Daily digest", [Theme("Ferry · Harbour", ("a",))], {"a": article},
        summaries, DigestCounts(read=2, new=2, duplicates=1, articles=1, themes=1, sources=1),
        [SourceProblem("feeds", "bad.txt", f"binary file skipped {EVIL}")], "Europe/London",
    )


def test_html_escapes_everything_that_came_from_sources(
    make_article: Callable[..., Article],
) -> None:
    html = render_html(_digest(make_article))
    assert EVIL not in html
    assert "<b>News</b>" not in html
    assert "Title &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Summary &lt;script&gt;" in html and "&amp; more." in html
    assert html.count("<script") == 0


def test_html_has_header_sections_links_and_failed_sources(
    make_article: Callable[..., Article],
) -> None:
    html = render_html(_digest(make_article))
    assert "Friday 20 November 2026" in html
    # Reader-facing counts; bookkeeping (duplicates dropped) stays out of the header.
    assert "1 story</li>" in html and "1 section</li>" in html and "1 outlet</li>" in html
    assert "duplicate" not in html
    assert '<h2>Ferry · Harbour <span class="n">· 1</span></h2>' in html
    assert '<a href="https://ex.com/a" rel="noopener noreferrer">' in html
    assert "20 Nov 08:00" in html
    assert "feeds: bad.txt: binary file skipped" in html
    assert 'name="viewport"' in html


def test_dangerous_links_are_not_rendered(make_article: Callable[..., Article]) -> None:
    html = render_html(_digest(make_article, url="javascript:alert(1)"))
    assert "javascript:" not in html
    assert "<h3>Title" in html


def test_text_digest_carries_the_same_content(make_article: Callable[..., Article]) -> None:
    text = render_text(_digest(make_article))
    assert text.startswith("Daily digest: Friday 20 November 2026\n")
    assert "== Ferry · Harbour (1) ==" in text
    assert f"* Title {EVIL}" in text
    assert "https://ex.com/a" in text
    assert "- feeds: bad.txt: binary file skipped" in text


def test_empty_digest_says_so(make_article: Callable[..., Article]) -> None:
    empty = assemble_digest(date(2026, 11, 20), "D", [], {}, {}, DigestCounts())
    assert "No new articles today." in render_html(empty)
    assert "No new articles today." in render_text(empty)


def test_index_links_every_digest_newest_first() -> None:
    records = [DigestRecord(date(2026, 11, 21), "h", "t", 4, 2),
               DigestRecord(date(2026, 11, 20), "h", "t", 3, 1)]
    html = render_index(records, "Daily <digest>")
    assert html.index("2026-11-21/digest.html") < html.index("2026-11-20/digest.html")
    assert "Daily &lt;digest&gt;" in html


def test_write_file_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out" / "x.html"
    write_file(target, "one")
    write_file(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["x.html"]


def test_a_story_shows_once_with_the_other_outlets(make_article: Callable[..., Article]) -> None:
    from digest.publish.render import render_email_html

    main = make_article(id="m", title="Pier closed after storm", source="Coast News",
                        url="https://coast.example/pier")
    other = make_article(id="o", title="Storm shuts pier", source="Island <i>Times</i>",
                         url="https://island.example/p")
    copy = make_article(id="c", title="Pier closed", source="Wire", url="javascript:alert(1)")
    digest = assemble_digest(date(2026, 11, 23), "Daily digest", [Theme("Harbour", ("m",))],
                             {a.id: a for a in (main, other, copy)},
                             {"m": ArticleSummary("m", ("The pier closed.",), "news")},
                             DigestCounts(articles=3, themes=1, stories=1),
                             coverage={"m": ("o", "c")})
    (entry,) = digest.sections[0].entries
    assert entry.other_sources == ("Island <i>Times</i>", "Wire")
    assert digest.article_ids == ("m", "o", "c")  # all three count as shown
    html = render_html(digest)
    assert html.count("<article>") == 1  # the story once, its reports listed under it
    assert ("Also covered by: <a href=\"https://island.example/p\" rel=\"noopener noreferrer\" "
            "title=\"Storm shuts pier\">Island &lt;i&gt;Times&lt;/i&gt;</a>") in html
    assert "javascript:" not in html and ">Wire</span>" in html
    assert "<li>1 story</li>" in html
    assert "Also covered by: Island <i>Times</i>, Wire" in render_text(digest)
    assert "Also covered by:" in render_email_html(digest, None)


def test_a_time_outside_the_digests_year_carries_its_year(
    make_article: Callable[..., Article],
) -> None:
    from datetime import UTC, datetime

    old = make_article(id="a1", title="Backfilled", body="Text.",
                       published=datetime(2025, 12, 31, 22, 0, tzinfo=UTC))
    from digest.publish.render import _local_time

    assert _local_time(old.published, "UTC", 2026) == "31 Dec 2025 22:00"
    assert _local_time(old.published, "UTC", 2025) == "31 Dec 22:00"


def test_every_report_of_a_story_is_listed_with_its_outlet_and_link(
    make_article: Callable[..., Article],
) -> None:
    from datetime import UTC, date, datetime

    from digest.models import Coverage, Digest, DigestCounts, DigestEntry, DigestSection

    entry = DigestEntry(id="a", title="Pier closes", source="Coast News",
                        published=datetime(2026, 11, 20, 8, tzinfo=UTC), summary=("S.",),
                        also=(Coverage("b", "Island Times", "Eastport pier shut",
                                       "https://island.example/pier"),
                              Coverage("c", "Coast News", "Pier update", None)))
    html = render_html(Digest(date(2026, 11, 20), "Daily digest",
                              (DigestSection("Ports", (entry,)),), DigestCounts()))
    assert 'Island Times: <a href="https://island.example/pier"' in html
    assert "Eastport pier shut</a>" in html and "Coast News: Pier update" in html


def test_written_pages_are_readable_by_a_web_server(tmp_path: Path) -> None:
    import os
    import stat

    from digest.publish.render import write_file

    old = os.umask(0o022)
    try:
        page = write_file(tmp_path / "out" / "digest.html", "<p>hello</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(page.stat().st_mode) == 0o644


def test_plain_text_wraps_between_words_and_never_cuts_a_link() -> None:
    from digest.publish.render import wrap

    link = "https://example.org/" + "a" * 90
    text = wrap(f"Read the whole report at {link} before the vote on Friday.", 30, "  ")
    lines = text.split("\n")
    assert f"  {link}" in lines
    assert all(len(line) <= 32 for line in lines if link not in line)
    assert " ".join(text.split()) == f"Read the whole report at {link} before the vote on Friday."


def test_plain_text_lines_are_filled_greedily_word_by_word() -> None:
    import random

    from digest.publish.render import wrap

    def greedy(text: str, width: int) -> list[str]:
        lines: list[str] = []
        for word in text.split():
            if lines and len(lines[-1]) + 1 + len(word) <= width:
                lines[-1] += f" {word}"
            else:
                lines.append(word)
        return lines

    rng = random.Random(3)
    for _ in range(500):
        words = ["x" * rng.choice((1, 2, 4, 7, 12, 40)) for _ in range(rng.randrange(30))]
        text = "".join(w + rng.choice((" ", "  ", "\n", "\t", "\u00a0")) for w in words)
        width = rng.choice((1, 3, 10, 30, 72))
        assert wrap(text, width, "  ") == "\n  ".join(greedy(text, width))


def test_an_unchanged_file_is_not_written_again(tmp_path: Path) -> None:
    from digest.publish.render import write_file

    page = write_file(tmp_path / "page.html", "<p>same</p>")
    os.utime(page, ns=(1, 1))
    write_file(page, "<p>same</p>")
    assert page.stat().st_mtime_ns == 1
    write_file(page, "<p>changed</p>")
    assert page.read_text() == "<p>changed</p>" and page.stat().st_mtime_ns != 1


def test_compiled_templates_are_kept_with_the_models_and_render_the_same(
    make_article: Callable[..., Article], tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    from digest.publish import render
    from digest.text import modelcache

    digest = _digest(make_article)
    plain = render_html(digest), render_text(digest)
    kept = tmp_path / "models"
    try:
        modelcache.use(kept)
        assert (render_html(digest), render_text(digest)) == plain
        copies = sorted(kept.glob("jinja2-*.cache"))
        assert len(copies) >= 2  # the day's page, its text and what they include
        # A later process reads them instead of compiling (here: a new environment).
        render._environment_in.cache_clear()
        loaded: list[str] = []
        environment = render._environment()
        real = environment.bytecode_cache
        assert real is not None
        load = real.load_bytecode

        def counting(bucket: Any) -> None:
            load(bucket)
            if bucket.code is not None:
                loaded.append(bucket.key)

        real.load_bytecode = counting  # type: ignore[method-assign]
        assert (render_html(digest), render_text(digest)) == plain
        assert len(loaded) == len(copies)
        # A copy cut short is compiled again, and the page is the same.
        for copy in copies:
            copy.write_bytes(copy.read_bytes()[:40])
        render._environment_in.cache_clear()
        assert (render_html(digest), render_text(digest)) == plain
        # A folder that cannot take them: the same pages, one warning.
        blocked = tmp_path / "a-file"
        blocked.write_text("not a folder")
        modelcache.use(blocked)
        with caplog.at_level("WARNING"):
            assert (render_html(digest), render_text(digest)) == plain
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1 and "cannot keep the compiled templates" in warnings[0]
    finally:
        modelcache.use(None)
        render._environment_in.cache_clear()
