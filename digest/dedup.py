"""Find exact duplicates: the same normalised URL or the same normalised content.

The keys are computed once, at cleaning (digest.text.keys), and carried on each article.
"""

from __future__ import annotations

from collections.abc import Iterable

from digest.models import Article, DedupResult, Duplicate, StoredKeys
from digest.text.keys import with_keys


def find_duplicates(
    articles: Iterable[Article], stored: StoredKeys | None = None
) -> DedupResult:
    """Split `articles` into unique ones and duplicates, within the batch and against `stored`.

    An article is a duplicate when its normalised URL or its content hash
    already belongs to another article (stored, or earlier in the batch). The
    batch is taken in (published, id) order so the earliest copy is kept.
    """
    stored = stored or StoredKeys()
    by_url = dict(stored.by_url)
    by_hash = dict(stored.by_hash)
    unique: list[Article] = []
    duplicates: list[Duplicate] = []
    for article in sorted(map(with_keys, articles), key=lambda a: (a.published, a.id)):
        url_key, digest = article.url_key, article.content_hash
        owner_by_url = by_url.get(url_key) if url_key else None
        owner_by_hash = by_hash.get(digest)
        if owner_by_url and owner_by_url != article.id:
            duplicates.append(Duplicate(article, owner_by_url, "same URL"))
            continue
        if owner_by_hash and owner_by_hash != article.id:
            duplicates.append(Duplicate(article, owner_by_hash, "same content"))
            continue
        if url_key:
            by_url[url_key] = article.id
        by_hash[digest] = article.id
        unique.append(article)
    return DedupResult(tuple(unique), tuple(duplicates))
