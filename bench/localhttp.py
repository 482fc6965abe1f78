"""Local HTTP servers for the feed benchmarks (127.0.0.x, threads, no logging), and the
store step those benchmarks share (`store_feed_reads`)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `handler` on `host` at a free port; yield the base URL."""
    server = QuietServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm
        # and delayed ACKs add 40 ms to every response.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send_body(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


def store_feed_reads(store: Any, reads: Sequence[Any], config: Any, now: datetime) -> int:
    """Store feed reads as a run does before grouping; return the new articles stored.

    Each feed's state and result, then its items cleaned (`clean_all`),
    deduplicated within the batch and against the store, and saved, in one
    transaction.
    """
    from digest.dedup import find_duplicates
    from digest.pipeline import InProcess, Reads, clean_all, save_reads

    articles = [a for read in reads for a in read.result.articles]
    cleaned = clean_all(InProcess(), store, articles, config)
    deduped = find_duplicates(cleaned, store.stored_keys(cleaned))
    with store.transaction():
        save_reads(store, Reads((), tuple(reads)), now)
        new: int = store.save_articles(deduped.unique, now)
        store.save_duplicates(deduped.duplicates, now)
    return new
