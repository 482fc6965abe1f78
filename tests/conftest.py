"""Shared fixtures. Prefect gets its own home before anything imports it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

_PREFECT_HOME = tempfile.mkdtemp(prefix="digest-tests-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
for _name in list(os.environ):
    if _name.startswith("DIGEST_"):
        del os.environ[_name]

from digest.config import Config, load_config  # noqa: E402
from digest.models import Article  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


# Files of the copied folders are dated here: before the days the tests make
# digests for (a digest never shows what was written after its day).
FILE_TIME = datetime(2026, 11, 19, 12, 0, tzinfo=UTC).timestamp()


def _copy_dated(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    for path in target.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (FILE_TIME, FILE_TIME))
    return target


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A private copy of tests/fixtures/articles, its files dated 2026-11-19."""
    return _copy_dated(FIXTURES / "articles", tmp_path / "articles")


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A private copy of the repository's seeds/ folder, its files dated 2026-11-19."""
    return _copy_dated(REPO / "seeds", tmp_path / "seeds")


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Config]:
    """Write a config file into tmp_path for the given folders and return it loaded."""

    def build(*folders: Path, extra: str = "") -> Config:
        names = ", ".join(f'"{f}"' for f in folders)
        text = (
            f"[sources]\nfolders = [{names}]\n"
            f'[store]\npath = "{tmp_path / "data" / "digest.db"}"\n'
            f'[output]\ndir = "{tmp_path / "out"}"\n{extra}'
        )
        path = tmp_path / "digest.toml"
        path.write_text(text, encoding="utf-8")
        return load_config(path, env={})

    return build


@pytest.fixture
def make_article() -> Callable[..., Article]:
    def build(id: str = "a1", title: str = "A title", body: str = "Some body text.",
              source: str = "test", url: str | None = None,
              published: datetime | None = None) -> Article:
        return Article(id=id, source=source, title=title, body=body, url=url,
                       published=published or datetime(2026, 11, 20, 8, 0, tzinfo=UTC))

    return build


@pytest.fixture(autouse=True)
def _clean_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in its own directory so relative paths never touch the repo."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def _running_server() -> Iterator[HTTPServer]:
    # One threaded server per test module: stopping one takes half a second.
    httpserver = HTTPServer(host="127.0.0.1", threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.stop()


@pytest.fixture
def server(_running_server: HTTPServer) -> Iterator[HTTPServer]:
    """A local HTTP server on 127.0.0.1 with no handlers and an empty log."""
    _running_server.clear()
    yield _running_server
    _running_server.clear()
