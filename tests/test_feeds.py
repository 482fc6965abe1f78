"""Feed parsing from bytes: formats, encodings, item identity, dates, limits. No network."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from digest.dedup import find_duplicates
from digest.ingest.feeds import ParsedFeed, parse_feed
from digest.models import StoredKeys
from digest.text.keys import normalize_url

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def parse(content: bytes, key: str = "http://feeds.example/x", **kwargs: object) -> ParsedFeed:
    return parse_feed(content, source="src", feed_key=key, now=NOW, **kwargs)  # type: ignore[arg-type]


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def test_rss2_items_become_clean_articles() -> None:
    feed = parse(fixture("rss2.xml"))
    assert feed.title == "Harbour Gazette"
    assert feed.problems == ()
    titles = [a.title for a in feed.articles]
    # Newest first; the undated item takes the time it was first seen.
    assert titles == ["Lighthouse keeper's diary goes on display",
                      "Night ferry returns after winter pause",
                      "Fish market & co-op agree on new opening hours"]
    diary, ferry, market = feed.articles
    assert diary.published == NOW and diary.flags == ("undated",)
    # +0100 normalised to UTC.
    assert ferry.published == datetime(2026, 11, 23, 5, 30, tzinfo=UTC)
    # content:encoded wins over the shorter description; paragraphs survive;
    # scripts and tracking pixels do not.
    assert ferry.body.split("\n\n") == [
        "The night ferry between the harbour and the island resumed service on Monday after "
        "a three-month pause for hull repairs.",
        "Operators said the first crossing carried 212 passengers and forty cars."]
    assert "track(" not in ferry.body and "pixel" not in ferry.body
    # Escaped HTML in a description is HTML too.
    assert market.body == ("The fish market will open at five in the morning from December, "
                           "the co-op said.\n\nTraders welcomed the change.")
    assert all(a.kind == "feed" and a.source == "src" for a in feed.articles)
    assert ferry.location == "http://feeds.example/x"


def test_atom_prefers_published_and_strips_html_titles() -> None:
    feed = parse(fixture("atom.xml"))
    final, junior = feed.articles
    assert final.title == "Final decided in rapid tiebreak"
    assert final.published == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert junior.published == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # from <updated>
    assert final.url == "http://chess.example/final"
    assert "third year" in final.body


def test_json_feed_html_and_text_items() -> None:
    feed = parse(fixture("feed.json"), headers={"Content-Type": "application/feed+json"})
    assert feed.title == "River Watch" and feed.problems == ()
    flood, cleanup = feed.articles
    assert flood.published == datetime(2026, 11, 23, 6, 45, tzinfo=UTC)
    assert flood.body.startswith("The flood warning for the lower valley")
    assert cleanup.body.endswith("another cleanup in spring.")


def test_latin1_feed_is_decoded_from_its_declaration() -> None:
    feed = parse(fixture("latin1.xml"))
    assert feed.title == "Café Zeitung"
    (item,) = feed.articles
    assert item.title == "Bäckerei öffnet früher: Brötchen schon um fünf"
    assert "Straßenfest im Frühling" in item.body


def test_server_charset_is_honoured_for_undeclared_documents() -> None:
    body = ('<rss version="2.0"><channel><title>Ü</title><item><title>Grüße aus Köln</title>'
            "<guid>g1</guid></item></channel></rss>").encode("cp1252")
    feed = parse(body, headers={"content-type": "application/rss+xml; charset=windows-1252"})
    assert feed.articles[0].title == "Grüße aus Köln"


def test_truncated_feed_keeps_its_items_and_records_the_problem() -> None:
    feed = parse(fixture("truncated.xml"))
    assert [a.title for a in feed.articles] == ["School choir wins regional prize",
                                                "Council approves bridge budget"]
    (problem,) = feed.problems
    assert problem.startswith("feed is not well-formed (") and problem.endswith("2 items used")


@pytest.mark.parametrize("content", [
    b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>",
    b"",
    b"\x89PNG\r\n\x1a\n\x00\x00",
    b'{"not": "a feed"}',
    b"{broken json",
])
def test_documents_that_are_not_feeds_are_reported(content: bytes) -> None:
    feed = parse(content)
    assert not feed.is_feed and feed.articles == ()
    assert len(feed.problems) == 1 and feed.problems[0]


@pytest.mark.parametrize("document", [
    # RSS 0.91
    b'<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>'
    b"<link>http://old.example/</link><description>d</description>"
    b"<item><title>Ninety-one</title><link>http://old.example/1</link>"
    b"<description>An RSS 0.91 item.</description></item></channel></rss>",
    # RSS 1.0 (RDF)
    b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b'<channel rdf:about="http://old.example/"><title>Old</title><link>http://old.example/</link>'
    b"<description>d</description></channel>"
    b'<item rdf:about="http://old.example/1"><title>Ninety-one</title>'
    b"<link>http://old.example/1</link><description>An RSS 1.0 item.</description>"
    b"<dc:date>2026-11-22T10:00:00Z</dc:date></item></rdf:RDF>",
    # Atom 0.3
    b'<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">'
    b"<title>Old</title><entry><title>Ninety-one</title>"
    b'<link rel="alternate" type="text/html" href="http://old.example/1"/>'
    b"<id>tag:old.example,2026:1</id><issued>2026-11-22T10:00:00Z</issued>"
    b"<summary>An Atom 0.3 item.</summary></entry></feed>",
])
def test_older_formats_are_read(document: bytes) -> None:
    feed = parse(document)
    assert feed.is_feed and feed.title == "Old"
    (item,) = feed.articles
    assert item.title == "Ninety-one" and item.url == "http://old.example/1"
    assert item.body.startswith("An ") and item.body.endswith(" item.")


def _rss(items: str) -> bytes:
    return f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def test_item_identity_guid_then_link_then_content() -> None:
    with_guid = _rss("<item><guid>abc</guid><title>One</title><link>http://a.example/1</link>"
                     "</item>")
    moved_link = _rss("<item><guid>abc</guid><title>One</title><link>http://a.example/moved</link>"
                      "</item>")
    assert parse(with_guid).articles[0].id == parse(moved_link).articles[0].id
    by_link = _rss("<item><title>One</title><link>http://A.example/1#top</link></item>")
    same_link = _rss("<item><title>One, edited</title><link>http://a.example/1</link></item>")
    assert parse(by_link).articles[0].id == parse(same_link).articles[0].id
    by_text = _rss("<item><title>No link</title><description>Text only.</description></item>")
    again = parse(by_text).articles[0].id
    assert again == parse(by_text).articles[0].id
    other = _rss("<item><title>No link</title><description>Other text.</description></item>")
    assert parse(other).articles[0].id != again
    # The same GUID in two feeds is two items.
    assert parse(with_guid, key="http://b.example/feed").articles[0].id != \
        parse(with_guid).articles[0].id


def test_rewritten_guids_are_caught_by_link_and_content() -> None:
    """A feed that changes every GUID gives new ids; dedup still finds the stored copies."""
    first = parse(fixture("rss2.xml")).articles
    rewritten = parse(fixture("rss2.xml").replace(b"harbour-2026-0001", b"NEW-ID-1")
                      .replace(b"<guid>http://harbour.example/news/fish-market</guid>",
                               b"<guid>urn:new:2</guid>")).articles
    first_ids = {a.id for a in first}
    assert len(first_ids - {a.id for a in rewritten}) == 2
    stored = StoredKeys(by_url={normalize_url(a.url): a.id for a in first if a.url}, by_hash={})
    result = find_duplicates(rewritten, stored)
    # The item without a GUID keeps its id (the same stored row); the other two
    # are recognised as copies of what is stored.
    assert [a.id for a in result.unique] == [first[0].id]
    assert {d.duplicate_of for d in result.duplicates} == first_ids - {first[0].id}


def test_item_without_title_gets_one_from_its_text_and_empty_items_are_skipped() -> None:
    feed = parse(_rss("<item><description>" + "word " * 30 + "</description></item>"
                      "<item><guid>only-a-guid</guid></item>"))
    (item,) = feed.articles
    assert item.title == " ".join(["word"] * 12) + "…"
    assert feed.problems == ("item 2: no title, link or text; skipped",)


def test_a_text_every_item_carries_is_the_feeds_not_a_copy() -> None:
    """An aggregator's "Comments" under every link: each item is kept, by its title."""
    feed = parse(_rss("".join(
        f"<item><title>{title}</title><link>https://{host}.example/{n}</link>"
        f"<description>&lt;a href=\"https://agg.example/item?id={n}\"&gt;Comments&lt;/a&gt;"
        "</description></item>"
        for n, (title, host) in enumerate([("Postgres 19 released", "pg"),
                                           ("A new compiler backend", "rust"),
                                           ("Show: my weekend project", "me")]))
        # An item given twice under one title keeps its text: it is a copy.
        + "<item><title>Ferry resumes</title><link>https://a.example/f1</link>"
        "<description>The night ferry resumed on Monday.</description></item>"
        "<item><title>Ferry resumes</title><link>https://b.example/f2</link>"
        "<description>The night ferry resumed on Monday.</description></item>"
        # Two headlines over one text: a report and its update, still copies.
        + "<item><title>Storm nears coast</title><link>https://a.example/s1</link>"
        "<description>The storm will reach the coast tonight.</description></item>"
        "<item><title>Storm nears coast: latest</title><link>https://a.example/s2</link>"
        "<description>The storm will reach the coast tonight.</description></item>"))
    bodies = {a.title: a.body for a in feed.articles}
    assert bodies == {"Postgres 19 released": "", "A new compiler backend": "",
                      "Show: my weekend project": "",
                      "Ferry resumes": "The night ferry resumed on Monday.",
                      "Storm nears coast": "The storm will reach the coast tonight.",
                      "Storm nears coast: latest": "The storm will reach the coast tonight."}
    assert feed.problems == ()
    result = find_duplicates(feed.articles)
    assert sorted(a.title for a in result.unique) == [
        "A new compiler backend", "Ferry resumes", "Postgres 19 released",
        "Show: my weekend project", "Storm nears coast"]
    assert [d.reason for d in result.duplicates] == ["same content", "same content"]


def test_a_paragraph_every_item_ends_with_is_the_feeds() -> None:
    """A blog's sign-off and forum pointer under each post leave the posts; what they say stays."""
    posts = {"Version 12 is out": "Version 12 of the API adds batch jobs.",
             "Sunset of version 9": "Version 9 stops working on 1 March.",
             "New reporting fields": "Reports gain three new fields for video."}
    footer = ("<p>- Jane, API Team</p>"
              "<p>Questions? Visit us on the forum or our page.</p>")
    items = "".join(f"<item><title>{title}</title><link>https://blog.example/{n}</link>"
                    f"<description><![CDATA[<p>{text}</p>{footer}]]></description></item>"
                    for n, (title, text) in enumerate(posts.items()))
    # A paragraph two items share stays: it may be one story told twice.
    items += "".join(f"<item><title>Outage {n}</title><link>https://blog.example/o{n}</link>"
                     f"<description><![CDATA[<p>Outage report {n}.</p><p>The outage began at "
                     "noon.</p>]]></description></item>" for n in range(2))
    bodies = {a.title: a.body for a in parse(_rss(items)).articles}
    assert {t: bodies[t] for t in posts} == posts
    assert bodies["Outage 0"] == "Outage report 0.\n\nThe outage began at noon."


def test_huge_feed_is_cut_to_the_newest_items() -> None:
    items = "".join(f"<item><guid>g{n}</guid><title>Item {n}</title>"
                    f"<pubDate>Sun, {n % 28 + 1:02d} Nov 2026 10:00:00 GMT</pubDate></item>"
                    for n in range(1000))
    feed = parse(_rss(items), max_items=200)
    assert len(feed.articles) == 200
    assert feed.problems == ("kept the newest 200 of 1000 items",)
    days = sorted((n % 28 + 1 for n in range(1000)), reverse=True)
    assert sorted(a.published.day for a in feed.articles) == sorted(days[:200])


def test_only_web_links_are_kept() -> None:
    feed = parse(_rss("<item><title>Bad</title><link>javascript:alert(1)</link></item>"
                      "<item><title>Good</title><link> https://a.example/ok </link></item>"))
    assert {a.title: a.url for a in feed.articles} == {"Bad": None,
                                                       "Good": "https://a.example/ok"}


def test_relative_links_are_resolved_against_the_feeds_address() -> None:
    items = _rss("<item><title>Root</title><link>/news/123</link></item>"
                 "<item><title>Path</title><link>story.html</link></item>"
                 "<item><title>Bad</title><link>javascript:alert(1)</link></item>")
    links = {a.title: a.url for a in parse(items, key="https://site.example/feeds/rss.xml"
                                           ).articles}
    assert links == {"Root": "https://site.example/news/123",
                     "Path": "https://site.example/feeds/story.html", "Bad": None}
    # The address the server gives for the document wins; so does the document's xml:base.
    moved = parse(items, key="https://site.example/feeds/rss.xml",
                  headers={"Content-Location": "https://cdn.example/x/rss.xml"}).articles
    assert {a.title: a.url for a in moved}["Path"] == "https://cdn.example/x/story.html"
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example/b/">'
            b"<title>B</title><entry><title>Post</title><id>tag:1</id>"
            b'<link href="posts/1.html"/></entry></feed>')
    assert parse(atom, key="https://feeds.example/atom").articles[0].url == (
        "https://blog.example/b/posts/1.html")
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": '
                 b'[{"id": "1", "url": "/p/1", "title": "T", "content_text": "x"}]}')
    assert parse(json_feed, key="https://j.example/feed.json").articles[0].url == (
        "https://j.example/p/1")


@given(st.text(max_size=40))
@example("http://[::1")
@example("//[bad")
@example("/a b")
@example("story.html")
@example("12345")
def test_any_link_or_guid_text_gives_a_web_address_or_none(text: str) -> None:
    from xml.sax.saxutils import escape

    from digest.text.keys import is_web_url

    # As an item's link, and as the GUID of an item with none (feedparser's stand-in link).
    for item in (f"<guid>g</guid><link>{escape(text)}</link>", f"<guid>{escape(text)}</guid>"):
        feed = parse(_rss(f"<item><title>X</title>{item}</item>"),
                     key="https://site.example/feeds/rss.xml")
        assert all(a.url is None or is_web_url(a.url) for a in feed.articles)


def test_a_feed_with_no_items_is_still_a_feed() -> None:
    empty = parse(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>')
    assert empty.is_feed and empty.articles == () and empty.problems == ()
    broken = parse(b"<rss><channel><title>Quiet &#160; days</title></channel></rss")
    assert broken.is_feed and broken.title.startswith("Quiet")
    assert broken.problems[0].endswith("no items found")


def test_a_plain_text_item_keeps_its_angle_brackets() -> None:
    from digest.ingest.html import html_to_text

    assert html_to_text("Use <b> for bold &amp; x &lt; y", plain=True) == (
        "Use <b> for bold & x < y")
    assert html_to_text("Use <b>bold</b> &amp;lt;i&amp;gt;twice&amp;lt;/i&amp;gt;") == (
        "Use bold twice")
