"""The digest page and the email in headless Chromium, at desktop and phone widths."""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from digest.config import Config
from digest.eval.browser import WIDTHS, check_pages, find_chromium
from digest.pipeline import run_in_process

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="Chromium not found: install Debian's 'chromium' package (.ci/run does) "
           "or set DIGEST_CHROMIUM",
)

LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenhersteller" * 2


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_digest_and_email_read_well_on_a_desktop_and_a_phone(
    articles_dir: Path, make_config: Callable[..., Config],
) -> None:
    # Unbreakable words are what usually push a phone layout sideways.
    (articles_dir / "long.md").write_text(
        f"{LONG_WORD} wins the ferry contract\n\nThe harbour ferry contract went to "
        f"{LONG_WORD} on Monday, see https://example.org/{'a' * 150} for the ferry terms.\n",
        encoding="utf-8")
    config = make_config(articles_dir)
    result = run_in_process(config, date(2026, 11, 23))
    labels = [s.label for s in result.published.digest.sections]
    assert len(labels) >= 3
    folder = config.output_dir / "2026-11-23" / "screenshots"
    checks = check_pages([result.published.html, result.published.email_html], folder)
    assert [(c.page.name, c.width) for c in checks] == [
        (name, width) for name in ("digest.html", "email.html") for width in WIDTHS]
    for check in checks:
        assert check.screenshot.parent == folder  # under out/
        width, height = png_size(check.screenshot)
        assert width == check.width and height >= 600, (check.screenshot, width, height)
        layout = check.layout
        assert layout.viewport == check.width
        assert not layout.scrolls_sideways, (check.page.name, check.width, layout)
        headings = [h.text for h in layout.headings]
        assert len(headings) == len(labels)
        assert all(h.startswith(label) for h, label in zip(headings, labels, strict=True))
        assert layout.problems() == [], (check.page.name, layout.problems())


def test_a_page_too_wide_for_a_phone_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html><head><meta name="viewport" '
                    'content="width=device-width"></head><body>'
                    '<table style="width:600px"><tr><td><h2>Wide news</h2></td></tr></table>'
                    '<h2 style="display:none">Hidden news</h2></body></html>', encoding="utf-8")
    (check,) = check_pages([page], tmp_path / "shots", widths=[390])
    assert check.layout.scrolls_sideways
    assert check.layout.problems() == [
        "scrolls sideways at 390 px (content is 608 px wide)",
        "heading not fully visible at 390 px: 'Wide news'",  # runs past the screen's edge
        "heading not fully visible at 390 px: 'Hidden news'"]


def test_a_big_day_opens_on_a_phone_with_its_contents_and_first_section(
    tmp_path: Path, make_config: Callable[..., Config],
) -> None:
    import os
    import random

    from digest.eval.browser import inspect

    folder = tmp_path / "big"
    folder.mkdir()
    rng = random.Random(1)
    topics = ["harbour ferry pier storm", "council budget vote tax", "chess olympiad team",
              "river flood defences rain", "bakery bread award flour", "museum roof repair"]
    for number in range(240):
        topic = topics[number % len(topics)].split()
        words = " ".join(rng.choice([*topic, f"w{rng.randrange(5000)}"]) for _ in range(120))
        path = folder / f"{number:03d}.txt"
        path.write_text(f"Report {number} on the {topic[0]} w{number}x\n\n{words}.\n",
                        encoding="utf-8")
        os.utime(path, (1_763_640_000 - number, 1_763_640_000 - number))
    config = make_config(folder)
    result = run_in_process(config, date(2026, 11, 20), send=False)
    screen = 844  # a phone's screen, in CSS pixels
    layout = inspect(result.published.html, [390], selector="nav, h2, h3",
                     height=screen)[390]
    assert not layout.scrolls_sideways and layout.problems() == []
    contents = layout.headings[0]
    assert contents.text.startswith("In this digest")
    first_section = layout.headings[1]
    first_story = next(h for h in layout.headings if h.top > first_section.top)
    # The contents and the first section's heading and first story are on the first screen.
    assert contents.bottom <= screen and first_section.bottom <= screen, layout.headings[:3]
    assert first_story.top < screen
    # Collapsed sections keep a 240-story day short: far from a wall of every story.
    assert layout.height < 120 * screen, layout.height
