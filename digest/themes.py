"""Group articles into themes: TF-IDF, average-linkage clustering, labels from top terms."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from digest.models import Article, Theme

OTHER_NEWS = "Other news"
# Titles say what an article is about in few words; counting them twice keeps
# long bodies from drowning them.
TITLE_WEIGHT = 2
# Up to this many articles the exact sparse cosine matrix is used (n² floats:
# 200 MB at 5,000); above it TruncatedSVD(100) keeps time and memory near
# linear (DEVELOPERS.md: 170 s dense vs 5.6 s after SVD at 10k documents).
MAX_EXACT_ARTICLES = 5000
SVD_COMPONENTS = 100
LABEL_TERMS = 3
MIN_ARTICLES_FOR_IDF = 20
# Words of two or more letters; digits and underscores are not topic words.
_TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


def group_by_theme(
    articles: Sequence[Article],
    min_similarity: float = 0.06,
    max_singletons: int = 3,
    language: str = "english",
) -> list[Theme]:
    """Return themes covering every article once, biggest first, deterministic.

    Articles join while the average cosine similarity between two groups is at
    least `min_similarity`, so the number of themes follows the data. When more
    than `max_singletons` articles stand alone they go to one "Other news"
    theme, placed last.
    """
    if not articles:
        return []
    ordered = sorted(articles, key=lambda a: a.id)
    matrix, terms = _tfidf(ordered, language)
    labels = _cluster(matrix, min_similarity)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    clusters = [members for members in groups.values() if len(members) > 1]
    singletons = [members for members in groups.values() if len(members) == 1]
    themes = [_theme(ordered, members, matrix, terms) for members in clusters]
    if len(singletons) > max_singletons:
        leftover = [m[0] for m in singletons]
        themes.sort(key=_theme_order)
        return [*themes, Theme(OTHER_NEWS, _article_order(ordered, leftover))]
    themes += [_theme(ordered, members, matrix, terms) for members in singletons]
    themes.sort(key=_theme_order)
    return themes


def _theme_order(theme: Theme) -> tuple[int, str]:
    return (-len(theme.article_ids), theme.label)


def _article_order(articles: Sequence[Article], members: list[int]) -> tuple[str, ...]:
    chosen = sorted((articles[i] for i in members), key=lambda a: (-a.published.timestamp(), a.id))
    return tuple(a.id for a in chosen)


def _theme(
    articles: Sequence[Article], members: list[int], matrix: Any, terms: np.ndarray
) -> Theme:
    top = _top_terms(matrix, members, terms)
    label = " · ".join(t[:1].upper() + t[1:] for t in top) or OTHER_NEWS
    return Theme(label, _article_order(articles, members), tuple(top))


def _top_terms(matrix: Any, members: list[int], terms: np.ndarray) -> list[str]:
    """Return the terms most typical of `members` compared with all articles."""
    if matrix.shape[1] == 0:
        return []
    inside = np.asarray(matrix[members].mean(axis=0)).ravel()
    overall = np.asarray(matrix.mean(axis=0)).ravel()
    score = inside - 0.5 * overall if len(members) < matrix.shape[0] else inside
    chosen: list[str] = []
    for index in np.lexsort((terms, -score)):
        if score[index] <= 0 or len(chosen) == LABEL_TERMS:
            break
        term = str(terms[index])
        chosen.append(term)
    return chosen


def _tfidf(articles: Sequence[Article], language: str) -> tuple[Any, np.ndarray]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [" ".join([a.title] * TITLE_WEIGHT + [a.body]) for a in articles]
    # IDF from a handful of articles mostly marks the words they share, which
    # is what grouping them needs: below this many, plain term frequency.
    many = len(articles) >= MIN_ARTICLES_FOR_IDF
    vectorizer = TfidfVectorizer(
        lowercase=True,
        stop_words=_stop_words_for(articles, language) or None,
        token_pattern=_TOKEN_PATTERN,
        sublinear_tf=True,
        use_idf=many,
        min_df=2 if many else 1,
        max_df=0.5 if many else 1.0,
        dtype=np.float32,
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:
        # Nothing but stop words or numbers: every article is its own theme.
        from scipy.sparse import csr_matrix

        return csr_matrix((len(articles), 0), dtype=np.float32), np.array([], dtype=object)
    return matrix, vectorizer.get_feature_names_out()


def _cluster(matrix: Any, min_similarity: float) -> np.ndarray:
    n = matrix.shape[0]
    if n == 1 or matrix.shape[1] == 0:
        return np.arange(n)
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.preprocessing import normalize

    if n > MAX_EXACT_ARTICLES:
        from sklearn.decomposition import TruncatedSVD

        reduced = TruncatedSVD(SVD_COMPONENTS, random_state=0).fit_transform(matrix)
        vectors = normalize(reduced)
        similarity = vectors @ vectors.T
    else:
        vectors = normalize(matrix)
        similarity = (vectors @ vectors.T).toarray()
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - min_similarity,
    )
    return np.asarray(model.fit_predict(distance))


def _stop_words_for(articles: Sequence[Article], language: str) -> list[str]:
    """Return the stop words of every language among `articles` ("auto": each one's own)."""
    from digest.language import resolve

    languages = sorted({resolve(a, language) for a in articles})
    return sorted({w for name in languages for w in _stop_words(name)})


@cache
def _stop_words(language: str) -> list[str]:
    """Return sumy's stop words for `language`, split the way the vectorizer splits words."""
    import re

    from sumy.utils import get_stop_words

    try:
        words = get_stop_words(language)
    except LookupError:
        return []
    return sorted({t for w in words for t in re.findall(_TOKEN_PATTERN, w.lower())})
