"""Keys and stored forms of the day's groupings, so that a rerun on the same day reuses them.

Story grouping and theme grouping look at the whole day at once, so they are
kept whole: under a hash of every input that can change their result (each
article's fields they read, the settings, and the source code of the modules
that compute them). A rerun with the same articles and settings reads its
stories and sections back; any change (one new article, one edited title, a
new version of the code) computes them again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from itertools import chain
from sys import intern

from digest.config import StoriesConfig, ThemesConfig
from digest.group.stories import Lead, Story
from digest.models import Article, Theme
from digest.text.keys import code_version, fingerprint

LEADS = "leads"
STORIES = "stories"
THEMES = "themes"
_STORY_CODE = ("digest.group.stories", "digest.text.rarity", "digest.text.keys",
               "digest.text.language")
_THEME_CODE = ("digest.group.themes", "digest.group.vectors", "digest.group.labels",
               "digest.text.language", "digest.text.rarity", "digest.text.stems")


def stories_key(pool: Sequence[Article], settings: StoriesConfig, language: str) -> str:
    """Return the key of grouping `pool` into stories (`group_stories`)."""
    return fingerprint(
        STORIES, code_version(*_STORY_CODE), _package_version("wordfreq"),
        settings.similarity, settings.window_hours, language,
        *(part for a in sorted(pool, key=lambda a: a.id)
          for part in (a.id, a.source, a.title, a.body, a.published.isoformat(),
                       "\x1e".join(a.flags), a.language)))


def themes_key(articles: Sequence[Article], settings: ThemesConfig, language: str) -> str:
    """Return the key of grouping the stories' representatives `articles` into sections."""
    return fingerprint(
        THEMES, code_version(*_THEME_CODE), _package_version("numpy"), _package_version("scipy"),
        _package_version("wordfreq"), _package_version("PyStemmer"),  # labels compare stems
        settings.by, settings.min_similarity, settings.max_singletons, language,
        *(part for a in articles
          for part in (a.id, a.source, a.title, a.body, a.language, a.category)))


def lead_key(article: Article, language: str) -> str:
    """Return the key of an article's `Lead` (`lead_of`): its text, its language, the code."""
    # This module's code too: it is what writes and reads the stored form.
    return fingerprint("lead", code_version(*_STORY_CODE, __name__), _package_version("wordfreq"),
                       language, article.title, article.body, article.language)


# What a stored lead holds before its words: six little-endian uint32 counts.
_LEAD_HEADER = 6


def encode_lead(lead: Lead) -> bytes:
    """Return `lead` as bytes: six counts, its words, its weights, its gram hashes and MinHash.

    The words (the vector's, the specific ones, the headline's, the telling
    ones) are one UTF-8 text joined by NUL, which no word holds (words are
    runs of letters and digits); the weights are float64, exact as found.
    Encoding takes a quarter of the time JSON took, decoding two thirds
    (bench/README.md, "Stored leads").
    """
    import numpy as np

    specific, words = sorted(lead.specific), sorted(lead.words)
    text = "\0".join(chain(lead.vector, specific, lead.head, words)).encode()
    weights = np.fromiter(chain(lead.vector.values(), lead.head.values()), dtype="<f8",
                          count=len(lead.vector) + len(lead.head))
    grams = np.ascontiguousarray(lead.grams, dtype="<u8")
    counts = np.array([len(lead.vector), len(specific), len(lead.head), len(words), len(text),
                       len(grams)], dtype="<u4")
    signature = np.ascontiguousarray(lead.signature, dtype="<u4")
    return b"".join((counts.tobytes(), text, weights.tobytes(), grams.tobytes(),
                     signature.tobytes()))


def decode_lead(data: bytes) -> Lead:
    """Return the `Lead` that `encode_lead` made `data` from."""
    import numpy as np

    vector_size, specific_size, head_size, words_size, text_size, grams_size = (
        np.frombuffer(data, dtype="<u4", count=_LEAD_HEADER).tolist())
    at = _LEAD_HEADER * 4
    # One string object per word across all leads, as `lead_of` makes them.
    names = (list(map(intern, data[at:at + text_size].decode().split("\0")))
             if vector_size + specific_size + head_size + words_size else [])
    at += text_size
    weights = np.frombuffer(data, dtype="<f8", count=vector_size + head_size, offset=at).tolist()
    at += 8 * (vector_size + head_size)
    grams = np.frombuffer(data, dtype="<u8", count=grams_size, offset=at)
    signature = np.frombuffer(data, dtype="<u4", offset=at + 8 * grams_size)
    head_at = vector_size + specific_size
    return Lead(vector=dict(zip(names[:vector_size], weights[:vector_size], strict=True)),
                specific=frozenset(names[vector_size:head_at]),
                head=dict(zip(names[head_at:head_at + head_size], weights[vector_size:],
                              strict=True)),
                words=frozenset(names[head_at + head_size:]),
                grams=grams.astype(np.uint64), signature=signature.astype(np.uint32))


def encode_stories(stories: Sequence[Story]) -> str:
    return json.dumps([[s.id, s.article_ids, s.near_duplicates] for s in stories])


def decode_stories(text: str) -> list[Story]:
    return [Story(id=story_id, article_ids=tuple(ids), near_duplicates=tuple(copies))
            for story_id, ids, copies in json.loads(text)]


def encode_themes(themes: Sequence[Theme]) -> str:
    return json.dumps([[t.label, t.article_ids, t.terms] for t in themes], ensure_ascii=False)


def decode_themes(text: str) -> list[Theme]:
    return [Theme(label=label, article_ids=tuple(ids), terms=tuple(terms))
            for label, ids, terms in json.loads(text)]


@cache
def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ""
