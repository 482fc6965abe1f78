"""A big day: hundreds of generated articles from three outlets, across topics.

What a reader of a 2,000-article day needs: an email within Gmail's budget,
the best stories first, every report reachable from the page, and the
reader's own mute and boost terms and source weights obeyed.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from digest.config import Config
from digest.pipeline import RunResult, run_in_process
from digest.publish.mail import MAX_EMAIL_HTML_BYTES

DAY = date(2026, 11, 20)
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()
OUTLETS = ("wire", "times", "post")
TOPICS = ("harbour ferry pier storm", "council budget vote tax", "chess olympiad team",
          "river flood defences rain", "bakery bread award flour", "museum roof repair")
# One event all three outlets report (near-copies): the day's most covered story.
EVENT_TITLE = "Lighthouse keeper rescues stranded kayakers off Morwenstow"
EVENT_BODY = ("The Morwenstow lighthouse keeper Elowen Trevithick rescued four kayakers on "
              "Thursday after their boats overturned near the Hartland cliffs. {extra} The "
              "coastguard said all four were treated for cold and released.")


def _write(path: Path, title: str, body: str, when: float) -> None:
    path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
    os.utime(path, (when, when))


@pytest.fixture
def big_day(tmp_path: Path) -> list[Path]:
    """300 one-outlet stories over six topics, plus one event in all three outlets."""
    rng = random.Random(0)
    folders = [tmp_path / name for name in OUTLETS]
    for folder in folders:
        folder.mkdir()
    for number in range(300):
        topic = TOPICS[number % len(TOPICS)].split()
        words = " ".join(rng.choice([*topic, f"w{rng.randrange(5000)}"]) for _ in range(120))
        _write(folders[number % 3] / f"{number:03d}.txt",
               f"Report {number} on the {topic[0]} w{number}x", f"{words}.", NOON - number)
    for n, folder in enumerate(folders):
        _write(folder / "event.txt", EVENT_TITLE,
               EVENT_BODY.format(extra=f"Witness number {n} watched from the shore."),
               NOON - 7200)
    return folders


def _run(make_config: Callable[..., Config], folders: list[Path], extra: str = "") -> RunResult:
    config = make_config(*folders, extra='[email]\nto = ["ann@example.org"]\n' + extra)
    return run_in_process(config, DAY, send=False)


class _Links(HTMLParser):
    """The page's links: (href, text) pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text)))
            self._href = None


def test_the_email_keeps_to_its_budget_and_says_what_is_on_the_page(
    big_day: list[Path], make_config: Callable[..., Config],
) -> None:
    result = _run(make_config, big_day)
    email = result.published.email_html.read_text(encoding="utf-8")
    assert len(email.encode()) <= MAX_EMAIL_HTML_BYTES
    assert email.count("<h3>") <= 25
    assert "more stories on the web page" in email
    text = (result.published.html.parent / "digest.eml").read_text(encoding="utf-8")
    assert "Lighthouse keeper rescues" in text


def test_every_article_is_reachable_from_the_page(
    big_day: list[Path], make_config: Callable[..., Config],
) -> None:
    result = _run(make_config, big_day)
    folder = result.published.html.parent
    parser = _Links()
    parser.feed(result.published.html.read_text(encoding="utf-8"))
    by_title = {text: href for href, text in parser.links}
    files = [p for f in big_day for p in f.iterdir()]
    assert result.counts.articles == len(files) == 303
    for path in files:
        title, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        href = by_title.get(title) or next(
            (h for h, t in parser.links if t in ("wire", "times", "post")
             and (folder / h).exists() and title in (folder / h).read_text()), None)
        assert href, f"{path.name}: no link on the page"
        page = (folder / href).read_text(encoding="utf-8")
        assert " ".join(body.split()[:8]) in " ".join(page.split()), path.name


def test_the_story_most_outlets_covered_leads_and_lower_stories_are_collapsed(
    big_day: list[Path], make_config: Callable[..., Config],
) -> None:
    result = _run(make_config, big_day)
    digest = result.published.digest
    best = max((s.entries[0] for s in digest.sections), key=lambda e: len(e.other_outlets))
    assert best.title == EVENT_TITLE and len(best.other_outlets) == 2
    assert digest.sections[0].entries[0].title == EVENT_TITLE
    page = result.published.html.read_text(encoding="utf-8")
    assert page.index(EVENT_TITLE) < page.index("Report ")
    assert '<details class="more">' in page and "more stories in" in page


def test_muted_stories_are_left_out_and_counted(
    big_day: list[Path], make_config: Callable[..., Config],
) -> None:
    result = _run(make_config, big_day, '[rank]\nmute = ["chess", "Hartland cliffs"]\n')
    page = result.published.html.read_text(encoding="utf-8")
    titles = [e.title for s in result.published.digest.sections for e in s.entries]
    assert not [t for t in titles if " chess " in t] and EVENT_TITLE not in titles
    assert result.published.digest.muted == 51  # 50 chess reports and the event
    assert "51 stories muted" in page
    assert ", 51 stories muted, " in result.summary_line()
    # Whole words only: "team" is muted by nothing, "chessboard" would not be.
    assert any(" council " in t for t in titles)


def test_boosted_stories_and_weighted_sources_rise(
    big_day: list[Path], make_config: Callable[..., Config],
) -> None:
    plain = _run(make_config, big_day).published.digest
    boosted = _run(make_config, big_day, '[rank]\nboost = ["museum roof"]\n').published.digest

    def rank_of(digest: object, word: str) -> float:
        entries = [e for s in digest.sections for e in s.entries]  # type: ignore[attr-defined]
        places = [n for n, e in enumerate(entries) if f" {word} " in e.title]
        return sum(places) / len(places)

    assert rank_of(boosted, "museum") < rank_of(plain, "museum")
    base = make_config(*big_day)
    path = big_day[0].parent / "weighted.toml"
    folders = ", ".join(f'"{f}"' for f in big_day)
    path.write_text(f'[sources]\nfolders = [{folders}]\nweights = {{ "{big_day[2]}" = 8.0 }}\n'
                    f'[store]\npath = "{base.store_path.parent}/weighted.db"\n'
                    f'[output]\ndir = "{base.output_dir}/weighted"\n', encoding="utf-8")
    from digest.config import load_config

    weighted = run_in_process(load_config(path, env={}), DAY, send=False).published.digest
    # Each topic comes from one outlet here: the weighted outlet's sections lead.
    def leaders(digest: object) -> list[str]:
        return [s.entries[0].source for s in digest.sections]  # type: ignore[attr-defined]

    weighted_leaders, plain_leaders = leaders(weighted), leaders(plain)
    posts = weighted_leaders.count("post")
    assert weighted_leaders[:posts] == ["post"] * posts
    assert plain_leaders[:posts] != ["post"] * posts
