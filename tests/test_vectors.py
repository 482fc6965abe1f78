"""Section vectors and clustering without scikit-learn (`digest.group.vectors`).

Where scikit-learn has the same method (it stays installed for `digest eval`),
the results are compared with its: the same counts, weights and terms, and
the same average-linkage groups.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from probe import modules_loaded_by

from digest.group.themes import _TOKEN_PATTERN
from digest.group.vectors import (
    NoTerms,
    average_linkage,
    kmeans,
    merge_heights,
    reduce,
    term_counts,
    tf_idf,
    unit_rows,
)

FIXTURES = Path(__file__).parent / "fixtures"
STOP = ["the", "a", "of", "and", "to", "in", "is", "on", "for", "it"]


def _texts() -> list[str]:
    found = [p.read_text(encoding="utf-8", errors="replace")
             for p in sorted((FIXTURES / "articles").rglob("*")) if p.is_file()]
    found += [p.read_text(encoding="utf-8", errors="replace")
              for p in sorted((FIXTURES / "events").rglob("*")) if p.is_file()]
    texts = [t for t in found if t.strip()]
    assert len(texts) >= 5
    return texts


def test_counts_and_tf_idf_are_scikit_learns() -> None:
    text = pytest.importorskip("sklearn.feature_extraction.text")
    texts = _texts()
    for min_df, max_df, idf in ((1, 1.0, False), (2, 0.5, True)):
        theirs = text.TfidfVectorizer(stop_words=STOP, token_pattern=_TOKEN_PATTERN,
                                      sublinear_tf=True, use_idf=idf, min_df=min_df,
                                      max_df=max_df, dtype=np.float32)
        expected = theirs.fit_transform(texts)
        counts, terms = term_counts(texts, _TOKEN_PATTERN, STOP, min_df=min_df, max_df=max_df)
        assert list(terms) == list(theirs.get_feature_names_out())
        assert np.abs(tf_idf(counts, idf=idf) - expected).max() < 1e-6
    theirs = text.CountVectorizer(ngram_range=(1, 3), stop_words=STOP,
                                  token_pattern=_TOKEN_PATTERN, binary=True, min_df=2)
    expected = theirs.fit_transform(texts)
    counts, terms = term_counts(texts, _TOKEN_PATTERN, STOP, longest=3, min_df=2, binary=True)
    assert list(terms) == list(theirs.get_feature_names_out())
    assert np.abs(counts - expected).max() == 0


def test_word_grams_skip_stop_words_and_count_once_when_binary() -> None:
    counts, terms = term_counts(["Rates rise. The rates rise again!"], _TOKEN_PATTERN, ["the"],
                                longest=2, binary=True)
    assert list(terms) == ["again", "rates", "rates rise", "rise", "rise again", "rise rates"]
    assert counts.toarray().tolist() == [[1, 1, 1, 1, 1, 1]]
    with pytest.raises(NoTerms):
        term_counts(["the the", "42"], _TOKEN_PATTERN, ["the"])
    with pytest.raises(NoTerms):  # every term in one text only
        term_counts(["alpha", "beta"], _TOKEN_PATTERN, min_df=2)


def test_average_linkage_groups_as_scikit_learn_does() -> None:
    cluster = pytest.importorskip("sklearn.cluster")
    counts, _ = term_counts(_texts(), _TOKEN_PATTERN, STOP)
    vectors = unit_rows(tf_idf(counts))
    similarity = (vectors @ vectors.T).toarray()
    for cut in (0.05, 0.1, 0.2, 0.4):
        distance = np.clip(1.0 - similarity, 0.0, 2.0)
        np.fill_diagonal(distance, 0.0)
        theirs = cluster.AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average",
            distance_threshold=1.0 - cut).fit_predict(distance)
        assert _partition(average_linkage(similarity, cut)) == _partition(theirs)


def test_ward_heights_are_scipys() -> None:
    from scipy.cluster.hierarchy import linkage

    generator = np.random.default_rng(7)
    for count in (2, 3, 40, 300):
        points = unit_rows(generator.normal(size=(count, 12)))
        assert np.allclose(merge_heights(points), linkage(points, method="ward")[:, 2],
                           rtol=1e-9, atol=1e-12)
    assert len(merge_heights(np.zeros((1, 3)))) == 0


def test_kmeans_finds_separate_clusters_the_same_way_every_time() -> None:
    generator = np.random.default_rng(5)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    points = np.vstack([c + generator.normal(size=(40, 2)) for c in centres])
    labels = kmeans(points, 3)
    assert _partition(labels) == _partition(np.repeat([0, 1, 2], 40))
    assert np.array_equal(kmeans(points, 3), labels)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]])
    assert _partition(kmeans(corners, 3)) in ({frozenset({0, 1}), frozenset({2}), frozenset({3})},
                                              {frozenset({0}), frozenset({1}), frozenset({2, 3})})
    # More clusters than points, or points that are all one: no error, one label each.
    assert kmeans(points[:2], 5).tolist() in ([0, 1], [1, 0])
    assert len(kmeans(np.zeros((4, 2)), 3)) == 4


def test_reduce_keeps_the_leading_singular_directions() -> None:
    from scipy.sparse import csr_matrix

    generator = np.random.default_rng(3)
    low_rank = generator.normal(size=(200, 8)) @ generator.normal(size=(8, 300))
    noisy = low_rank + 0.01 * generator.normal(size=low_rank.shape)
    found = reduce(csr_matrix(noisy), 8)
    _, values, _ = np.linalg.svd(noisy, full_matrices=False)
    assert found.shape == (200, 8)
    assert np.allclose(np.linalg.norm(found, axis=0), values[:8], rtol=1e-6)
    assert np.array_equal(found, reduce(csr_matrix(noisy), 8))  # seeded
    assert reduce(csr_matrix(noisy[:3, :2]), 8).shape == (3, 2)


def test_theme_grouping_imports_no_scikit_learn() -> None:
    """Importing scikit-learn loads scipy.stats (about 1.4 s), and scipy.cluster loads
    scipy.spatial (about 0.5 s): more than a small day's whole grouping."""
    loaded = modules_loaded_by(
        "from datetime import UTC, datetime\n"
        "from digest.models import Article\n"
        "from digest.group.themes import group_by_theme\n"
        "words = 'council budget fares rail strike storm flood election vote goal'.split()\n"
        "days = [[Article(id=f'{n}-{i}', source='s', title=f'{w} news {i}',\n"
        "                 body=f'The {w} story {i}. More on the {w} today.',\n"
        "                 published=datetime.now(UTC))\n"
        "         for i, w in enumerate(words * (n // 10))] for n in (10, 60)]\n"
        "assert all(group_by_theme(day) for day in days)")
    assert "scipy.sparse" in loaded
    assert not {"sklearn", "scipy.stats", "scipy.cluster", "scipy.spatial"} & loaded


def _partition(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for index, label in enumerate(np.asarray(labels).tolist()):
        groups.setdefault(label, set()).add(index)
    return {frozenset(g) for g in groups.values()}
