"""A folder built to break a run: odd names are read, the rest reported and skipped."""

from __future__ import annotations

import os
from pathlib import Path

from digest.ingest.folder import read_folder


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
