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
