"""A folder built to break a run: odd names are read, the rest reported and skipped."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from digest.config import Config
from digest.ingest.folder import read_folder
from digest.pipeline import run_in_process
from digest.store import Store


def test_odd_file_names_are_read_and_named_in_problems(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    names = ["-rf.txt", "line\nbreak.txt", "café ☕.txt", "x" * 200 + ".txt", " spaced .md"]
    for name in names:
        (folder / name).write_text(f"Title of {name!r}\n\nA body for the file.\n")
    os.mkfifo(folder / "pipe\n.txt")
    result = read_folder(folder)
    assert len(result.articles) == len(names)
    # A name with a line break is quoted, so the problem stays on one line.
    assert {p.item for p in result.problems} == {"'pipe\\n.txt'"}


def test_file_names_that_are_not_utf8_are_read_stored_and_shown_escaped(
    tmp_path: Path, make_config: Callable[..., Config],
) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    # Two names that differ only in a byte that is not UTF-8 (a Latin-1 disk, a zip).
    texts = {b"\xff": b"Harbour reopens\n\nThe harbour reopened after repairs on Monday.\n",
             b"\xfe": b"Chess final decided\n\nA rapid tiebreak decided the final.\n"}
    morning = datetime(2026, 11, 23, 8, 0, tzinfo=UTC).timestamp()
    for byte, text in texts.items():
        name = os.fsencode(folder) + b"/report" + byte + b".txt"
        with open(name, "wb") as file:
            file.write(text)
        os.utime(name, (morning, morning))
    with open(os.fsencode(folder) + b"/empty\xe9.txt", "wb"):
        pass
    config = make_config(folder)
    result = run_in_process(config, date(2026, 11, 23))
    assert result.counts.read == 2 and result.counts.articles == 2
    assert [str(p) for p in result.problems] == ["inbox: empty\\xe9.txt: empty file skipped"]
    with Store(config.store_path) as store:
        locations = {row[0] for row in store.db.execute("SELECT location FROM articles")}
    assert {Path(x).name for x in locations} == {"report\\xff.txt", "report\\xfe.txt"}
    assert "empty\\xe9.txt" in result.published.html.read_text()
