"""Stories: the same event from several outlets (and copies of one text) as one entry.

Two kinds of evidence join articles:

- Near-duplicates (syndicated wire copy, lightly edited versions): 5-word
  shingle Jaccard of at least `NEAR_DUPLICATE_JACCARD`, found with MinHash
  LSH (banded signatures) and checked exactly. They merge when their
  headlines agree as same-event reports' must (`HEADLINE_AGREEMENT`, below):
  a copy tells what its headline says, even a rewritten one, while one
  boilerplate body under unrelated headlines (a paywall's notice, a feed's
  stub) does not.
- Same event: the cosine of the two leads (headline and first paragraphs),
  each word weighted by its rarity in the language at large
  (`digest.text.rarity`, wordfreq), of at least `similarity`, with at least two
  specific words (names, places, figures) in common, and headlines that
  agree (`HEADLINE_AGREEMENT`). Every pair of one outlet's articles needs
  `SAME_SOURCE_FACTOR` times the bar: an outlet's second article on a saga
  is its next step, not the same event. Published within `window_hours` of
  each other that is enough; further apart, the bar rises toward certainty
  with the log of the gap. Time never separates articles on its own:
  undated articles, and articles with one timestamp, are judged on their
  words alone. Candidate pairs come from an inverted index over each article's
  most distinctive terms, so no day is compared all-pairs. Pairs merge
  strongest first, and two groups merge only while the mean similarity over
  all their pairs of articles clears the bar, so one loose link cannot chain
  two events together. A second pass lets a lone article join a story of
  several reports at a lower bar.

Candidates come from MinHash signatures in LSH bands (each article paired
with at most `BUCKET_WINDOW` others of a band's bucket) and per-term lists
capped at `MAX_POSTINGS`, so the work grows with the articles, not their pairs.
"""

from __future__ import annotations

import gc
import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from itertools import chain, repeat
from sys import intern
from typing import Any

from digest.config import StoriesConfig
from digest.models import Article
from digest.text.keys import words_of
from digest.text.language import AUTO
from digest.text.rarity import Rarity

NEAR_DUPLICATE_JACCARD = 0.5
SHINGLE_WORDS = 5
# MinHash: 42 bands of 3 values (126 permutations). A pair at Jaccard J shares
# a band with probability 1 - (1 - J^3)^42: 0.996 at the 0.5 that makes a
# near-copy, 0.29 at 0.2 (those candidates are checked exactly and dropped).
BANDS = 42
BAND_ROWS = 3
NUM_PERM = BANDS * BAND_ROWS
# Before the exact check, a candidate's signatures must agree on this share of
# their values (the MinHash estimate of its Jaccard; a pair at Jaccard J agrees
# on a binomial count of the 126 values, with mean 126 J). The prefilter may
# lose no more near-copies than the banding already does, 0.37 % of pairs at
# the 0.5 of a near-copy (above): 48 of 126 values (0.381) is the highest bar
# a pair at 0.5 falls below as rarely (0.28 %; at 0.6, one in 4 million).
# Pairs at 1/3 (a text against a copy of half of it) share a band 80 % of the
# time, and each that passes costs an exact check; 80 % of such pairs agree on
# 0.3 of their values, 15 % on 0.381 (before the banding; bench/README.md,
# "less pairing on big days", counts both bars on a big day).
PREFILTER_AGREEMENT = 0.38
# A band's bucket of many articles (one wire story in hundreds of feeds, each
# with its own dateline) would give all its pairs, quadratic in the family:
# 3,000 copies took 43 s and 4.3 GiB to pair. Each article is paired with at
# most the BUCKET_WINDOW next in its bucket, in article order (a sorted
# neighbourhood, as in Hernandez and Stolfo's merge/purge, 1995): a family of
# copies still links up, pair by pair, at most BUCKET_WINDOW pairs per article
# and band. Buckets on the BBC day hold at most 3 articles, and at most 49 on
# bench/quality_scaling.py's 50,000 (bench/README.md, "Copies of one text").
BUCKET_WINDOW = 32
# The lead: news puts who, what, where and when in the headline and the first
# paragraph or two; later paragraphs drift into background shared by the
# whole saga (earlier steps, the same people), which is what merged topics.
# 100 words is about two paragraphs of a wire report.
OPENING_WORDS = 100
TITLE_WEIGHT = 2
# Each article is indexed under its most distinctive terms; a term shared by
# more than MAX_POSTINGS articles is too common to propose pairs.
INDEX_TERMS = 12
# How fast the similarity needed rises with time beyond the window (per doubling).
TIME_PENALTY = 0.05
# Candidate pairs scored at once: each holds both articles' lead rows (about 70
# terms each), so this bounds the memory of scoring to some 100 MB.
PAIR_CHUNK = 50_000
# Evidence of one event is specific detail: at least MIN_SHARED_WORDS words
# of rarity SPECIFIC_WEIGHT or more (wordfreq zipf 5 or less, rarer than 1 in
# 10,000 words: names, places, organisations, figures, uncommon nouns) must
# appear in both leads. One word in common ("Apple", "storm") is a topic.
MIN_SHARED_WORDS = 2
SPECIFIC_WEIGHT = 2.0
# Headlines that agree: a merge needs a pair of articles each of whose
# headline's telling words (rarity HEADLINE_MIN_WEIGHT or more, so not "the"
# or "and") are, by weight, at least HEADLINE_AGREEMENT in the other's
# headline or lead. Measured 0 / 0.25 / 0.3 / 0.45 (bench/README.md).
HEADLINE_AGREEMENT = 0.3
HEADLINE_MIN_WEIGHT = 1.0
# Headline words match on their first five letters: truncation is a crude
# stemmer that needs nothing per language ("removes", "removed", "removal").
MATCH_PREFIX = 5
# A figure ("4.75", "539", "6bn") weighs as a rare word (zipf 3).
FIGURE_WEIGHT = 4.0
# One outlet covers one event once (an update is a near-copy, merged anyway):
# its second article on a saga is the saga's next step (a hearing after a
# filing, the final after the semi-final). Every pair of one outlet's
# articles in a story must clear this many times the usual bar: 0.60 with
# the default 0.12, so most of their weighted lead words agree, as in an
# updated report. bench/README.md ("Judgement") shows 3, 4 and 5.
SAME_SOURCE_FACTOR = 5.0
# A lone article may join a story already reported by several articles
# (MIN_CORROBORATED or more) at this fraction of the usual bar: the story's
# many reports say more about the event than one pair does. Set on the
# news-event set (F1 0.936 -> 0.958 at unchanged precision; bench/README.md).
ORPHAN_FACTOR = 0.7
MIN_CORROBORATED = 3
# Terms kept in a group's summed vector (its heaviest): caps each check's cost.
SUM_TERMS = 400
MAX_POSTINGS = 200
# Candidate partners kept per article (its best by the index terms they share).
# On the 2,225-article BBC day the median article has 83 candidates and 40 %
# have more than 100; keeping 100 left every story and every judgement
# figure of bench/judgement.py unchanged (bench/README.md, "Scaling").
MAX_CANDIDATES = 100
# Articles whose candidates are scored at once (bounds the memory that takes).
CANDIDATE_BLOCK = 2000
# Words of two or more letters, and figures with their decimals ("4.75", "6bn").
_TOKEN = re.compile(r"(?u)\b(?:[^\W\d_][^\W_]+|\d[\d.,]*\d(?:bn|m|k)?|\d(?:bn|m|k)?)\b")


@dataclass(frozen=True)
class Story:
    """One event: its articles (the representative first) and which of them are copies."""

    id: str
    article_ids: tuple[str, ...]
    near_duplicates: tuple[str, ...] = ()

    @property
    def representative(self) -> str:
        return self.article_ids[0]


def shingles(text: str, size: int = SHINGLE_WORDS) -> Any:
    """Return the article's word `size`-grams (casefolded, punctuation dropped), hashed.

    A sorted array of distinct 64-bit hashes. Each word is hashed once
    (blake2b, so the same on every run), and a gram's hash is a polynomial of
    its words' hashes, computed for all grams at once.
    """
    import numpy as np

    words = words_of(text)
    if not words:
        return np.zeros(0, dtype=np.uint64)
    codes = np.fromiter(map(_WORD_HASHES.__getitem__, words), dtype=np.uint64,
                        count=len(words))
    size = min(size, len(words))  # a text shorter than a gram is one gram
    count = len(words) - size + 1
    grams = np.zeros(count, dtype=np.uint64)
    for offset in range(size):
        grams = grams * np.uint64(_BASE) + codes[offset:offset + count]  # wraps mod 2**64
    grams.sort()
    return grams[_firsts(grams, np)]


_BASE = 1_000_003  # the multiplier of the gram hash: odd, so no word's bits are lost


class _WordHashes(dict[str, int]):
    """Each word's 64-bit hash, computed when the word is first looked up."""

    def __missing__(self, word: str) -> int:
        found = self[word] = int.from_bytes(
            hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        return found


_WORD_HASHES = _WordHashes()


def near_duplicate_pairs(
    articles: Sequence[Article], threshold: float = NEAR_DUPLICATE_JACCARD,
    features: Sequence[Lead | _Copy] | None = None,
) -> list[tuple[int, int, float]]:
    """Return (i, j, jaccard), i < j, for article pairs whose texts are near-copies.

    Candidates are articles whose MinHash signatures agree on a whole band of
    `BAND_ROWS` values (LSH banding, found for all articles at once by
    sorting each band's keys; in a band's bucket of more than `BUCKET_WINDOW`
    + 1 articles each is paired with the next `BUCKET_WINDOW` only, so a big
    family of copies comes back as pairs that link it, not as every pair of
    it); a candidate whose signatures agree on fewer
    than `PREFILTER_AGREEMENT` of their values is dropped unchecked, and the
    rest are checked exactly. `features`, when given, are the articles' own
    (`lead_of`), computed already.
    """
    import numpy as np

    if features is None:
        features = [_copy_features(a) for a in articles]
    assert len(features) == len(articles)
    left, right = _copy_candidates(features)
    rows = _GramRows([f.grams for f in features], np.concatenate([left, right]), np)
    jaccard = rows.jaccards(left, right)
    near = jaccard >= threshold
    return sorted(zip(left[near].tolist(), right[near].tolist(), jaccard[near].tolist(),
                      strict=True))


def _copy_candidates(features: Sequence[Lead | _Copy]) -> tuple[Any, Any]:
    """Candidate near-copy pairs (i < j, ascending) for `near_duplicate_pairs` to check."""
    import numpy as np

    present = np.array([i for i, f in enumerate(features) if len(f.grams)], dtype=np.int64)
    if len(present) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    signatures = np.stack([features[i].signature for i in present])  # 32-bit values
    wide = signatures.astype(np.uint64)  # for the band keys' arithmetic
    codes = [_band_pairs(wide[:, band * BAND_ROWS:(band + 1) * BAND_ROWS], np)
             for band in range(BANDS)]
    del wide
    count = len(present)
    pairs = _unique(np.concatenate(codes), np) if codes else np.zeros(0, dtype=np.int64)
    left, right = pairs // count, pairs % count
    agreement = np.concatenate([
        (signatures[left[s:s + PAIR_CHUNK]] == signatures[right[s:s + PAIR_CHUNK]]).mean(axis=1)
        for s in range(0, len(pairs), PAIR_CHUNK)] or [np.zeros(0)])
    keep = agreement >= PREFILTER_AGREEMENT
    return present[left[keep]], present[right[keep]]


class _GramRows:
    """Some articles' gram sets, ready for exact Jaccard checks of many pairs at once.

    Each article's grams are a row of a sparse 0/1 matrix whose columns are
    the gram hashes themselves (less their lowest bit, to fit a signed
    index), and a pair's shared grams are the nonzeros of the product of its
    two rows, merged in C. Dropping the bit makes two grams' hashes agree by
    chance twice as often as before, still about once in 10**14 pairs of
    articles; an article with two grams equal but for it (as rare) makes
    every check go gram by gram.
    """

    def __init__(self, grams: Sequence[Any], articles: Any, np: Any) -> None:
        from scipy.sparse import csr_matrix

        self.grams, self.np = grams, np
        used = np.unique(articles)
        self.row = np.full(len(grams), -1, dtype=np.int64)
        self.row[used] = np.arange(len(used))
        rows = [grams[i] for i in used]
        self.sizes = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        columns = np.concatenate(rows or [np.zeros(0, dtype=np.uint64)])
        columns >>= np.uint64(1)
        columns = columns.view(np.int64)  # below 2**63 now: the same values
        starts = np.concatenate(([0], np.cumsum(self.sizes)))
        # Two neighbours equal within a row (each row ascending); a row's first
        # column has no predecessor in the row.
        equal = columns[1:] == columns[:-1]
        equal[starts[1:-1] - 1] = False
        self.matrix = None
        if not equal.any():
            self.matrix = csr_matrix((np.ones(len(columns), dtype=np.int8), columns, starts),
                                     shape=(len(used), 2**63 - 1))

    def jaccards(self, left: Any, right: Any) -> Any:
        """The Jaccard similarity of each pair (left[k], right[k]) of the articles given."""
        np, grams, matrix, sizes = self.np, self.grams, self.matrix, self.sizes
        if matrix is None:
            return np.array([_jaccard(grams[a], grams[b], np)
                             for a, b in zip(left.tolist(), right.tolist(), strict=True)])
        a_all, b_all = self.row[left], self.row[right]
        out = np.empty(len(left))
        for start in range(0, len(left), _GRAM_PAIRS):
            a, b = a_all[start:start + _GRAM_PAIRS], b_all[start:start + _GRAM_PAIRS]
            shared = np.diff(matrix[a].multiply(matrix[b]).tocsr().indptr)
            out[start:start + _GRAM_PAIRS] = shared / (sizes[a] + sizes[b] - shared)
        return out


def _jaccard(x: Any, y: Any, np: Any) -> float:
    shared = len(np.intersect1d(x, y, assume_unique=True))
    return float(shared / (len(x) + len(y) - shared))


# Pairs whose gram rows are multiplied at once (two rows of some 400 grams
# each: about 30 MB), and near-copy candidates checked before the pairs
# merged by then are dropped.
_GRAM_PAIRS = 4096


def _unique(values: Any, np: Any) -> Any:
    """np.unique of a big integer array, by sorting (numpy 2.4's hashing unique is 30x slower)."""
    values = np.sort(values)
    return values[_firsts(values, np)]


def _firsts(ordered: Any, np: Any) -> Any:
    """Whether each value of the sorted array `ordered` is the first of its run of equals."""
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


def _band_pairs(band: Any, np: Any) -> Any:
    """Return pair codes (i * n + j, i < j) of rows of `band` whose values are all equal.

    Rows with equal values (a bucket) pair with each other, in row order,
    each with the next `BUCKET_WINDOW` of its bucket at most.
    """
    count = len(band)
    keys = np.zeros(count, dtype=np.uint64)
    for column in range(band.shape[1]):  # a hash of the band's values: equal rows, equal keys
        keys = (keys ^ band[:, column]) * np.uint64(0x100000001B3)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.flatnonzero(_firsts(ordered, np))
    sizes = np.diff(np.append(starts, count))
    shared = sizes >= 2
    firsts, seconds = _run_pairs(starts[shared], sizes[shared], np, BUCKET_WINDOW)
    a, b = order[firsts], order[seconds]
    found = np.minimum(a, b) * count + np.maximum(a, b)
    # A key shared by accident (a hash collision) only adds candidates: keep
    # the pairs whose band values are truly equal.
    return found[(band[found // count] == band[found % count]).all(axis=1)]


def _signature(grams: Any) -> Any:
    """Return the MinHash signature of hashed shingles: NUM_PERM 32-bit minima.

    Each permutation is a multiply-shift hash, (a * h + b) >> 32 on 64 bits
    with odd a (Dietzfelbinger et al. 1997), which needs no modulo.
    """
    import numpy as np

    a, b = _permutations()
    # One row per permutation (in place from here: NUM_PERM x len(grams)), so
    # each minimum runs along a row in memory.
    permuted = np.multiply.outer(a, grams)
    permuted += b[:, None]
    # The top 32 bits (half the memory). Shifting keeps the order, so the
    # minimum's top bits are the minimum of the top bits: one shift per value
    # of the signature, not per gram.
    return (permuted.min(axis=1) >> np.uint64(32)).astype(np.uint32)


@cache
def _permutations() -> Any:
    import numpy as np

    generator = np.random.default_rng(1)  # fixed: signatures are the same on every run
    a = generator.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = generator.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
    return a, b


def group_stories(
    articles: Sequence[Article], similarity: float = StoriesConfig.similarity,
    window_hours: float = StoriesConfig.window_hours,
    language: str = "auto", features: Mapping[str, Lead] | None = None,
) -> list[Story]:
    """Group `articles` into stories; every article is in exactly one. Deterministic.

    `features` maps article ids to what `leads_of` found of each (computed
    elsewhere, e.g. in batches on other cores); the rest are computed here.
    """
    if not articles:
        return []
    with gc_paused():
        return _group(articles, similarity, window_hours, language, features or {})


def _group(articles: Sequence[Article], similarity: float, window_hours: float,
           language: str, known: Mapping[str, Lead]) -> list[Story]:
    ordered = sorted(articles, key=lambda a: a.id)
    found = [known.get(a.id) or lead_of(a, language) for a in ordered]
    leads = _Leads.of(found)
    groups = _Groups(ordered, leads.matrix)
    copies = _merge_copies(groups, found, leads)
    required = _TimeScaledThreshold(similarity, window_hours * 3600.0)
    loose = _TimeScaledThreshold(similarity * min(ORPHAN_FACTOR, 1.0), window_hours * 3600.0)
    # Two groups that failed the check fail it again until one of
    # them grows: remember refusals by the groups' sizes.
    refused: set[tuple[int, int, int, int]] = set()
    left, right, strong = _event_pairs(leads, groups.times, loose, required)
    # The group of an article (merges update the array in place).
    root, size = groups.group_of.item, groups.size
    first, second = left[strong], right[strong]
    for start in range(0, len(first), _AHEAD):
        # Pairs already in one group stay so (groups only grow): dropped at once.
        chunk_first, chunk_second = first[start:start + _AHEAD], second[start:start + _AHEAD]
        apart = groups.group_of[chunk_first] != groups.group_of[chunk_second]
        chunk_first, chunk_second = chunk_first[apart], chunk_second[apart]
        lows, highs, dead = groups.compare_ahead(chunk_first, chunk_second, required, refused)
        # A pair whose groups were refused above is refused again, unless one
        # of the two has merged since (`changed`: every group a merge touched).
        changed: set[int] = set()
        for i, j, low, high, refusal in zip(chunk_first.tolist(), chunk_second.tolist(),
                                            lows.tolist(), highs.tolist(), dead.tolist(),
                                            strict=True):
            if refusal and low not in changed and high not in changed:
                continue
            a, b = root(i), root(j)
            if a == b:
                continue
            if a > b:
                a, b = b, a
            key = (a, size[a], b, size[b])
            if key in refused:
                continue
            if groups.same_event(a, b, required, required):
                groups.merge(a, b)
                changed.update((a, b))
            else:
                refused.add(key)
    # Second pass: lone articles may join well-corroborated stories. Groups
    # only grow, so only pairs with a lone article now can qualify.
    if ORPHAN_FACTOR < 1.0 and len(left):
        import numpy as np

        sizes = np.array(size)[groups.group_of]
        lone = (sizes[left] == 1) | (sizes[right] == 1)
        for i, j in zip(left[lone].tolist(), right[lone].tolist(), strict=True):
            a, b = root(i), root(j)
            if a > b:
                a, b = b, a
            if (a != b and min(size[a], size[b]) == 1
                    and max(size[a], size[b]) >= MIN_CORROBORATED
                    and groups.same_event(a, b, loose, required)):
                groups.merge(a, b)
    stories = []
    for group in groups.members().values():
        chosen = (sorted(group, key=lambda i: _representative_order(ordered[i]))
                  if len(group) > 1 else group)
        ids = tuple(ordered[i].id for i in chosen)
        stories.append(Story(id=_story_id(ids), article_ids=ids,
                             near_duplicates=tuple(ordered[i].id for i in chosen[1:]
                                                   if i in copies)))
    stories.sort(key=lambda s: (-len(s.article_ids), s.id))
    return stories


def _merge_copies(groups: _Groups, features: Sequence[Lead], leads: _Leads) -> set[int]:
    """Merge the groups of the pairs `near_duplicate_pairs` finds whose headlines agree
    (`_Leads.agree`); return the articles in them.

    The candidates are checked a chunk at a time, in the order of the pairs,
    and a pair already in one group is not checked: merging it would change
    nothing, and both its articles are in a merged pair checked before.
    So the merges, and their order, are those of merging every near-copy
    pair whose headlines agree, while many copies of one text check about
    one pair per copy.
    """
    import numpy as np

    left, right = _copy_candidates(features)
    # Headlines first: their test weighs a few words a pair where the grams'
    # weighs some 400, and most candidates share paragraphs under another
    # headline (a third to two fifths agree on the synthetic 10k and 50k days;
    # bench/README.md, "the thirteenth session").
    agree = leads.agree(left, right)
    left, right = left[agree], right[agree]
    rows = _GramRows([f.grams for f in features], np.concatenate([left, right]), np)
    root, copies = groups.root, set[int]()
    for start in range(0, len(left), _GRAM_PAIRS):
        i, j = left[start:start + _GRAM_PAIRS], right[start:start + _GRAM_PAIRS]
        apart = groups.group_of[i] != groups.group_of[j]
        i, j = i[apart], j[apart]
        near = rows.jaccards(i, j) >= NEAR_DUPLICATE_JACCARD
        for a, b in zip(i[near].tolist(), j[near].tolist(), strict=True):
            groups.merge(root(a), root(b))
            copies.update((a, b))
    return copies


class _Groups:
    """Articles merged into groups, with what the merge checks need.

    A group is named by its lowest article index; `group_of` holds each
    article's group, and `outlets` each group's members, by outlet.
    """

    def __init__(self, articles: Sequence[Article], matrix: Any) -> None:
        import numpy as np

        self.matrix = matrix  # the articles' lead vectors as rows (`_Leads.matrix`)
        self.group_of = np.arange(len(articles))
        self.size = [1] * len(articles)
        self.times = [_timestamp(a) for a in articles]
        self.centroids = _Centroids()
        self.moments: dict[int, list[float]] = {}
        self.middles: dict[int, float | None] = {}  # of `moments`, once per group size
        self.cosines: dict[tuple[int, int], float] = {}  # article pairs', once checked
        # For two groups refused for one outlet's pair of articles: that pair.
        self.blockers: dict[tuple[int, int], tuple[int, int]] = {}
        # The dot product of two groups' sums, found ahead, with each group's
        # merge count then: it stands while neither has merged since.
        self.merges = [0] * len(articles)
        self.ahead: dict[tuple[int, int], tuple[float, int, int]] = {}
        # Each group's members by outlet: one outlet's articles are checked pair by pair.
        self.outlets: dict[int, dict[str, list[int]]] = {}
        self.centroids.add_rows(matrix)
        for index, article in enumerate(articles):
            moment = self.times[index]
            if moment is not None:
                self.moments[index] = [moment]
            self.outlets[index] = {article.source: [index]}

    def root(self, i: int) -> int:
        """The group of article `i`."""
        group: int = self.group_of.item(i)
        return group

    def merge(self, a: int, b: int) -> None:
        """Merge group `b` into `a` (both groups; the smaller index names the merged one)."""
        if a == b:
            return
        a, b = min(a, b), max(a, b)
        self.size[a] += self.size[b]
        self.merges[a] += 1
        self.centroids.merge(a, b)
        self.moments.setdefault(a, []).extend(self.moments.pop(b, []))
        self.middles.pop(a, None)
        mine, theirs = self.outlets[a], self.outlets.pop(b)
        for outlet, members in theirs.items():
            mine.setdefault(outlet, []).extend(members)
        self.group_of[list(chain.from_iterable(theirs.values()))] = a

    def same_event(
        self, a: int, b: int, bar: _TimeScaledThreshold, strict: _TimeScaledThreshold,
    ) -> bool:
        """Whether groups `a` and `b` report one event, by `bar` at the gap between them.

        Over all pairs, the mean similarity must clear `bar` (so one loose
        link cannot chain two events). Two articles of one outlet must each
        clear `SAME_SOURCE_FACTOR` times the `strict` bar: an outlet covers an
        event once, and its second article on a saga is the saga's next step.
        """
        gap = self._gap(a, b)
        ahead = self.ahead.pop((a, b), None)  # used once: a pair refused is not asked again
        if self._blocked(a, b, strict):
            return False
        if ahead is not None and ahead[1] == self.merges[a] and ahead[2] == self.merges[b]:
            sums = ahead[0]
        else:
            sums = self.centroids.dot(a, b)
        if sums / (self.size[a] * self.size[b]) < bar(gap):
            return False
        needed = strict(gap) * SAME_SOURCE_FACTOR
        ours, theirs = self.outlets[a], self.outlets[b]
        # Groups whose outlets differ have no such pair (most do: found from the fewer outlets).
        fewer, more = (ours, theirs) if len(ours) <= len(theirs) else (theirs, ours)
        if not any(outlet in more for outlet in fewer):
            return True
        blocker = self._failing([(x, y) for outlet, mine in ours.items() if outlet in theirs
                                 for x in mine for y in theirs[outlet]], needed)
        if blocker is None:
            return True
        self.blockers[a, b] = blocker
        return False

    def _blocked(self, a: int, b: int, strict: _TimeScaledThreshold) -> bool:
        """Whether groups `a` and `b` were refused for a pair of one outlet's articles that
        still fails `strict` times SAME_SOURCE_FACTOR at their gap.

        An article never leaves its group, so while `a` and `b` are groups,
        the pair is across them, and `same_event` would refuse them again.
        """
        blocker = self.blockers.get((a, b))
        return (blocker is not None
                and self.cosines[blocker] < strict(self._gap(a, b)) * SAME_SOURCE_FACTOR)

    def _failing(self, pairs: list[tuple[int, int]], needed: float) -> tuple[int, int] | None:
        """A pair of articles whose similarity is below `needed`, or None when all clear it."""
        # Groups that failed grow and are checked again: their articles' pairs
        # were mostly seen, and a pair's similarity never changes.
        known = self.cosines
        missing = []
        for pair in pairs:
            dot = known.get(pair)
            if dot is None:
                missing.append(pair)
            elif dot < needed:
                return pair
        if len(missing) > _MANY_PAIRS:  # many at once
            import numpy as np

            left, right = (np.fromiter(side, dtype=np.int64, count=len(missing))
                           for side in zip(*missing, strict=True))
            dots = np.asarray(self.matrix[left].multiply(self.matrix[right]).sum(axis=1)).ravel()
            known.update(zip(missing, dots.tolist(), strict=True))
            below = np.flatnonzero(dots < needed)
            return missing[below[0]] if len(below) else None
        for pair in missing:
            dot = known[pair] = _row_dot(self.matrix, *pair)
            if dot < needed:
                return pair
        return None

    def compare_ahead(self, left: Any, right: Any, bar: _TimeScaledThreshold,
                      refused: set[tuple[int, int, int, int]]) -> tuple[Any, Any, Any]:
        """Find at once the sums' dot products of the groups of article pairs to come.

        Most group pairs are compared once and refused, so comparing them in
        one sparse step costs a fraction of comparing them one by one. A pair
        whose mean similarity is below `bar` is refused here, at the groups'
        present sizes, as `same_event` would refuse it: groups only grow, so
        the same sizes are the same groups. So is a pair refused before for
        one outlet's pair of articles that still fails `bar` times
        SAME_SOURCE_FACTOR (the main pass's `same_event` checks both by one bar).

        The article pairs must be in different groups. Returns, for each, its
        two groups now (the lower first) and whether that group pair is
        refused at their present sizes.
        """
        import numpy as np

        count = len(self.size)
        a, b = self.group_of[left], self.group_of[right]
        low, high = np.minimum(a, b), np.maximum(a, b)
        codes = low * count + high
        order = np.argsort(codes, kind="stable")
        first = _firsts(codes[order], np)
        which = np.empty(len(codes), dtype=np.int64)  # each pair's place among the distinct
        which[order] = np.cumsum(first) - 1
        size, merges, ahead = self.size, self.merges, self.ahead
        distinct = codes[order][first].tolist()
        refusals = [False] * len(distinct)
        todo = []
        for place, code in enumerate(distinct):
            x, y = divmod(code, count)
            if (x, size[x], y, size[y]) in refused:
                refusals[place] = True
                continue
            if self._blocked(x, y, bar):  # as `same_event` would refuse them, at once
                refused.add((x, size[x], y, size[y]))
                refusals[place] = True
                continue
            found = ahead.get((x, y))
            if found is None or found[1] != merges[x] or found[2] != merges[y]:
                todo.append((place, x, y))
        pairs = [(x, y) for _, x, y in todo]
        for (place, x, y), dot in zip(todo, self.centroids.dots(pairs), strict=True):
            if dot / (size[x] * size[y]) < bar(self._gap(x, y)):
                refused.add((x, size[x], y, size[y]))
                refusals[place] = True
            else:
                ahead[x, y] = (dot, merges[x], merges[y])
        return low, high, np.array(refusals, dtype=bool)[which]

    def _gap(self, a: int, b: int) -> float | None:
        """Seconds between the middle moments of two groups (None when either is undated)."""
        middle_a, middle_b = self._middle(a), self._middle(b)
        return None if middle_a is None or middle_b is None else abs(middle_a - middle_b)

    def _middle(self, group: int) -> float | None:
        """The group's middle moment (the upper median), kept until the group grows."""
        if group not in self.middles:
            moments = self.moments.get(group)
            self.middles[group] = sorted(moments)[len(moments) // 2] if moments else None
        return self.middles[group]

    def members(self) -> dict[int, list[int]]:
        groups: dict[int, list[int]] = defaultdict(list)
        for index, group in enumerate(self.group_of.tolist()):
            groups[group].append(index)
        return groups


def _representative_order(article: Article) -> tuple[int, datetime, str]:
    # The most complete text first, then the earliest, then a stable tie-break.
    return (-len(article.body.split()), article.published, article.id)


def _story_id(ids: Sequence[str]) -> str:
    return hashlib.sha256("\0".join(sorted(ids)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Leads:
    """What the grouping knows of each article's headline and lead, words numbered."""

    # The unit vectors, rarity-weighted, as the rows of a sparse matrix (each
    # row's terms ascending; columns: the day's word numbers).
    matrix: Any
    specific: set[int]  # vocabulary ids of specific words (names, places, figures)
    heads: list[dict[str, float]]  # the headline's telling words (truncated) and weights
    words: list[frozenset[str]]  # the telling words (truncated) of headline and lead

    @classmethod
    def of(cls, leads: Sequence[Lead]) -> _Leads:
        """Number the day's words (in article order) and gather the articles' leads."""
        import numpy as np
        from scipy.sparse import csr_matrix

        starts = np.zeros(len(leads) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, (lead.vector for lead in leads)), dtype=np.int64,
                              count=len(leads)), out=starts[1:])
        total = int(starts[-1])
        numbers = _numbering()
        columns = np.fromiter(map(numbers.__getitem__,
                                  chain.from_iterable(lead.vector for lead in leads)),
                              dtype=np.int64, count=total)
        values = np.fromiter(chain.from_iterable(lead.vector.values() for lead in leads),
                             dtype=np.float64, count=total)
        # (A lead's specific words are among its vector's, so numbered already.)
        specific = set(map(numbers.__getitem__,
                           chain.from_iterable(lead.specific for lead in leads)))
        matrix = csr_matrix((values, columns, starts), shape=(len(leads), max(len(numbers), 1)))
        matrix.sort_indices()
        return cls(matrix, specific, [lead.head for lead in leads],
                   [lead.words for lead in leads])

    def agree(self, left: Any, right: Any) -> Any:
        """For article pairs (two index arrays): whether their headlines agree.

        Each headline's telling words, by weight, that the other's headline
        or lead has must be at least HEADLINE_AGREEMENT of its own, since both
        headlines must be about what the other article reports; a headline
        with no telling word at all agrees with any. The second headline is
        checked only for the pairs the first passes.
        """
        import numpy as np

        out = np.zeros(len(left), dtype=bool)
        for start in range(0, len(left), PAIR_CHUNK):
            i, j = left[start:start + PAIR_CHUNK], right[start:start + PAIR_CHUNK]
            passed = np.flatnonzero(self._shares(i, j) >= HEADLINE_AGREEMENT)
            out[start + passed[self._shares(j[passed], i[passed]) >= HEADLINE_AGREEMENT]] = True
        return out

    def _shares(self, i: Any, j: Any) -> Any:
        """The share, by weight, of each headline `i`'s telling words that article `j` has."""
        import numpy as np

        heads, words, totals = self._matrices
        found = np.asarray(heads[i].multiply(words[j]).sum(axis=1)).ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals[i] > 0, found / totals[i], 1.0)

    @cached_property
    def _matrices(self) -> tuple[Any, Any, Any]:
        import numpy as np
        from scipy.sparse import csr_matrix

        sizes = np.fromiter(map(len, self.heads), dtype=np.int64, count=len(self.heads))
        rows = np.repeat(np.arange(len(self.heads), dtype=np.int64), sizes)
        index = _numbering()  # headline words
        columns = np.fromiter(map(index.__getitem__, chain.from_iterable(self.heads)),
                              dtype=np.int64, count=len(rows))
        values = np.fromiter(chain.from_iterable(h.values() for h in self.heads),
                             dtype=np.float64, count=len(rows))
        sizes = np.fromiter(map(len, self.words), dtype=np.int64, count=len(self.words))
        found = np.fromiter(map(index.get, chain.from_iterable(self.words), repeat(-1)),
                            dtype=np.int64, count=int(sizes.sum()))
        known = found >= 0  # only words some headline has matter
        word_rows = np.repeat(np.arange(len(self.words), dtype=np.int64), sizes)[known]
        word_columns = found[known]
        shape = (len(self.heads), max(len(index), 1))
        heads = csr_matrix((values, (rows, columns)), shape=shape)
        words = csr_matrix((np.ones(len(word_rows)), (word_rows, word_columns)), shape=shape)
        totals = np.asarray(heads.sum(axis=1)).ravel()
        return heads, words, totals


def _numbering() -> defaultdict[str, int]:
    """A map that numbers each word it is asked for, in order of first asking: 0, 1, 2...

    One pass in C over the words (`map` of its `__getitem__`) numbers and
    looks them up at once.
    """
    from itertools import count

    return defaultdict(count().__next__)


@dataclass(frozen=True)
class Lead:
    """What story grouping needs of one article, found from it alone (so in any process)."""

    # Rarity-weighted unit vector over the headline (twice) and the lead, by word.
    vector: dict[str, float]
    # Its specific words (names, places, figures).
    specific: frozenset[str]
    # The headline's telling words (truncated to MATCH_PREFIX) and their weights.
    head: dict[str, float]
    # The telling words (truncated) of headline and lead.
    words: frozenset[str]
    # Near-copy evidence over the whole text: hashed word grams and their MinHash.
    grams: Any
    signature: Any


def leads_of(articles: Sequence[Article], language: str = "auto") -> list[Lead]:
    """Return each article's `Lead`, in order (the per-article part of story grouping)."""
    with gc_paused():
        return [lead_of(a, language) for a in articles]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold Python's cycle collector still for a while (reference counting still frees).

    Grouping makes millions of small dicts, tuples and floats and no cycles;
    each collection of the oldest generation walks every object alive, so on
    a big day the collector costs time and finds nothing (bench/README.md).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def lead_of(article: Article, language: str = "auto") -> Lead:
    """Return what story grouping needs of `article`: its lead vector and its near-copy keys.

    A word's weight is its rarity in the language at large (`digest.text.rarity`),
    so a three-article day weighs words as a 3,000-article day does. Figures
    ("4.75%", "539") count as rare words: the same figure in two leads is
    specific evidence of one event. Headline words are compared on their
    first `MATCH_PREFIX` letters ("removes", "removed", "removal" match),
    which needs no stemmer for any language.
    """
    from digest.text.language import resolve

    name = resolve(article, language) if language == AUTO else language
    rarity = _rarity(name)
    opening = " ".join(article.body.split(maxsplit=OPENING_WORDS)[:OPENING_WORDS])
    tokens = _TOKEN.findall(f"{article.title} " * TITLE_WEIGHT + opening)
    # Casefolded, trailing stops dropped, one string per word in all leads: in C, by map.
    bag = Counter(map(intern, map(str.rstrip, map(str.casefold, tokens), repeat(".,"))))
    known = _weights(name)
    rare = {}
    for word in bag:
        weight = known.get(word)
        if weight is None:
            weight = known[word] = _weight(word, rarity)
        rare[word] = weight
    weights = {w: (1.0 + math.log(n)) * rare[w] for w, n in bag.items() if rare[w] > 0}
    norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
    telling = {w for w, weight in rare.items() if weight >= HEADLINE_MIN_WEIGHT}
    head: dict[str, float] = {}
    for word in {t.casefold().rstrip(".,") for t in _TOKEN.findall(article.title)} & telling:
        # Words sharing a prefix ("shoot", "shooting") weigh as the most telling
        # of them, whatever order the set gives them in.
        prefix = intern(word[:MATCH_PREFIX])
        head[prefix] = max(head.get(prefix, 0.0), rare[word])
    head = dict(sorted(head.items()))  # and in one order on every run
    copy = _copy_features(article)
    return Lead(vector={w: v / norm for w, v in weights.items()},
                specific=frozenset(w for w in weights if rare[w] >= SPECIFIC_WEIGHT),
                head=head,
                words=frozenset(intern(w[:MATCH_PREFIX]) for w in telling),
                grams=copy.grams, signature=copy.signature)


@dataclass(frozen=True)
class _Copy:
    grams: Any
    signature: Any


def _copy_features(article: Article) -> _Copy:
    grams = shingles(f"{article.title}\n{article.body}")
    return _Copy(grams, _signature(grams) if len(grams) else grams)


@cache
def _rarity(language: str) -> Rarity:
    return Rarity(language)


@cache
def _weights(language: str) -> dict[str, float]:
    return {}  # token -> _weight, per language


def _weight(word: str, rarity: Rarity) -> float:
    if word[0].isdigit():
        return FIGURE_WEIGHT if len(word) > 1 else 0.0
    return rarity(word)


class _TimeScaledThreshold:
    """The similarity two articles (or stories) need, growing with the time between them.

    Within `window` seconds it is `similarity`. Beyond, the distance left to
    certainty (1 - similarity) shrinks by 1 / (1 + TIME_PENALTY * doublings
    of the excess): with the defaults 0.16 at six days, 0.22 at 18 days, 0.33
    at 200 days and 0.37 at two years, so coverage spread over a week still
    joins when it is clearly the same story, while a loosely similar event
    months later does not.
    Undated articles, and articles with one timestamp, get the base bar: time
    never separates them, their words must.
    """

    def __init__(self, similarity: float, window: float) -> None:
        self.similarity = similarity
        self.window = max(window, 1.0)

    def many(self, gaps: Any) -> Any:
        """The threshold for an array of gaps in seconds (NaN: undated)."""
        import numpy as np

        gaps = np.where(np.isnan(gaps), 0.0, gaps)
        excess = np.maximum(gaps, self.window) / self.window
        return 1.0 - (1.0 - self.similarity) / (1.0 + TIME_PENALTY * np.log2(excess))

    def __call__(self, gap: float | None) -> float:
        if gap is None or gap <= self.window:
            return self.similarity
        doublings = math.log2(gap / self.window)
        return 1.0 - (1.0 - self.similarity) / (1.0 + TIME_PENALTY * doublings)


def _timestamp(article: Article) -> float | None:
    return None if "undated" in article.flags else article.published.timestamp()


# Pairs to come whose groups are compared at once (their sums, in one sparse step).
_AHEAD = 2048
# Above this many article pairs to compare, two groups are compared in one sparse step.
_MANY_PAIRS = 32


def _event_pairs(
    leads: _Leads, times: Sequence[float | None],
    loose: _TimeScaledThreshold, required: _TimeScaledThreshold,
) -> tuple[Any, Any, Any]:
    """Return candidate pairs (i < j) that pass `loose` and agree in headline, strongest first.

    Three arrays: the pairs' first and second articles, and whether each pair
    also passes `required` (the first pass's bar).
    """
    import numpy as np

    matrix, specific = leads.matrix, leads.specific
    codes = _candidates(matrix, np)
    if not len(codes):
        return codes, codes, np.zeros(0, dtype=bool)
    count = matrix.shape[0]
    left, right = codes // count, codes % count
    # Headlines first: their test is the cheaper (a few words a headline
    # against a lead's sixty) and passes the fewer pairs (12 % of the 10k
    # synthetic day's candidates, against 47 % for the cosine; bench/README.md).
    agree = leads.agree(left, right)
    left, right = left[agree], right[agree]
    if not len(left):
        return left, right, np.zeros(0, dtype=bool)
    mask = np.zeros(matrix.shape[1], dtype=bool)
    mask[sorted(specific)] = True
    moments = np.array([np.nan if t is None else t for t in times], dtype=np.float64)
    kept_left, kept_right, kept_cosine, kept_strong = [], [], [], []
    for start in range(0, len(left), PAIR_CHUNK):
        i, j = left[start:start + PAIR_CHUNK], right[start:start + PAIR_CHUNK]
        both = matrix[i].multiply(matrix[j])
        cosine = np.asarray(both.sum(axis=1)).ravel()
        both = both.tocsr()
        # Rare words (names, places, figures) the two have in common.
        shared = np.bincount(np.repeat(np.arange(len(i)), np.diff(both.indptr)),
                             weights=mask[both.indices], minlength=len(i))
        gaps = np.abs(moments[i] - moments[j])
        ok = (cosine >= loose.many(gaps)) & (shared >= MIN_SHARED_WORDS)
        kept_left.append(i[ok])
        kept_right.append(j[ok])
        kept_cosine.append(cosine[ok])
        kept_strong.append(cosine[ok] >= required.many(gaps[ok]))
    i, j, cosine, strong = (np.concatenate(kept_left), np.concatenate(kept_right),
                            np.concatenate(kept_cosine), np.concatenate(kept_strong))
    order = np.lexsort((j, i, -cosine))
    return i[order], j[order], strong[order]


def _candidates(matrix: Any, np: Any) -> Any:
    """Return candidate pairs (codes i * n + j, i < j): at most MAX_CANDIDATES per article.

    `matrix` holds the articles' lead vectors as rows. Each article is
    indexed under its INDEX_TERMS heaviest terms; articles sharing a term
    (one held by at most MAX_POSTINGS articles) are candidates. Each
    candidate's score is its dot product over the index terms the two share,
    and each article keeps its MAX_CANDIDATES best (a pair stays when either
    article keeps it), so the pairs checked grow with the articles, not with
    how many share a common term. The scores come from a sparse product of
    the index with itself, a block of articles at a time, so memory holds
    one block's candidates, never every pair.
    """
    from scipy.sparse import csr_matrix

    count = matrix.shape[0]
    matrix.sort_indices()  # each row's terms ascending: a stable sort keeps them so in ties
    rows = np.repeat(np.arange(count, dtype=np.int64), np.diff(matrix.indptr))
    terms, weights = matrix.indices, matrix.data
    # Each row's heaviest terms (ties: the lower term id first), by one integer
    # key: the row in the high bits, the weight (0-1) scaled to 40 bits and inverted below.
    scaled = np.round(weights * (2**40 - 1)).astype(np.int64)
    order = np.argsort((rows << 41) | (2**40 - 1 - scaled), kind="stable")
    top = order[_ranks(rows[order], np) < INDEX_TERMS]
    shared = np.bincount(terms[top], minlength=matrix.shape[1])[terms[top]]
    top = top[(shared >= 2) & (shared <= MAX_POSTINGS)]
    index = csr_matrix((weights[top], (rows[top], terms[top])), shape=matrix.shape)
    transposed = index.T.tocsr()
    # Each article's partners, best first, ties to the lower partner: one
    # integer per pair, the score (at most INDEX_TERMS, unit weights) scaled
    # to `score_bits` and inverted, then the partner, so that the smallest rank first.
    partner_bits = max(count - 1, 1).bit_length()
    score_bits = min(31, 63 - partner_bits)  # 31 up to 2**32 articles
    top_score = 2**score_bits - 1
    kept = [np.zeros(0, dtype=np.int64)]
    for start in range(0, count, CANDIDATE_BLOCK):
        block = (index[start:start + CANDIDATE_BLOCK] @ transposed).tocsr()
        local = np.repeat(np.arange(block.shape[0], dtype=np.int64), np.diff(block.indptr))
        partner = block.indices.astype(np.int64)
        other = partner != local + start
        local, partner, score = local[other], partner[other], block.data[other]
        scaled = np.round(score / INDEX_TERMS * top_score).astype(np.int64)
        mine, ranked = _smallest_per_row(local, ((top_score - scaled) << partner_bits) | partner,
                                         block.shape[0], MAX_CANDIDATES, np)
        mine, theirs = mine + start, ranked & (2**partner_bits - 1)
        kept.append(np.minimum(mine, theirs) * count + np.maximum(mine, theirs))
    return _unique(np.concatenate(kept), np)


def _smallest_per_row(rows: Any, keys: Any, count: int, most: int, np: Any) -> tuple[Any, Any]:
    """Each row's `most` smallest keys (all of a row with fewer), as (rows, keys), in no order.

    `rows` (below `count`) is ascending and a row's keys are distinct. The
    rows with more keys are laid out as the lines of a table, padded with
    keys above any, and np.partition picks each line's smallest: linear in
    the keys, where sorting them all is not.
    """
    lengths = np.bincount(rows, minlength=count)
    few = lengths[rows] <= most
    long = np.flatnonzero(lengths > most)
    if not len(long):
        return rows, keys
    sizes = lengths[long]
    table = np.full((len(long), int(sizes.max())), np.iinfo(np.int64).max, dtype=np.int64)
    table[np.repeat(np.arange(len(long)), sizes), _ranks(rows[~few], np)] = keys[~few]
    smallest = np.partition(table, most - 1, axis=1)[:, :most]
    return (np.concatenate((rows[few], np.repeat(long, most))),
            np.concatenate((keys[few], smallest.ravel())))


def _ranks(groups: Any, np: Any) -> Any:
    """Each position's rank within its run of equal values in `groups` (sorted): 0, 1, ..."""
    if not len(groups):
        return groups
    starts = np.flatnonzero(_firsts(groups, np))
    sizes = np.diff(np.append(starts, len(groups)))
    return np.arange(len(groups)) - np.repeat(starts, sizes)


def _run_pairs(starts: Any, sizes: Any, np: Any, most: int) -> tuple[Any, Any]:
    """Return pairs of positions (p < q) within each run [start, start + size): each
    position with the `most` after it in its run (every pair of a run of at most `most` + 1).
    """
    positions = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
    after = np.minimum(np.repeat(starts + sizes, sizes) - positions - 1, most)
    firsts = np.repeat(positions, after)
    offsets = np.arange(len(firsts)) - np.repeat(np.cumsum(after) - after, after)
    return firsts, firsts + 1 + offsets


class _Centroids:
    """Each group's summed unit TF-IDF vector: enough for the mean pairwise cosine.

    A sum is two arrays, its terms (ascending) and their weights, so that
    the dot product of two groups and a merge are whole-array steps.
    """

    def __init__(self) -> None:
        import numpy as np

        self.np = np
        self.sums: dict[int, tuple[Any, Any]] = {}
        self.width = 1  # above the highest term number

    def add_rows(self, matrix: Any) -> None:
        """Start a group of each row of `matrix` (CSR, each row's terms ascending)."""
        np = self.np
        keys = matrix.indices.astype(np.int64)
        values = matrix.data.astype(np.float64, copy=False)
        bounds = matrix.indptr.tolist()
        for row in range(matrix.shape[0]):
            start, end = bounds[row], bounds[row + 1]
            self.sums[row] = (keys[start:end], values[start:end])
        self.width = matrix.shape[1]

    def dot(self, a: int, b: int) -> float:
        """The dot product of two groups' sums (over both sizes, their mean pairwise cosine)."""
        return _sorted_dot(*self.sums[a], *self.sums[b], self.np)

    def dots(self, pairs: Sequence[tuple[int, int]]) -> list[float]:
        """`dot` of each pair of groups, found in one sparse step."""
        if not pairs:
            return []
        from scipy.sparse import csr_matrix

        np, every = self.np, self.sums

        def side(groups: Sequence[int]) -> Any:
            """The groups' sums as the rows of a sparse matrix, one row per pair."""
            sums = [every[g] for g in groups]
            starts = np.zeros(len(sums) + 1, dtype=np.int64)
            np.cumsum([len(keys) for keys, _ in sums], out=starts[1:])
            return csr_matrix((np.concatenate([v for _, v in sums]),
                               np.concatenate([k for k, _ in sums]), starts),
                              shape=(len(sums), self.width))

        lefts, rights = zip(*pairs, strict=True)
        products = side(lefts).multiply(side(rights)).tocsr()
        # Each pair's products are a run of `products.data`, in ascending term order.
        out = np.zeros(len(pairs))
        some = np.flatnonzero(np.diff(products.indptr))
        if len(some):
            out[some] = np.add.reduceat(products.data, products.indptr[some])
        return out.tolist()  # type: ignore[no-any-return]

    def merge(self, keep: int, gone: int) -> None:
        np = self.np
        (keys_a, values_a), (keys_b, values_b) = self.sums[keep], self.sums.pop(gone)
        # Both are sorted and distinct: after a stable sort of the two, a term
        # both have is a run of two, `keep`'s weight first, summed in that order.
        keys = np.concatenate((keys_a, keys_b))
        values = np.concatenate((values_a, values_b))
        order = keys.argsort(kind="stable")
        keys, values = keys[order], values[order]
        if len(keys):
            starts = np.flatnonzero(_firsts(keys, np))
            keys, values = keys[starts], np.add.reduceat(values, starts)
        if len(keys) > SUM_TERMS:  # a big group keeps its heaviest terms: bounded checks
            heaviest = np.sort(np.lexsort((keys, -values))[:SUM_TERMS])
            keys, values = keys[heaviest], values[heaviest]
        self.sums[keep] = (keys, values)


def _row_dot(matrix: Any, x: int, y: int) -> float:
    """The dot product of rows `x` and `y` of a CSR matrix whose rows' terms are ascending."""
    import numpy as np

    bounds, terms, weights = matrix.indptr, matrix.indices, matrix.data
    (start_x, end_x), (start_y, end_y) = bounds[x:x + 2], bounds[y:y + 2]
    return _sorted_dot(terms[start_x:end_x], weights[start_x:end_x],
                       terms[start_y:end_y], weights[start_y:end_y], np)


def _sorted_dot(keys_a: Any, values_a: Any, keys_b: Any, values_b: Any, np: Any) -> float:
    """The dot product of two sparse vectors, each as its terms (ascending) and weights."""
    if not len(keys_a) or not len(keys_b):
        return 0.0
    # The terms both have, in ascending order (as np.intersect1d finds them, faster).
    found = keys_b.searchsorted(keys_a)
    np.minimum(found, len(keys_b) - 1, out=found)
    both = keys_b[found] == keys_a
    products = values_a[both] * values_b[found[both]]
    # Summed as `_Centroids.dots` sums each pair's products (the same products
    # in the same order, by np.add.reduceat: the same sum to the last bit).
    return float(np.add.reduceat(products, [0])[0]) if len(products) else 0.0
