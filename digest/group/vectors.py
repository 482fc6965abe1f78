"""Text vectors and clustering for sections, on numpy and scipy alone.

Theme grouping needs term counts, TF-IDF weights, a low-rank reduction and
k-means. scikit-learn has them all, but importing it loads scipy.stats and
costs about 1.4 s here, more than a small day's whole grouping
(bench/README.md, "Themes without scikit-learn"). These are the textbook
methods, written for the sizes a day has (thousands of short texts):

- counts and TF-IDF with smoothed IDF, ln((1 + n) / (1 + df)) + 1, and
  sublinear term frequency, 1 + ln(tf) (Manning, Raghavan and Schütze,
  "Introduction to Information Retrieval", ch. 6), over terms in sorted order;
- a randomized truncated SVD with power iterations (Halko, Martinsson and
  Tropp 2011, algorithms 4.3-4.4);
- k-means with greedy k-means++ seeding (Arthur and Vassilvitskii 2007: each
  new centre is the best of 2 + ln k candidates drawn by squared distance)
  and Lloyd's iterations, best of several seeded starts;
- Ward's and average linkage by the nearest-neighbour chain (Murtagh 1983).

Every random step is seeded: the same input gives the same output.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np


class NoTerms(ValueError):
    """No term is left once stop words and document-frequency limits are applied."""


def term_counts(
    texts: Sequence[str], pattern: str, stop_words: Collection[str] = (), *,
    longest: int = 1, min_df: int = 1, max_df: float = 1.0, binary: bool = False,
) -> tuple[Any, np.ndarray]:
    """Return each text's term counts (CSR, float32) and the terms, in sorted order.

    Texts are lowercased and split into the words `pattern` finds; stop words
    are dropped before word n-grams of 1 to `longest` words are formed. A
    term must be in at least `min_df` texts and at most `max_df` of them (a
    share). `binary` counts a term once per text. Raises `NoTerms` when none
    is left.
    """
    from scipy.sparse import csr_matrix

    find = re.compile(pattern).findall
    stop = frozenset(stop_words)
    numbers: dict[str, int] = {}
    columns: list[int] = []
    values: list[int] = []
    starts = [0]
    for text in texts:
        words = [w for w in find(text.lower()) if w not in stop]
        grams = list(words)
        for size in range(2, longest + 1):
            grams += [" ".join(words[i:i + size]) for i in range(len(words) - size + 1)]
        counted = Counter(grams)
        columns += [numbers.setdefault(gram, len(numbers)) for gram in counted]
        values += [1] * len(counted) if binary else counted.values()
        starts.append(len(columns))
    if not numbers:
        raise NoTerms("no terms: the texts hold only stop words")
    matrix = csr_matrix((np.asarray(values, dtype=np.float32), np.asarray(columns, dtype=np.int64),
                         np.asarray(starts, dtype=np.int64)), shape=(len(texts), len(numbers)))
    df = np.bincount(matrix.indices, minlength=len(numbers))
    keep = (df >= min_df) & (df <= max_df * len(texts))
    if not keep.any():
        raise NoTerms("no terms left after the document-frequency limits")
    terms = np.array(list(numbers), dtype=object)
    order = np.flatnonzero(keep)
    order = order[np.argsort(terms[order].astype(str), kind="stable")]
    matrix = matrix[:, order].tocsr()
    matrix.sort_indices()
    return matrix, terms[order]


def tf_idf(counts: Any, *, sublinear: bool = True, idf: bool = True) -> Any:
    """Return `counts` weighted by (sublinear) term frequency and smoothed IDF, rows unit length."""
    weighted = counts.astype(np.float64)
    if sublinear:
        weighted.data = 1.0 + np.log(weighted.data)
    if idf:
        documents = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        weighted.data *= (np.log((1.0 + documents) / (1.0 + df)) + 1.0)[weighted.indices]
    return unit_rows(weighted).astype(np.float32)


def unit_rows(matrix: Any) -> Any:
    """Return `matrix` (sparse CSR or dense) with each nonzero row scaled to unit length."""
    if isinstance(matrix, np.ndarray):
        norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
        norms[norms == 0] = 1.0
        return matrix / norms[:, None]
    scaled = matrix.tocsr(copy=True)
    squares = np.bincount(np.repeat(np.arange(scaled.shape[0]), np.diff(scaled.indptr)),
                          weights=scaled.data.astype(np.float64) ** 2,
                          minlength=scaled.shape[0])
    norms = np.sqrt(squares)
    norms[norms == 0] = 1.0
    scaled.data = (scaled.data / np.repeat(norms, np.diff(scaled.indptr))).astype(
        scaled.dtype, copy=False)
    return scaled


# Randomized SVD: extra random directions beyond the rank asked for, and
# power iterations, which sharpen the basis when the singular values decay
# slowly, as a text matrix's do (Halko et al. 2011, section 4.5).
OVERSAMPLING = 10
POWER_ITERATIONS = 5


def reduce(matrix: Any, rank: int, seed: int = 0) -> np.ndarray:
    """Return the rows of `matrix` projected on its `rank` leading singular directions.

    That is U·Σ of a truncated SVD (each column's sign fixed so that its
    largest entry is positive), found by a seeded randomized range finder.
    Between power iterations the basis is only re-conditioned, by a pivoted
    LU factor (any basis of the same span will do), which costs less than a
    QR. Double precision: in single precision the height ratios that choose
    the number of sections moved with the rounding (bench/README.md).
    """
    with _one_thread():
        return _reduce(matrix, rank, seed)


def _reduce(matrix: Any, rank: int, seed: int) -> np.ndarray:
    from scipy.linalg import lu

    rows, columns = matrix.shape
    rank = max(1, min(rank, rows, columns))
    width = min(rank + OVERSAMPLING, rows, columns)
    matrix = matrix.astype(np.float64)
    transposed = matrix.T.tocsr()
    generator = np.random.default_rng(seed)
    basis = matrix @ generator.standard_normal((columns, width))
    for _ in range(POWER_ITERATIONS):
        basis = lu(basis, permute_l=True, check_finite=False)[0]
        basis = lu(transposed @ basis, permute_l=True, check_finite=False)[0]
        basis = matrix @ basis
    basis, _ = np.linalg.qr(basis)
    small = np.asarray(transposed @ basis).T  # width x columns
    left, values, _ = np.linalg.svd(small, full_matrices=False)
    found = (basis @ left[:, :rank]) * values[:rank]
    signs = np.sign(found[np.abs(found).argmax(axis=0), np.arange(found.shape[1])])
    signs[signs == 0] = 1.0
    return np.asarray(found * signs)


KMEANS_MAX_ITERATIONS = 300
# Lloyd's iterations stop once the centres move less than this share of the
# data's mean variance per dimension (squared, summed over centres).
KMEANS_TOLERANCE = 1e-4


def kmeans(points: np.ndarray, k: int, starts: int = 10, seed: int = 0) -> np.ndarray:
    """Return each point's cluster (0..k-1) of the best of `starts` seeded k-means runs.

    Best is the lowest sum of squared distances to the centres.
    """
    with _one_thread():
        return _kmeans(points, k, starts, seed)


def _kmeans(points: np.ndarray, k: int, starts: int, seed: int) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    count = len(points)
    k = max(1, min(k, count))
    generator = np.random.default_rng(seed)
    squares = np.einsum("ij,ij->i", points, points)
    tolerance = float(np.mean(np.var(points, axis=0))) * KMEANS_TOLERANCE
    best: tuple[float, np.ndarray] | None = None
    for _ in range(starts):
        centres = _seed_centres(points, squares, k, generator)
        labels, cost = _lloyd(points, squares, centres, tolerance)
        if best is None or cost < best[0]:
            best = (cost, labels)
    assert best is not None
    return best[1]


def _distances(points: np.ndarray, squares: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Squared distances, one row per point and one column per centre."""
    found: np.ndarray = points @ centres.T
    found *= -2.0
    found += squares[:, None]
    found += np.einsum("ij,ij->i", centres, centres)[None, :]
    np.maximum(found, 0.0, out=found)
    return found


def _seed_centres(points: np.ndarray, squares: np.ndarray, k: int,
                  generator: np.random.Generator) -> np.ndarray:
    """Greedy k-means++: each new centre the best of a few drawn by squared distance."""
    count = len(points)
    trials = 2 + int(math.log(k))
    chosen = [int(generator.integers(count))]
    nearest = _distances(points, squares, points[chosen])[:, 0]
    for _ in range(1, k):
        total = float(nearest.sum())
        if total <= 0.0:  # every point sits on a centre already
            chosen.append(int(generator.integers(count)))
            continue
        picks = np.searchsorted(np.cumsum(nearest), generator.uniform(size=trials) * total)
        picks = np.minimum(picks, count - 1)
        options = np.minimum(_distances(points, squares, points[picks]).T, nearest)
        winner = int(options.sum(axis=1).argmin())
        chosen.append(int(picks[winner]))
        nearest = options[winner]
    return points[chosen].copy()


def _lloyd(points: np.ndarray, squares: np.ndarray, centres: np.ndarray,
           tolerance: float) -> tuple[np.ndarray, float]:
    """Lloyd's iterations from `centres`: the labels and the sum of squared distances."""
    k = len(centres)
    labels = np.full(len(points), -1)
    for _ in range(KMEANS_MAX_ITERATIONS):
        distances = _distances(points, squares, centres)
        found = distances.argmin(axis=1)
        sizes = np.bincount(found, minlength=k)
        for empty in np.flatnonzero(sizes == 0):
            # An empty cluster takes the point farthest from its centre.
            far = int(distances[np.arange(len(points)), found].argmax())
            sizes[found[far]] -= 1
            found[far], sizes[empty] = empty, 1
            distances[far, :] = 0.0
        member = np.zeros((len(points), k))
        member[np.arange(len(points)), found] = 1.0
        sums = member.T @ points
        moved = np.where(sizes[:, None] > 0, sums / np.maximum(sizes, 1)[:, None], centres)
        shift = float(((moved - centres) ** 2).sum())
        centres = moved
        if np.array_equal(found, labels) or shift <= tolerance:
            labels = found
            break
        labels = found
    distances = _distances(points, squares, centres)
    labels = distances.argmin(axis=1)
    return labels, float(distances[np.arange(len(points)), labels].sum())


def _one_thread() -> Any:
    """Hold numpy's BLAS to one thread: these matrices are small, and a day's
    grouping runs beside other work on every core (two BLAS threads per
    process took 1.7x the time of one here)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def merge_heights(points: np.ndarray) -> np.ndarray:
    """Return the merge heights of Ward's hierarchical clustering of `points`, ascending.

    As scipy's `linkage(points, "ward")` gives them (Euclidean units), found
    by the nearest-neighbour chain on squared distances: Ward's criterion is
    reducible, so the chain merges exactly the pairs the greedy method does.
    """
    points = np.asarray(points, dtype=np.float64)
    squares = np.einsum("ij,ij->i", points, points)
    with _one_thread():
        distance = _distances(points, squares, points)
    merges = _nearest_neighbour_chain(distance, ward=True)
    return np.sort(np.sqrt([height for _, _, height in merges]))


def average_linkage(similarity: np.ndarray, min_similarity: float) -> np.ndarray:
    """Return each item's group: average linkage on 1 - `similarity`, joined below the cut.

    Groups join while their mean distance is under 1 - `min_similarity`.
    Groups are numbered by their first item.
    """
    count = len(similarity)
    distance = np.clip(1.0 - np.asarray(similarity, dtype=np.float64), 0.0, 2.0)
    cut = 1.0 - min_similarity
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Average linkage never merges lower than a merge it contains, so the
    # groups under the cut are the merges under it, in any order.
    for a, b, height in _nearest_neighbour_chain(distance, ward=False):
        if height < cut:
            parent[max(root(a), root(b))] = min(root(a), root(b))
    roots = [root(i) for i in range(count)]
    number = {r: n for n, r in enumerate(dict.fromkeys(roots))}
    return np.array([number[r] for r in roots], dtype=np.int64)


def _nearest_neighbour_chain(distance: np.ndarray, ward: bool) -> list[tuple[int, int, float]]:
    """Return the merges (item a, item b, height) of average or Ward linkage.

    `distance` (n x n, symmetric; squared Euclidean for Ward) is used up.
    Each merge names one item of each side; the merged cluster lives on in
    the lower-numbered row, updated by the Lance-Williams formula. Follows
    nearest neighbours until two are each other's (Murtagh 1983), so each
    step is one row's minimum: O(n^2) in all.
    """
    count = len(distance)
    if count < 2:
        return []
    np.fill_diagonal(distance, np.inf)
    sizes = np.ones(count)
    alive = np.ones(count, dtype=bool)
    items = np.arange(count)  # the item each row stands for
    merges: list[tuple[int, int, float]] = []
    chain: list[int] = []
    while len(merges) < count - 1:
        if not chain:
            chain.append(int(np.flatnonzero(alive)[0]))
        a = chain[-1]
        row = distance[a]
        b = int(row.argmin())
        if len(chain) > 1 and row[chain[-2]] <= row[b]:
            b = chain[-2]  # a tie keeps the chain's own pair: no cycle
        if len(chain) < 2 or b != chain[-2]:
            chain.append(b)
            continue
        chain.pop()
        chain.pop()
        height = float(row[b])
        merges.append((int(items[a]), int(items[b]), height))
        keep, gone = min(a, b), max(a, b)
        size_a, size_b = sizes[a], sizes[b]
        if ward:
            total = sizes + size_a + size_b
            merged = ((sizes + size_a) * distance[a] + (sizes + size_b) * distance[b]
                      - sizes * height) / total
        else:
            merged = (size_a * distance[a] + size_b * distance[b]) / (size_a + size_b)
        merged[~alive] = np.inf
        alive[gone] = False
        merged[[keep, gone]] = np.inf
        distance[keep, :] = merged
        distance[:, keep] = merged
        distance[gone, :] = np.inf
        distance[:, gone] = np.inf
        sizes[keep] = size_a + size_b
        if len(distance) > _COMPACT_FROM and 2 * (count - 1 - len(merges)) < len(distance):
            # Half the rows are dead: drop them, so each merge's updates get shorter.
            place = np.cumsum(alive) - 1
            distance = distance[np.ix_(alive, alive)]
            sizes, items = sizes[alive], items[alive]
            chain = [int(place[c]) for c in chain]
            alive = np.ones(len(distance), dtype=bool)
    return merges


# Below this many rows the matrix is not compacted (copying costs more than it saves).
_COMPACT_FROM = 256
