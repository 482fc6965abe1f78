"""Hostile folders and feeds: every case must finish in bounded time and memory.

    .venv/bin/python bench/reliability.py

Each case is one `digest run --without-prefect` in a fresh process and a
fresh temporary folder: a good article, plus one hostile thing (a FIFO, a
link to /dev/zero, a 100 MB file, a link out of the folder, a feed that
sends a byte a second in its headers or its body, a JSON Feed nested 200,000
deep, a date past year 9999). Prints the case, the exit status, whether the
good article is in the digest, the problem reported, the wall time and the
process's peak memory. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GOOD = "Harbour reopens after repairs\n\nThe harbour reopened on Monday after three weeks.\n"
FEEDS: dict[str, bytes] = {
    "/deep": b'{"items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    "/future": json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Future Times",
        "items": [{"id": "f", "title": "From the end of time", "content_text": "Far.",
                   "date_published": "9999-12-31T23:59:59-10:00"}]}).encode(),
}


class _Feeds(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            self._trickle(headers=self.path == "/slow-headers")
            return
        body = FEEDS.get(self.path, b"")
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self, headers: bool) -> None:
        raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        if not headers:
            self.wfile.write(raw + b"\r\n")
            raw = b"<rss><channel><title>Slow</title>" + b" " * 200
        for byte in raw[:120]:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return
            time.sleep(1.0)

    def log_message(self, *args: object) -> None:
        pass


def _folder_case(make: Callable[[Path], None], extra: str = "") -> Callable[[Path, str], str]:
    def setup(root: Path, base: str) -> str:
        folder = root / "inbox"
        folder.mkdir()
        (folder / "good.txt").write_text(GOOD)
        make(folder)
        return f'[sources]\nfolders = ["{folder}"]\n{extra}'
    return setup


def _feed_case(path: str) -> Callable[[Path, str], str]:
    def setup(root: Path, base: str) -> str:
        folder = root / "inbox"
        folder.mkdir()
        (folder / "good.txt").write_text(GOOD)
        return (f'[sources]\nfolders = ["{folder}"]\n[[sources.feeds]]\nurl = "{base}{path}"\n'
                'name = "Hostile"\n[fetch]\ntimeout = 5.0\ntotal_timeout = 10.0\n')
    return setup


def _huge(folder: Path) -> None:
    with open(folder / "huge.txt", "wb") as handle:
        handle.write(b"Huge\n\n")
        for _ in range(100):
            handle.write(b"word " * 200_000 + b"\n")


CASES: list[tuple[str, Callable[[Path, str], str]]] = [
    ("a good article only", _folder_case(lambda f: None)),
    ("a FIFO named pipe.txt", _folder_case(lambda f: os.mkfifo(f / "pipe.txt"))),
    ("a link to /dev/zero (links followed)",
     _folder_case(lambda f: (f / "zero.txt").symlink_to("/dev/zero"),
                  "follow_links = true\n")),
    ("a link to /etc/passwd", _folder_case(lambda f: (f / "passwd.txt").symlink_to(
        "/etc/passwd"))),
    ("a 100 MB text file", _folder_case(_huge)),
    ("a feed sending its headers a byte a second", _feed_case("/slow-headers")),
    ("a feed sending its body a byte a second", _feed_case("/slow-body")),
    ("a JSON Feed nested 200,000 deep", _feed_case("/deep")),
    ("a date past year 9999", _feed_case("/future")),
]


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feeds)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print("| case | exit | good article shown | reported | wall s | peak MiB |")
    print("|---|---:|---|---|---:|---:|")
    for name, setup in CASES:
        with tempfile.TemporaryDirectory() as directory:
            root = Path(directory)
            config = root / "digest.toml"
            config.write_text(setup(root, base) + f'[store]\npath = "{root / "d.db"}"\n'
                              f'[output]\ndir = "{root / "out"}"\n')
            env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
            start = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-c",
                 "from digest_flows.cli import main; raise SystemExit(main())",
                 "run", "--without-prefect", "--date", time.strftime("%Y-%m-%d"),
                 "--config", str(config)],
                cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.monotonic() - start
            output = process.stdout.read().decode() if process.stdout else ""
            pages = list((root / "out").glob("*/digest.html"))
            shown = bool(pages) and "Harbour reopens" in pages[0].read_text()
            # `digest run` logs "WARNING: ..." (other commands print "warning: ...").
            warnings = [line.split(":", 1)[1].strip() for line in output.splitlines()
                        if line.lower().startswith("warning:")]
            reported = "; ".join(w[:70] for w in warnings)[:120] or "-"
            print(f"| {name} | {os.waitstatus_to_exitcode(status)} | "
                  f"{'yes' if shown else 'NO'} | {reported} | {wall:.1f} | "
                  f"{usage.ru_maxrss / 1024:.0f} |", flush=True)
    server.shutdown()
    socket.setdefaulttimeout(None)


if __name__ == "__main__":
    main()
