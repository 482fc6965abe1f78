"""A sumy summarizer for news: position, centrality, headline overlap and redundancy control.

Unsupervised and offline. It works on sumy's document model, so it plugs in
wherever sumy's own summarizers do (`NewsSummarizer(stemmer)(document, 3)`),
and on plain sentences and words (`choose`), which is how the digest runs it.

News is written as an inverted pyramid: the key facts come first. Pure
centrality (LexRank, TextRank) ignores that and loses to the first three
sentences; pure position cannot skip a byline or a photo caption, and
repeats itself when the opening restates the headline. Here each sentence
gets a score mixing

- position: a decaying prior on the sentence's place among the article's
  content sentences,
- centrality: TF-IDF cosine of the sentence with the rest of the article,
- headline overlap: the share of the headline's words it carries,

and sentences are picked greedily, each pick discounted by its similarity to
those already chosen (maximal marginal relevance). Sentences that are page
furniture (bylines, "PUBLISHED:" lines, photo credits, "Read more",
subscription prompts) or too short to carry a fact are never picked.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from itertools import chain, repeat
from operator import mul
from typing import Any

# Sentences that belong to the page rather than the story.
_FURNITURE = re.compile(
    r"""^\s*(?:by\s*\.|by\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}\s*[.|,]?\s*$
        |published\s*:|updated\s*:|last\s+updated|\|\s*\.?\s*updated
        |(?:this|the|a)\s+(?:photo|image|picture|handout\s+photo|file\s+photo)\s+
         (?:released|provided|taken|made\s+available|obtained|shows|from)
        |(?:photo|image|picture|video)\s*(?:credit)?\s*:|scroll\s+down
        |read\s+more|click\s+here|sign\s+up|subscribe|follow\s+(?:us|@)
        |share\s+this|advertisement|related\s*:|see\s+also|copyright|all\s+rights\s+reserved
        |e-?mail\s+(?:us|to\s+a\s+friend))""",
    re.IGNORECASE | re.VERBOSE,
)
_CREDIT = re.compile(r"\((?:photo|image|picture)[^)]*\)|\b(?:getty images|reuters/|ap photo|"
                     r"afp/|file photo)\b", re.IGNORECASE)
# Every credit `_CREDIT` knows holds one of these words. Most sentences hold
# none, and this plain search skips the pattern for them (0.41 -> 0.11 s
# over the 44,000 BBC sentences). The sentence is casefolded as the
# pattern's IGNORECASE reads it: the dotless i (U+0131) and the dotted
# capital I (U+0130, casefolded to "i" and a combining dot) are "i"; every
# other character it matches to a letter of these words casefolds to that
# letter (checked over all of Unicode by a test).
_CREDIT_HINT = re.compile("photo|image|picture|reuters/|afp/")
_FRAGMENT_STARTS = frozenset(")]},;:")
_MIN_WORDS = 6
_MAX_WORDS = 80  # a "sentence" this long is a run-on list or a tokenisation failure


def is_furniture(text: str, words: int) -> bool:
    """Whether a sentence is page furniture rather than story (or too short to tell a fact).

    A "sentence" that opens with closing or joining punctuation ("), orache,
    wild spinach, ...") is the tail of one the tokenizer cut in two (at
    "L." or "Sp."): no sentence of the story starts there.
    """
    return (words < _MIN_WORDS or words > _MAX_WORDS or text.lstrip()[:1] in _FRAGMENT_STARTS
            or bool(_FURNITURE.search(text))
            or (_CREDIT_HINT.search(text.casefold().replace("\u0131", "i").replace("\u0307", ""))
                is not None
                and bool(_CREDIT.search(text))))


class NewsSummarizer:
    """Pick sentences by position, centrality and headline overlap, without repeating."""

    # Weights of the three signals. Cosines are small numbers (0.1-0.5 for a
    # central sentence), so centrality needs the larger weight to compete with
    # a position prior of up to 1. Set on the development data (every fifth BBC
    # article and the CNN/DailyMail sample; bench/README.md): more weight on
    # centrality helped both, up to the value kept here.
    position_weight = 1.0
    centrality_weight = 3.0
    headline_weight = 0.5
    # Position prior: 1 / (1 + index / position_scale). Index 0 scores 1, index
    # `position_scale` scores 1/2.
    position_scale = 5.0
    # How much similarity to an already chosen sentence costs (0: none).
    redundancy = 0.6
    # A sentence this similar (cosine) to a chosen one is a restatement: never picked.
    restatement = 0.6

    def __init__(self, stemmer: Any = None, stop_words: frozenset[str] = frozenset()) -> None:
        # Called as sumy's summarizers are (a stemmer, then document and length), but
        # not built on sumy's base class: importing sumy loads nltk and scipy (2 s),
        # which only its own summarizers and nltk's stemmers need (digest.text.stems).
        if stemmer is not None and not callable(stemmer):
            raise TypeError("the stemmer must be callable")
        self._stemmer = stemmer or str.lower
        self.stop_words = stop_words
        # Stems by surface word: news repeats its words, Snowball is slow.
        self._stems: dict[str, str] = {}

    def __call__(self, document: Any, sentences_count: int | WordBudget) -> tuple[Any, ...]:
        sentences = list(document.sentences)
        chosen = self.choose([str(s) for s in sentences], [s.words for s in sentences],
                             [w for h in document.headings for w in h.words], sentences_count)
        return tuple(sentences[i] for i in chosen)

    def choose(
        self, texts: Sequence[str], words: Sequence[Sequence[str]], headline: Sequence[str],
        sentences_count: int | WordBudget,
    ) -> list[int]:
        """Return the indexes, in order, of the sentences to keep.

        `texts` are the body's sentences, `words` each one's words and
        `headline` the words of the headline and subheadings: the summarizer
        needs nothing else, so callers can skip sumy's document model.
        """
        if not texts:
            return []
        bags = [self._bag(w) for w in words]
        content = [i for i, (text, w) in enumerate(zip(texts, words, strict=True))
                   if not is_furniture(text, len(w))]
        if not content:  # nothing but short lines: fall back to everything
            content = list(range(len(texts)))
        # Each content sentence's log-scaled term frequencies, used by both steps.
        log_tf = _LOG_TF
        frequencies = {i: {w: log_tf[n] for w, n in bags[i].items()} for i in content}
        scores = self._scores([frequencies[i] for i in content], self._bag(headline))
        budget = sentences_count.words if isinstance(sentences_count, WordBudget) else None
        count = 0 if budget is not None else int(sentences_count)  # type: ignore[arg-type]
        return sorted(self._select(content, scores, frequencies, texts, count, budget))

    @staticmethod
    def normalize_word(word: str) -> str:
        return word.lower()

    def stem_word(self, word: str) -> str:
        return str(self._stemmer(self.normalize_word(word)))

    def _bag(self, words: Any) -> Counter[str]:
        """The sentence's stems (stop words left out) and their counts, in order of first use."""
        stems = self._stems
        found = list(map(stems.get, words))
        if None in found:  # a word not seen before: stem it once
            for word in words:
                if word not in stems:
                    normal = self.normalize_word(word)
                    stems[word] = "" if normal in self.stop_words else self.stem_word(word)
            found = list(map(stems.__getitem__, words))
        return Counter(filter(None, found))

    def _scores(self, frequencies: Sequence[dict[str, float]],
                headline: Counter[str]) -> list[float]:
        count = len(frequencies)
        frequency = Counter(chain.from_iterable(frequencies))  # in how many sentences
        idf = {w: math.log((1 + count) / (1 + df)) + 1.0 for w, df in frequency.items()}
        vectors = [{w: tf * idf[w] for w, tf in sentence.items()} for sentence in frequencies]
        total: dict[str, float] = {}
        for vector in vectors:
            for word, weight in vector.items():
                total[word] = total.get(word, 0.0) + weight
        total_square = _square(total)
        headline_words = set(headline)
        scores = []
        for index, vector in enumerate(vectors):
            # Cosine with the rest of the article (total minus this sentence),
            # from dot products with the total: linear in the sentence's words.
            dot = _dot(vector, total)
            square = _square(vector)
            rest_square = total_square - 2.0 * dot + square
            norm = math.sqrt(square * rest_square) if square > 0 and rest_square > 1e-12 else 0.0
            centrality = (dot - square) / norm if norm else 0.0
            overlap = (len(headline_words & vector.keys()) / len(headline_words)
                       if headline_words else 0.0)
            position = 1.0 / (1.0 + index / self.position_scale)
            scores.append(self.position_weight * position + self.centrality_weight * centrality
                          + self.headline_weight * overlap)
        return scores

    def _select(
        self, content: Sequence[int], scores: Sequence[float],
        vectors: dict[int, dict[str, float]], sentences: Sequence[str], count: int,
        budget: int | None,
    ) -> list[int]:
        norms = {i: math.sqrt(_square(vector)) for i, vector in vectors.items()}
        left = dict(zip(content, scores, strict=True))
        # Each sentence's highest similarity to a chosen one, updated as sentences are chosen.
        overlap = dict.fromkeys(content, 0.0)
        chosen: list[int] = []
        words = 0
        while left and (budget is not None or len(chosen) < count):
            best = max(left, key=lambda i: (left[i] - self.redundancy * overlap[i], -i))
            del left[best]
            if overlap[best] >= self.restatement:
                continue  # says again what a chosen sentence says
            size = len(sentences[best].split())
            if budget is not None and chosen and words + size > budget:
                continue  # a shorter sentence may still fit; never cut one
            chosen.append(best)
            words += size
            if budget is None and len(chosen) == count:
                break  # the last pick: no overlap left to update
            chosen_vector, chosen_norm = vectors[best], norms[best]
            for i in left:
                similarity = _dot(vectors[i], chosen_vector) / (norms[i] * chosen_norm or 1.0)
                if similarity > overlap[i]:
                    overlap[i] = similarity
        return chosen


class WordBudget:
    """A summary length in words, usable as sumy's `sentences_count` by any summarizer.

    sumy calls it with the sentences best first; it keeps the best ones whose
    words fit, skipping a sentence that would overflow (never cutting one).
    The best sentence is always kept, however long.
    """

    def __init__(self, words: int) -> None:
        self.words = words

    def __call__(self, infos: Sequence[Any]) -> list[Any]:
        kept: list[Any] = []
        used = 0
        for info in infos:
            size = len(str(info.sentence).split())
            if kept and used + size > self.words:
                continue
            kept.append(info)
            used += size
        return kept


class _LogCounts(dict[int, float]):
    """1 + ln(n) for each count n, computed once per count."""

    def __missing__(self, count: int) -> float:
        value = self[count] = 1 + math.log(count)
        return value


_LOG_TF = _LogCounts()


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    # Both sums here run over `map` rather than a generator expression: the
    # same products added in the same order, so the same result to the last bit.
    if len(a) > len(b):
        a, b = b, a
    total: float = sum(map(mul, a.values(), map(b.get, a, repeat(0.0))))
    return total


def _square(vector: dict[str, float]) -> float:
    """The sum of the squared weights (the squared norm)."""
    values = vector.values()
    total: float = sum(map(mul, values, values))
    return total
