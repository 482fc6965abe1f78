from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.dedup import find_duplicates
from digest.models import Article, StoredKeys
from digest.text.keys import content_hash, normalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/World/Story/", "https://news.example.com/World/Story"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed&id=7#comments",
         "https://example.com/a?id=7"),
        ("https://example.com/a?b=2&a=1&fbclid=XYZ", "https://example.com/a?a=1&b=2"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://user:pw@example.com/a", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("  mailto:someone@example.com ", "mailto:someone@example.com"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@given(st.text())
def test_normalize_url_is_idempotent(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once


def test_content_hash_ignores_case_punctuation_spacing_and_title(
    make_article: Callable[..., Article],
) -> None:
    a = make_article(title="One", body="The Ferry, resumed   on Monday!")
    b = make_article(title="Two", body="the ferry resumed on monday")
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(make_article(body="The ferry stopped on Monday"))


def test_same_content_within_a_batch_keeps_the_earliest(
    make_article: Callable[..., Article],
) -> None:
    late = make_article(id="late", body="Same words.",
                        published=datetime(2026, 11, 21, tzinfo=UTC))
    early = make_article(id="early", body="same words",
                         published=datetime(2026, 11, 20, tzinfo=UTC))
    result = find_duplicates([late, early])
    assert [a.id for a in result.unique] == ["early"]
    assert result.duplicates[0].article.id == "late"
    assert result.duplicates[0].duplicate_of == "early"
    assert result.duplicates[0].reason == "same content"


def test_same_url_after_normalisation_is_a_duplicate(
    make_article: Callable[..., Article],
) -> None:
    a = make_article(id="a", body="First text", url="https://ex.com/s?utm_source=x")
    b = make_article(id="b", body="Other text", url="https://EX.com/s#top")
    result = find_duplicates([a, b])
    assert [d.reason for d in result.duplicates] == ["same URL"]


def test_stored_articles_count_across_runs_but_not_against_themselves(
    make_article: Callable[..., Article],
) -> None:
    article = make_article(id="a", body="Stored words")
    stored = StoredKeys(by_hash={content_hash(article): "a"})
    assert [a.id for a in find_duplicates([article], stored).unique] == ["a"]
    copy = make_article(id="b", body="stored words!")
    assert find_duplicates([copy], stored).duplicates[0].duplicate_of == "a"
