"""Feeds built to break a run: each is reported as its own problem, the run finishes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

from pytest_httpserver import HTTPServer

from digest.config import Config
from digest.pipeline import run_in_process

DAY = date(2026, 11, 23)
GOOD = {"version": "https://jsonfeed.org/version/1.1", "title": "Harbour Gazette",
        "items": [{"id": "1", "title": "Harbour reopens after repairs",
                   "content_text": "The harbour reopened on Monday after three weeks of work.",
                   "date_published": "2026-11-23T06:00:00Z"}]}


def _serve(server: HTTPServer, feeds: dict[str, object]) -> str:
    """Serve each feed at /<name in lower case> (a dict as a JSON Feed, bytes as plain
    JSON); return the config's [[sources.feeds]] naming them."""
    config = ""
    for name, feed in feeds.items():
        path = f"/{name.lower()}"
        if isinstance(feed, bytes):
            server.expect_request(path).respond_with_data(feed, content_type="application/json")
        else:
            server.expect_request(path).respond_with_data(
                json.dumps(feed), content_type="application/feed+json")
        config += f'[[sources.feeds]]\nurl = "{server.url_for(path)}"\nname = "{name}"\n'
    return config


def test_deep_json_and_far_future_dates_do_not_stop_the_run(
    server: HTTPServer, make_config: Callable[..., Config],
) -> None:
    deep = b'{"items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    future = dict(GOOD, title="Future Times", items=[{
        "id": "f1", "title": "Dispatch from the end of time",
        "content_text": "A date no calendar can hold.",
        "date_published": "9999-12-31T23:59:59-10:00"}])
    feeds = _serve(server, {"Good": GOOD, "Deep": deep, "Future": future})
    config = make_config(extra=feeds + "[fetch]\ntimeout = 5.0\n")
    result = run_in_process(config, DAY)
    html = result.published.html.read_text()
    assert "Harbour reopens after repairs" in html
    assert "nested too deeply" in html  # the deep feed, reported
    # The far-future date is treated as missing: the item is kept, dated when first seen.
    from digest.store import Store

    with Store(config.store_path) as store:
        titles = {row[0] for row in store.db.execute("SELECT title FROM articles")}
    assert "Dispatch from the end of time" in titles
    assert "Future" not in {p.source for p in result.problems}


def test_a_giant_title_and_a_text_with_no_sentence_ends_stay_readable(
    server: HTTPServer, make_config: Callable[..., Config],
) -> None:
    giant = dict(GOOD, title="Endless Post", items=[{
        "id": "g1", "title": "Word " * 40_000, "content_text": "word " * 100_000,
        "date_published": "2026-11-23T07:00:00Z"}])
    feeds = _serve(server, {"Good": GOOD, "Giant": giant})
    config = make_config(extra=feeds + '[email]\nto = ["ann@example.org"]\n')
    result = run_in_process(config, DAY)
    page = result.published.html.read_text()
    email = (result.published.html.parent / "email.html").read_text()
    assert "Harbour reopens after repairs" in page and "Harbour reopens after repairs" in email
    # The heading and the summary are cut, with "…": the page and the email stay small.
    assert "Word Word" in page and "word word" in page and "…" in page
    assert len(page.encode()) < 20_000
    assert len(email.encode()) < 20_000


def test_an_unexpected_error_in_one_feed_is_that_feeds_problem(
    server: HTTPServer, make_config: Callable[..., Config], monkeypatch: object,
) -> None:
    import pytest

    import digest.ingest.feeds as feeds_module

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    real = feeds_module.parse_feed

    def explode(content: bytes, **kwargs: object) -> object:
        if b"Exploding" in content:
            raise RuntimeError("parser bug")
        return real(content, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds_module, "parse_feed", explode)
    boom = dict(GOOD, title="Exploding Post")
    feeds = _serve(server, {"Good": GOOD, "Boom": boom})
    result = run_in_process(make_config(extra=feeds), DAY)
    html = result.published.html.read_text()
    assert "Harbour reopens after repairs" in html
    assert "RuntimeError: parser bug" in html


class _Trickle:
    """A raw TCP server on 127.0.0.1 that answers one byte a second, headers first or body."""

    def __init__(self, slow_headers: bool) -> None:
        import socket
        import threading

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.slow_headers = slow_headers
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import threading

        self.listener.settimeout(0.2)
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: object) -> None:
        import socket
        import time

        assert isinstance(connection, socket.socket)
        with connection:
            try:
                connection.recv(4096)
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                if not self.slow_headers:
                    connection.sendall(head + b"\r\n")
                    head = b"<rss><channel><title>Slow</title>" + b" " * 1000
                for byte in head:  # one byte a second, never finishing in time
                    if self.stop.is_set():
                        return
                    connection.sendall(bytes([byte]))
                    time.sleep(1.0)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


def test_a_feed_that_sends_a_byte_a_second_is_cut_off_and_the_run_finishes(
    server: HTTPServer, make_config: Callable[..., Config],
) -> None:
    import time

    slow = [_Trickle(slow_headers=True), _Trickle(slow_headers=False)]
    try:
        server.expect_request("/good").respond_with_data(json.dumps(GOOD),
                                                         content_type="application/feed+json")
        feeds = (f'[[sources.feeds]]\nurl = "{server.url_for("/good")}"\nname = "Good"\n'
                 + "".join(f'[[sources.feeds]]\nurl = "http://127.0.0.1:{s.port}/feed"\n'
                           f'name = "Slow {n}"\n' for n, s in enumerate(slow)))
        config = make_config(extra=feeds + "[fetch]\ntimeout = 5.0\ntotal_timeout = 3.0\n")
        start = time.monotonic()
        result = run_in_process(config, DAY)
        elapsed = time.monotonic() - start
    finally:
        for trickle in slow:
            trickle.close()
    html = result.published.html.read_text()
    assert "Harbour reopens after repairs" in html
    reported = {p.source: p.message for p in result.problems}
    assert "total_timeout" in reported["Slow 0"] and "total_timeout" in reported["Slow 1"]
    assert elapsed < 30  # generous: the deadline is 3 s; without it the run takes minutes


def test_bombs_loops_and_endless_bodies_are_cut_off_and_reported(server: HTTPServer) -> None:
    import gzip
    from datetime import UTC, datetime

    from werkzeug import Response

    from digest.config import FetchConfig
    from digest.ingest.feeds import read_feed
    from digest.ingest.fetch import HostLimiter, make_client
    from digest.models import FeedState

    def endless() -> object:
        while True:
            yield b"<item>" + b"x" * 65536

    bomb = gzip.compress(b"<rss>" + b" " * 50_000_000)
    server.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/rss+xml")
    server.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"})
    server.expect_request("/endless").respond_with_response(
        Response(endless(), content_type="application/rss+xml"))
    settings = FetchConfig(timeout=5.0, total_timeout=10.0, max_bytes=1_000_000)
    now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    reasons = {}
    with make_client(settings) as client:
        for path in ("/bomb", "/loop", "/endless"):
            state = FeedState(url=server.url_for(path), name=path)
            read = read_feed(client, state, settings, now, HostLimiter(2, 2))
            assert read.result.failed and not read.result.articles
            reasons[path] = read.result.problems[0].message
    assert "larger than 1,000,000 bytes" in reasons["/bomb"]
    assert "too many redirects" in reasons["/loop"]
    assert "larger than 1,000,000 bytes" in reasons["/endless"]
