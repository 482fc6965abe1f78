"""Fetch feeds and pages politely: conditional GET, redirects, backoff, size and time limits."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from digest import __version__
from digest.config import FetchConfig
from digest.models import FeedState

USER_AGENT = (f"news-digest/{__version__} (+https://pypi.org/project/news-digest/; "
              "feed reader; polls at most a few times a day)")
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
          "application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")
_PERMANENT = {301, 308}


UNCHANGED = "304 not modified"  # the status a feed that has nothing new is left with


@dataclass(frozen=True)
class FetchResult:
    """One fetch: the feed's new state, and the document when there is a new one."""

    state: FeedState
    outcome: str  # "fetched", "not-modified", "skipped", "gone" or "failed"
    content: bytes | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    problem: str | None = None


class FetchError(Exception):
    """A fetch failed; the message is the one-line reason."""


class HostLimiter:
    """At most `total` requests at once, and at most `per_host` to any one host."""

    def __init__(self, total: int, per_host: int) -> None:
        self._total = threading.BoundedSemaphore(total)
        self._per_host = per_host
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            gate = self._hosts.setdefault(host, threading.BoundedSemaphore(self._per_host))
        with self._total, gate:
            yield


def make_client(settings: FetchConfig) -> httpx.Client:
    """Return an HTTP client with our User-Agent, timeouts and gzip (httpx decodes it)."""
    return httpx.Client(
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
        follow_redirects=True,
        max_redirects=5,
        # No connection is reused: each request opens its own socket, which
        # its deadline can shut (a feed is fetched once a run anyway).
        limits=httpx.Limits(max_connections=settings.workers * 2, max_keepalive_connections=0),
    )


def fetch_feed(
    client: httpx.Client, state: FeedState, settings: FetchConfig, now: datetime,
    limiter: HostLimiter,
) -> FetchResult:
    """Fetch one feed unless it is gone or backing off; return its updated state."""
    if state.gone:
        return FetchResult(state, "gone", problem=state.last_error or "feed is gone (HTTP 410)")
    if state.next_attempt and state.next_attempt > now:
        when = state.next_attempt.strftime("%Y-%m-%d %H:%M UTC")
        return FetchResult(state, "skipped",
                           problem=f"{state.last_error or 'backing off'}; next attempt {when}")
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    fetched = dataclasses.replace(state, last_fetch=now)
    try:
        with limiter.slot(state.current_url):
            response, content = _get(client, state.current_url, headers, settings)
    except FetchError as exc:
        return record_failure(fetched, str(exc), now, settings, None)
    moved = _permanent_target(response)
    if moved:
        fetched = dataclasses.replace(fetched, fetch_url=moved)
    status = response.status_code
    if status == 304:
        ok = _succeeded(fetched, now, UNCHANGED)
        return FetchResult(ok, "not-modified")
    if status == 410:
        gone = dataclasses.replace(
            fetched, gone=True, last_status="410",
            last_error=f"feed is gone (HTTP 410 since {now:%Y-%m-%d}); polling stopped")
        return FetchResult(gone, "gone", problem=gone.last_error)
    if status >= 400:
        reason = f"HTTP {status} {response.reason_phrase}".strip()
        retry_after = _retry_after(response, now) if status in (429, 503) else None
        return record_failure(fetched, reason, now, settings, retry_after)
    ok = _succeeded(dataclasses.replace(
        fetched, etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified")), now, str(status))
    return FetchResult(ok, "fetched", content, dict(response.headers))


def fetch_page(
    client: httpx.Client, url: str, settings: FetchConfig, limiter: HostLimiter
) -> bytes:
    """Return the body of the web page at `url`; raise FetchError saying why not."""
    with limiter.slot(url):
        response, content = _get(client, url, {"Accept": "text/html,*/*;q=0.5"}, settings)
    if response.status_code >= 400:
        raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
    return content


def backoff_delay(errors: int, settings: FetchConfig) -> timedelta:
    """Return how long to wait after `errors` failures in a row (doubling, capped)."""
    seconds = settings.backoff_base_seconds * 2 ** min(max(errors - 1, 0), 30)
    return timedelta(seconds=min(seconds, settings.backoff_max_seconds))


def _get(
    client: httpx.Client, url: str, headers: dict[str, str], settings: FetchConfig
) -> tuple[httpx.Response, bytes]:
    """GET `url` within the size limit and a hard total deadline, headers included.

    httpx's timeouts apply to each read, so a server that sends one byte a
    second never trips them. A timer shuts the request's sockets down at the
    deadline instead: the blocked read then fails at once, wherever it is.
    """
    deadline = _Deadline(settings.total_timeout)
    try:
        with client.stream("GET", url, headers=headers,
                           extensions={"trace": deadline.watch}) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > settings.max_bytes:
                raise FetchError(f"response of {int(declared):,} bytes refused "
                                 f"(limit {settings.max_bytes:,})")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > settings.max_bytes:
                    raise FetchError(f"response larger than {settings.max_bytes:,} bytes "
                                     "refused")
                if deadline.expired:
                    break
            if deadline.expired:
                raise deadline.error()
            return response, bytes(body)
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {settings.timeout:g} s without data") from None
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects") from None
    except httpx.HTTPError as exc:
        if deadline.expired:
            raise deadline.error() from None
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise FetchError(f"cannot fetch ({reason})") from None
    finally:
        deadline.cancel()


class _Deadline:
    """A hard time limit for one request: at the limit, its sockets are shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: remember each socket the request opens."""
        if event == "connection.connect_tcp.complete":
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with self._lock:
                    self._sockets.append(sock)
                    if self.expired:
                        _shut(sock)

    def error(self) -> FetchError:
        return FetchError(f"no complete answer within {self.seconds:g} s "
                          "([fetch] total_timeout)")

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _permanent_target(response: httpx.Response) -> str | None:
    hops = response.history
    if hops and all(h.status_code in _PERMANENT for h in hops):
        return str(response.url)
    return None


def _retry_after(response: httpx.Response, now: datetime) -> timedelta | None:
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment - now, timedelta(0))


def _succeeded(state: FeedState, now: datetime, status: str) -> FeedState:
    return dataclasses.replace(state, consecutive_errors=0, next_attempt=None,
                               last_success=now, last_status=status, last_error=None)


def record_failure(
    state: FeedState, reason: str, now: datetime, settings: FetchConfig,
    retry_after: timedelta | None,
) -> FetchResult:
    errors = state.consecutive_errors + 1
    wait = backoff_delay(errors, settings)
    if retry_after is not None:
        wait = min(max(retry_after, timedelta(0)), timedelta(seconds=settings.backoff_max_seconds))
    next_attempt = now + wait
    failed = dataclasses.replace(state, consecutive_errors=errors, next_attempt=next_attempt,
                                 last_status="error", last_error=reason)
    problem = (f"{reason} ({_ordinal(errors)} failure in a row; "
               f"next attempt {next_attempt:%Y-%m-%d %H:%M} UTC)")
    return FetchResult(failed, "failed", problem=problem)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
