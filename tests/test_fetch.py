"""Fetching feeds over real sockets on 127.0.0.1: politeness, HTTP status handling, limits."""

from __future__ import annotations

import dataclasses
import gzip
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from digest.config import FetchConfig
from digest.ingest import feeds as feeds_module
from digest.ingest.feeds import FeedRead, read_feed
from digest.ingest.fetch import USER_AGENT, HostLimiter, make_client
from digest.models import FeedState

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RSS = "application/rss+xml"
FAST = FetchConfig(timeout=0.5, connect_timeout=0.5)


def read(
    state: FeedState, now: datetime = NOW, settings: FetchConfig = FAST,
    stored: dict[str, str] | None = None,
) -> FeedRead:
    with make_client(settings) as client:
        return read_feed(client, state, settings, now, HostLimiter(4, 2), stored)


def feed(server: HTTPServer, path: str = "/feed", **kwargs: object) -> FeedState:
    return FeedState(url=server.url_for(path), name="Test feed", **kwargs)  # type: ignore[arg-type]


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def requests_to(server: HTTPServer, path: str) -> list[Request]:
    return [r for r, _ in server.log if r.path == path]


def test_fetch_sends_our_user_agent_and_decodes_gzip(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(
        gzip.compress(fixture("rss2.xml")), content_type=RSS,
        headers={"Content-Encoding": "gzip"})
    result = read(feed(server))
    assert [a.title for a in result.result.articles][1] == "Night ferry returns after winter pause"
    (request,) = requests_to(server, "/feed")
    assert request.headers["User-Agent"] == USER_AGENT
    assert "news-digest" in USER_AGENT
    assert "gzip" in request.headers["Accept-Encoding"]
    assert result.state.last_success == NOW and result.state.items == 3


def test_conditional_get_second_fetch_is_304_and_parses_nothing(
    server: HTTPServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    validators = {"ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 06:00:00 GMT"}
    server.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304)
    server.expect_request("/feed").respond_with_data(fixture("rss2.xml"), content_type=RSS,
                                                     headers=validators)
    first = read(feed(server))
    assert first.state.etag == '"v1"'
    assert first.state.last_modified == validators["Last-Modified"]
    assert len(first.result.articles) == 3

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a 304 must not be parsed")

    monkeypatch.setattr(feeds_module, "parse_feed", no_parsing)
    second = read(first.state, NOW + timedelta(hours=6))
    assert second.result.articles == () and second.result.problems == ()
    assert not second.result.failed
    assert second.state.last_status == "304 not modified"
    assert second.state.last_success == NOW + timedelta(hours=6)
    again = requests_to(server, "/feed")[1]
    assert again.headers["If-None-Match"] == '"v1"'
    assert again.headers["If-Modified-Since"] == validators["Last-Modified"]


def test_permanent_redirect_is_remembered_and_temporary_is_not(server: HTTPServer) -> None:
    server.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": server.url_for("/new")})
    server.expect_request("/temp").respond_with_data(
        "", status=302, headers={"Location": server.url_for("/new")})
    server.expect_request("/new").respond_with_data(fixture("atom.xml"),
                                                    content_type="application/atom+xml")
    moved = read(feed(server, "/old"))
    assert moved.state.fetch_url == server.url_for("/new")
    assert moved.state.url == server.url_for("/old")  # the key stays the configured URL
    assert len(moved.result.articles) == 2
    read(moved.state)
    assert len(requests_to(server, "/old")) == 1  # the second fetch went straight to /new
    temporary = read(feed(server, "/temp"))
    assert temporary.state.fetch_url == ""


def test_gone_feed_stops_polling_and_says_so(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data("Gone", status=410)
    first = read(feed(server))
    assert first.state.gone and first.result.failed
    (problem,) = first.result.problems
    assert "feed is gone (HTTP 410 since 2026-11-23); polling stopped" in str(problem)
    later = read(first.state, NOW + timedelta(days=3))
    assert len(requests_to(server, "/feed")) == 1
    assert later.result.failed and "HTTP 410" in str(later.result.problems[0])


def test_server_error_backs_off_exponentially_then_recovers(server: HTTPServer) -> None:
    settings = dataclasses.replace(FAST, backoff_base_seconds=300, backoff_max_seconds=3600)
    server.expect_ordered_request("/feed").respond_with_data("oops", status=500)
    server.expect_ordered_request("/feed").respond_with_data("oops", status=500)
    server.expect_ordered_request("/feed").respond_with_data(fixture("rss2.xml"),
                                                             content_type=RSS)
    first = read(feed(server), NOW, settings)
    assert first.result.failed
    assert first.state.consecutive_errors == 1
    assert first.state.next_attempt == NOW + timedelta(seconds=300)
    assert str(first.result.problems[0]) == (
        "Test feed: HTTP 500 INTERNAL SERVER ERROR (1st failure in a row; "
        "next attempt 2026-11-23 12:05 UTC)")
    # Before the next attempt nothing is requested.
    waiting = read(first.state, NOW + timedelta(seconds=60), settings)
    assert len(server.log) == 1 and waiting.result.articles == ()
    assert "next attempt 2026-11-23 12:05 UTC" in str(waiting.result.problems[0])
    second = read(first.state, NOW + timedelta(seconds=301), settings)
    assert second.state.consecutive_errors == 2
    assert second.state.next_attempt == NOW + timedelta(seconds=301 + 600)
    recovered = read(second.state, NOW + timedelta(hours=1), settings)
    assert len(recovered.result.articles) == 3 and not recovered.result.failed
    assert recovered.state.consecutive_errors == 0 and recovered.state.next_attempt is None
    assert recovered.state.last_error is None
    server.check_assertions()


def test_backoff_is_capped() -> None:
    from digest.ingest.fetch import backoff_delay

    settings = FetchConfig(backoff_base_seconds=300, backoff_max_seconds=86_400)
    assert [backoff_delay(n, settings).total_seconds() for n in (1, 2, 3, 9, 10, 500)] == [
        300, 600, 1200, 76_800, 86_400, 86_400]


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(server: HTTPServer, status: int) -> None:
    server.expect_ordered_request("/feed").respond_with_data(
        "slow down", status=status, headers={"Retry-After": "120"})
    server.expect_ordered_request("/feed").respond_with_data(
        "slow down", status=status, headers={"Retry-After": "Mon, 23 Nov 2026 15:00:00 GMT"})
    first = read(feed(server))
    assert first.state.next_attempt == NOW + timedelta(seconds=120)
    assert f"HTTP {status}" in str(first.result.problems[0])
    second = read(first.state, NOW + timedelta(seconds=121))
    assert second.state.next_attempt == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_timeout_is_a_recorded_failure(server: HTTPServer) -> None:
    done = threading.Event()

    def slow(request: Request) -> Response:
        time.sleep(1.5)
        done.set()
        return Response(fixture("rss2.xml"), content_type=RSS)

    server.expect_request("/feed").respond_with_handler(slow)
    started = time.monotonic()
    result = read(feed(server))
    assert time.monotonic() - started < 1.4
    assert result.result.failed and result.state.consecutive_errors == 1
    assert "timed out after 0.5 s" in str(result.result.problems[0])
    done.wait(5)  # let the server finish before the next test clears it


def test_unreachable_host_is_a_recorded_failure() -> None:
    state = FeedState(url="http://127.0.0.1:9/feed", name="Nobody")
    result = read(state)
    assert result.result.failed
    assert str(result.result.problems[0]).startswith("Nobody: cannot fetch (")


def test_oversized_responses_are_refused(server: HTTPServer) -> None:
    settings = dataclasses.replace(FAST, max_bytes=10_000)
    big = fixture("rss2.xml") + b" " * 20_000
    server.expect_request("/declared").respond_with_data(big, content_type=RSS)

    def streamed(request: Request) -> Response:
        # No Content-Length: the limit must apply while reading.
        return Response((big[i:i + 1000] for i in range(0, len(big), 1000)), content_type=RSS)

    server.expect_request("/streamed").respond_with_handler(streamed)
    declared = read(feed(server, "/declared"), settings=settings)
    assert f"response of {len(big):,} bytes refused (limit 10,000)" in str(
        declared.result.problems[0])
    chunked = read(feed(server, "/streamed"), settings=settings)
    assert "response larger than 10,000 bytes refused" in str(chunked.result.problems[0])
    assert declared.result.articles == () == chunked.result.articles


def test_ill_formed_and_non_utf8_feeds_over_http(server: HTTPServer) -> None:
    server.expect_request("/broken").respond_with_data(fixture("truncated.xml"),
                                                       content_type=RSS)
    server.expect_request("/latin1").respond_with_data(fixture("latin1.xml"),
                                                       content_type="text/xml")
    broken = read(feed(server, "/broken"))
    assert len(broken.result.articles) == 2 and not broken.result.failed
    assert "not well-formed" in str(broken.result.problems[0])
    latin = read(feed(server, "/latin1"))
    assert latin.result.articles[0].title == "Bäckerei öffnet früher: Brötchen schon um fünf"


def test_html_page_instead_of_feed_is_a_failure_that_backs_off(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(fixture("observatory.html"),
                                                     content_type="text/html")
    result = read(feed(server))
    assert result.result.failed and result.state.consecutive_errors == 1
    assert "not a feed" in str(result.result.problems[0])


def test_unnamed_feed_takes_its_title_as_name(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(fixture("atom.xml"),
                                                     content_type="application/atom+xml")
    state = FeedState(url=server.url_for("/feed"), name="127.0.0.1")
    result = read(state)
    assert result.state.name == "Chess Weekly"
    assert {a.source for a in result.result.articles} == {"Chess Weekly"}
    assert result.result.source == "Chess Weekly"


def _stub_feed(server: HTTPServer) -> bytes:
    return fixture("stub.xml").replace(b"http://PLACEHOLDER", server.url_for("").rstrip("/")
                                       .encode())


def test_stub_items_get_their_full_text_from_the_page(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(_stub_feed(server), content_type=RSS)
    server.expect_request("/observatory").respond_with_data(fixture("observatory.html"),
                                                            content_type="text/html")
    result = read(feed(server, full_text=True))
    (article,) = result.result.articles
    assert "full-text" in article.flags
    assert article.body.startswith("The hilltop observatory opened to the public on Monday")
    assert "Pleiades" in article.body
    assert "Most read" not in article.body and "All rights reserved" not in article.body
    page_request = requests_to(server, "/observatory")[0]
    assert page_request.headers["User-Agent"] == USER_AGENT
    # Next time the stored full text is used and the page is not fetched again.
    again = read(result.state, stored={article.id: article.body})
    assert again.result.articles[0].body == article.body
    assert len(requests_to(server, "/observatory")) == 1


def test_full_text_failure_keeps_the_stub_and_says_why(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(_stub_feed(server), content_type=RSS)
    server.expect_request("/observatory").respond_with_data("nope", status=404)
    result = read(feed(server, full_text=True))
    (article,) = result.result.articles
    assert article.body == "The observatory opens its doors... Read more"
    assert not result.result.failed
    assert str(result.result.problems[0]) == (
        "Test feed: full text of 'Observatory opens to the public': HTTP 404 NOT FOUND; "
        "kept the feed's text")


def test_without_full_text_no_page_is_fetched(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(_stub_feed(server), content_type=RSS)
    read(feed(server))
    assert requests_to(server, "/observatory") == []


def test_host_limiter_caps_requests_per_host(server: HTTPServer) -> None:
    active = peak = 0
    lock = threading.Lock()

    def counting(request: Request) -> Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.1)
        with lock:
            active -= 1
        return Response(fixture("rss2.xml"), content_type=RSS)

    server.expect_request("/limited").respond_with_handler(counting)
    settings = FetchConfig(workers=8, per_host=2)
    limiter = HostLimiter(settings.workers, settings.per_host)
    with make_client(settings) as client:
        threads = [threading.Thread(target=read_feed, args=(
            client, feed(server, "/limited"), settings, NOW, limiter)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(requests_to(server, "/limited")) == 8
    assert peak == 2


def test_the_sites_own_paragraph_on_every_page_leaves_the_full_texts(server: HTTPServer) -> None:
    base = server.url_for("").rstrip("/")
    stories = {"budget": ("Council passes the budget", "The council passed its budget"),
               "storm": ("Storm closes the coast road", "The storm closed the coast road"),
               "museum": ("Museum buys a lost painting", "The museum bought a lost painting")}
    items = "".join(f"<item><title>{title}</title><link>{base}/{path}</link><guid>{path}</guid>"
                    f"<description>{title}: a teaser. Read more</description></item>"
                    for path, (title, _) in stories.items())
    server.expect_request("/feed").respond_with_data(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Coast Courier</title>'
        f"<link>{base}/</link>{items}</channel></rss>", content_type=RSS)
    about = ("The Coast Courier is an independent local newspaper, founded in 1901 and owned "
             "by its readers, with offices in the harbour town and two villages nearby.")
    for path, (title, lead) in stories.items():
        body = "".join(f"<p>{lead} on Monday, in the {n}th paragraph of a long report that "
                       "tells the whole of what happened, who said what and why it matters "
                       "to the people of the harbour town.</p>" for n in range(4))
        server.expect_request(f"/{path}").respond_with_data(
            f"<html><body><article><h1>{title}</h1>{body}<p>{about}</p></article></body></html>",
            content_type="text/html")
    result = read(feed(server, full_text=True))
    bodies = {a.title: a.body for a in result.result.articles}
    assert all("full-text" in a.flags for a in result.result.articles)
    assert not any("independent local newspaper" in body for body in bodies.values())
    assert bodies["Storm closes the coast road"].startswith("The storm closed the coast road")


def test_one_text_on_the_pages_of_several_items_is_no_article(server: HTTPServer) -> None:
    # A paywalled site: three stub items whose pages all show one notice. It
    # is no article text: each item keeps the feed's text (else the notice
    # would make them copies, and two would be dropped as duplicates), and
    # the feed says so once; a page of its own still gives its text.
    base = server.url_for("").rstrip("/")
    items = "".join(
        f"<item><title>{title}</title><link>{base}/{path}</link><guid>{path}</guid>"
        f"<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate>"
        f"<description>{title}: a short teaser. Read more</description></item>"
        for title, path in (("Council passes the budget", "budget"),
                            ("Storm closes the coast road", "storm"),
                            ("Museum buys a lost painting", "museum"),
                            ("Observatory opens to the public", "observatory")))
    server.expect_request("/feed").respond_with_data(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Coast Courier</title>'
        f"<link>{base}/</link>{items}</channel></rss>", content_type=RSS)
    notice = ("<html><body><article><h1>Subscribers only</h1>" + "".join(
        f"<p>This article is only available to subscribers of the Coast Courier, paragraph "
        f"{n}. Please sign in to your account or take out a subscription to keep reading "
        "our local journalism, with unlimited access on every device.</p>"
        for n in range(4)) + "</article></body></html>")
    for path in ("budget", "storm", "museum"):
        server.expect_request(f"/{path}").respond_with_data(notice, content_type="text/html")
    server.expect_request("/observatory").respond_with_data(fixture("observatory.html"),
                                                            content_type="text/html")
    result = read(feed(server, full_text=True))
    bodies = {a.title: a.body for a in result.result.articles}
    assert bodies["Storm closes the coast road"] == (
        "Storm closes the coast road: a short teaser. Read more")
    assert not any("subscribers" in body for body in bodies.values())
    assert bodies["Observatory opens to the public"].startswith(
        "The hilltop observatory opened to the public on Monday")
    assert [str(p) for p in result.result.problems] == [
        "Test feed: full text of 3 items: their pages gave one and the same text "
        "(a paywall's or a login's notice, not an article); kept the feed's text"]
