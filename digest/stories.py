"""Stories: the same event from several outlets (and copies of one text) as one entry.

Two kinds of evidence join articles:

- Near-duplicates (syndicated wire copy, lightly edited versions): 5-word
  shingle Jaccard of at least `NEAR_DUPLICATE_JACCARD`, found with MinHash
  LSH (datasketch) and checked exactly. They always merge.
- Same event: TF-IDF cosine of title and opening text of at least
  `similarity`, published within `window_hours` of each other. Candidate
  pairs come from an inverted index over each article's most distinctive
  terms, so no day is compared all-pairs. Pairs merge strongest first, and
  two groups merge only while their centroids stay that similar, so one
  loose link cannot chain two events together.

Cost is near-linear in the number of articles: MinHash per article, LSH
buckets, and candidate lists capped per term.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digest.dedup import normalized_words
from digest.models import Article

NEAR_DUPLICATE_JACCARD = 0.5
SHINGLE_WORDS = 5
NUM_PERM = 128
# Words of an article's opening that describe its event (the rest drifts into background).
OPENING_WORDS = 250
TITLE_WEIGHT = 4
# Each article is indexed under its most distinctive terms; a term shared by
# more than MAX_POSTINGS articles is too common to propose pairs.
INDEX_TERMS = 12
# How fast the similarity needed rises with time beyond the window (per doubling).
TIME_PENALTY = 0.25
MAX_POSTINGS = 200
_TOKEN = re.compile(r"(?u)\b[^\W\d_][^\W_]+\b")


@dataclass(frozen=True)
class Story:
    """One event: its articles (the representative first) and which of them are copies."""

    id: str
    article_ids: tuple[str, ...]
    near_duplicates: tuple[str, ...] = ()

    @property
    def representative(self) -> str:
        return self.article_ids[0]


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """Return the article's word `size`-grams (casefolded, punctuation dropped), hashed."""
    words = normalized_words(text).split()
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {hashlib.blake2b(" ".join(words[i:i + size]).encode(), digest_size=8).digest()
            for i in range(len(words) - size + 1)}


def near_duplicate_pairs(
    articles: Sequence[Article], threshold: float = NEAR_DUPLICATE_JACCARD
) -> list[tuple[int, int, float]]:
    """Return (i, j, jaccard) for article pairs whose texts are near-copies."""
    from datasketch import MinHash, MinHashLSH

    sets = [shingles(f"{a.title}\n{a.body}") for a in articles]
    hashes = MinHash.bulk([sorted(s) for s in sets], num_perm=NUM_PERM)
    # A slightly lower LSH threshold: candidates are checked exactly anyway.
    lsh = MinHashLSH(threshold=max(threshold - 0.15, 0.1), num_perm=NUM_PERM)
    pairs = []
    for index, minhash in enumerate(hashes):
        if not sets[index]:
            continue
        for other in lsh.query(minhash):
            jaccard = len(sets[index] & sets[other]) / len(sets[index] | sets[other])
            if jaccard >= threshold:
                pairs.append((min(index, other), max(index, other), jaccard))
        lsh.insert(index, minhash)
    return sorted(pairs)


def group_stories(
    articles: Sequence[Article], similarity: float = 0.15, window_hours: float = 72.0,
    language: str = "auto",
) -> list[Story]:
    """Group `articles` into stories; every article is in exactly one. Deterministic."""
    if not articles:
        return []
    ordered = sorted(articles, key=lambda a: a.id)
    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    copies: set[int] = set()
    for i, j, _ in near_duplicate_pairs(ordered):
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
        copies.update((i, j))

    vectors = _vectors(ordered, language)
    times = [_timestamp(a) for a in ordered]
    centroid: dict[int, dict[int, float]] = {}
    moments: dict[int, list[float]] = {}
    for index in range(len(ordered)):
        top = root(index)
        centroid[top] = _add(centroid.get(top, {}), vectors[index])
        if times[index] is not None:
            moments.setdefault(top, []).append(times[index])  # type: ignore[arg-type]
    required = _TimeScaledThreshold(similarity, window_hours * 3600.0)
    for _, i, j in _event_pairs(vectors, times, required):
        a, b = root(i), root(j)
        if a == b:
            continue
        gap = _gap(moments.get(a), moments.get(b))
        if _cosine(centroid[a], centroid[b]) < required(gap):
            continue
        keep, gone = min(a, b), max(a, b)
        parent[gone] = keep
        centroid[keep] = _add(centroid[keep], centroid.pop(gone))
        moments.setdefault(keep, []).extend(moments.pop(gone, []))

    members: dict[int, list[int]] = defaultdict(list)
    for index in range(len(ordered)):
        members[root(index)].append(index)
    stories = []
    for group in members.values():
        chosen = sorted(group, key=lambda i: _representative_order(ordered[i]))
        ids = tuple(ordered[i].id for i in chosen)
        stories.append(Story(id=_story_id(ids), article_ids=ids,
                             near_duplicates=tuple(ordered[i].id for i in chosen[1:]
                                                   if i in copies)))
    stories.sort(key=lambda s: (-len(s.article_ids), s.id))
    return stories


def _representative_order(article: Article) -> tuple[int, datetime, str]:
    # The most complete text first, then the earliest, then a stable tie-break.
    return (-len(article.body.split()), article.published, article.id)


def _story_id(ids: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(sorted(ids)).encode()).hexdigest()[:16]


def _vectors(articles: Sequence[Article], language: str) -> list[dict[int, float]]:
    """Return each article's unit TF-IDF vector (sparse dict) over title and opening."""
    from digest.themes import stop_words_for

    stop = set(stop_words_for(articles, language))
    bags: list[dict[str, int]] = []
    for article in articles:
        opening = " ".join(article.body.split()[:OPENING_WORDS])
        bag: dict[str, int] = defaultdict(int)
        for token in _TOKEN.findall(f"{article.title} " * TITLE_WEIGHT + opening):
            word = token.casefold()
            if word not in stop:
                bag[word] += 1
        bags.append(bag)
    frequency: dict[str, int] = defaultdict(int)
    for bag in bags:
        for word in bag:
            frequency[word] += 1
    count = len(articles)
    vocabulary = {w: n for n, w in enumerate(sorted(frequency))}
    vectors = []
    for bag in bags:
        weights = {vocabulary[w]: (1.0 + math.log(n)) * (math.log((1 + count) /
                                                                  (1 + frequency[w])) + 1.0)
                   for w, n in bag.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        vectors.append({k: v / norm for k, v in weights.items()})
    return vectors


class _TimeScaledThreshold:
    """The similarity two articles (or stories) need, growing with the time between them.

    Within `window` seconds it is `similarity`; beyond, it rises by
    `TIME_PENALTY` times the doublings of the excess (log2), so follow-up
    coverage a week later still joins when it is clearly the same story,
    while a similar event months later does not.
    """

    def __init__(self, similarity: float, window: float) -> None:
        self.similarity = similarity
        self.window = max(window, 1.0)

    def __call__(self, gap: float | None) -> float:
        if gap is None or gap <= self.window:
            return self.similarity
        return self.similarity * (1.0 + TIME_PENALTY * math.log2(gap / self.window))


def _timestamp(article: Article) -> float | None:
    return None if "undated" in article.flags else article.published.timestamp()


def _gap(a: list[float] | None, b: list[float] | None) -> float | None:
    """Seconds between the middle moments of two groups (None when either is undated)."""
    if not a or not b:
        return None
    return abs(sorted(a)[len(a) // 2] - sorted(b)[len(b) // 2])


def _event_pairs(
    vectors: Sequence[dict[int, float]], times: Sequence[float | None],
    required: _TimeScaledThreshold,
) -> list[tuple[float, int, int]]:
    """Return (-cosine, i, j) for same-event candidate pairs, strongest first."""
    postings: dict[int, list[int]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        for term, _ in sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:INDEX_TERMS]:
            postings[term].append(index)
    seen: set[tuple[int, int]] = set()
    pairs = []
    for members in postings.values():
        if len(members) < 2 or len(members) > MAX_POSTINGS:
            continue
        for n, i in enumerate(members):
            for j in members[n + 1:]:
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                ti, tj = times[i], times[j]
                gap = abs(ti - tj) if ti is not None and tj is not None else None
                cosine = _cosine(vectors[i], vectors[j])
                if cosine >= required(gap):
                    pairs.append((-cosine, i, j))
    pairs.sort()
    return pairs


def _add(a: dict[int, float], b: dict[int, float]) -> dict[int, float]:
    total = dict(a)
    for key, value in b.items():
        total[key] = total.get(key, 0.0) + value
    return total


def _cosine(a: dict[int, float], b: dict[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    if not dot:
        return 0.0
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return float(dot / norm) if norm else 0.0

