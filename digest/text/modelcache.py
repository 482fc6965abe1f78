"""Decoded copies of the data that packages ship compressed, kept in one folder.

py3langid's model is LZMA-compressed and wordfreq's word lists are gzipped
msgpack: decoding them is most of the start of a run (0.4 s and 0.3 s here),
while reading a decoded copy back takes a few hundredths of a second
(bench/README.md, "Decoded models"). Each copy is named after the packaged
file it comes from (its size and time, the package's version), so an upgrade
makes a new one; it is written whole or not at all, and a copy that cannot be
read is made again. `use` names the folder (`[store] cache_dir`); until then,
or with None, nothing is kept and the packaged data is decoded each time.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_folder: list[Path | None] = [None]


def use(folder: str | Path | None) -> None:
    """Keep decoded copies in `folder` from now on (None: keep none)."""
    _folder[0] = Path(folder) if folder else None


def folder() -> Path | None:
    """The folder decoded copies are kept in (None: none is)."""
    return _folder[0]


def path_for(name: str, source: Path, suffix: str = "") -> Path | None:
    """Where the decoded copy of `source` goes, under `name` and ending in `suffix` (None:
    no folder is in use, or `source` is not there to be copied)."""
    kept = folder()
    if kept is None:
        return None
    try:
        stat = source.stat()
    except OSError:
        return None
    return kept / f"{name}-{stat.st_size}-{stat.st_mtime_ns}{suffix}"


def load(name: str, source: Path | None, suffix: str, read: Callable[[BinaryIO], T],
         make: Callable[[], T], write: Callable[[T, BinaryIO], None]) -> T:
    """Return the decoded copy of `source` as `read` gives it back; without one (no folder
    in use, no copy yet, or one that cannot be read), `make()` it and keep it with `write`.
    """
    path = path_for(name, source, suffix) if source is not None else None
    if path is not None:
        try:
            with open(path, "rb") as file:
                return read(file)
        except Exception:  # missing, cut short or from another version: made again
            pass
    value = make()
    if path is not None:
        keep(path, lambda file: write(value, file))
    return value


def keep(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write a decoded copy to `path` with `write`, whole or not at all; a copy that
    cannot be kept (a folder that cannot take it, a package whose model has changed
    shape) gets a one-line warning, and the run goes on without it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                write(file)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except Exception as exc:  # a copy not kept costs time, never the run
        reason = (exc.strerror if isinstance(exc, OSError) else None) or exc
        log.warning("model cache %s: cannot keep %s there (%s); it is decoded again on "
                    "each run", path.parent, path.name, reason)
