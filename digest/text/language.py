"""Which language an article is in: from its feed when it says, else detected from the text.

Detection uses py3langid, whose model ships inside the package (nothing is
downloaded), limited to the languages the summarizers support. The model is
read from its decoded copy when one is kept (`digest.text.modelcache`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from digest.models import Article
from digest.text import modelcache

# ISO 639-1 code -> the name sumy and the Punkt models use.
CODES: dict[str, str] = {
    "cs": "czech", "da": "danish", "nl": "dutch", "en": "english", "fi": "finnish",
    "fr": "french", "de": "german", "el": "greek", "it": "italian", "no": "norwegian",
    "nb": "norwegian", "nn": "norwegian", "pl": "polish", "pt": "portuguese", "ru": "russian",
    "es": "spanish", "sv": "swedish",
}
_NAMES = frozenset(CODES.values())
AUTO = "auto"
# About 170 words: plenty for py3langid, and its cost grows with the sample.
_SAMPLE_CHARS = 1000
# Texts sent through the model at once. Its arrays take about 25 bytes for
# each sample and each byte of the longest sample: 25 MB for this many
# samples of 1,000 ASCII characters, up to four times that for other scripts.
_BATCH = 1000
# Below this many texts py3langid alone is quicker than the batch walk: on
# BBC articles 8 texts took 1.9-2.4 ms one at a time and 3.0-3.3 ms as a
# batch, 16 texts 5.6-6.4 against 4.7-6.7 ms (bench/language.py).
_MIN_BATCH = 16
# Languages detected in this process, by a hash of the text sample (16 bytes
# and a short string each: about 5 MB for 50,000 articles).
_DETECTED: dict[bytes, str | None] = {}


def from_code(code: str | None) -> str | None:
    """Return the language named by a tag like "en", "en-US" or "pt_BR", if supported.

    A supported language's own name ("english", as cleaning records it) is returned as is.
    """
    if not code:
        return None
    if code in _NAMES:
        return code
    return CODES.get(code.strip().lower().replace("_", "-").split("-")[0])


def detect(text: str) -> str | None:
    """Return the language of `text` among the supported ones, or None for too little text.

    Each stage that needs an article's language asks for it; the answer for
    one text is remembered (by a hash of its sample), so it is computed once.
    """
    return detect_all([text])[0]


def detect_all(texts: Sequence[str]) -> list[str | None]:
    """Return `detect` of each text, in order; the texts not seen before go through the model
    together."""
    samples = [" ".join(text[:_SAMPLE_CHARS].split()) for text in texts]
    keys = [hashlib.blake2b(s.encode(), digest_size=16).digest() if len(s) >= 20 else None
            for s in samples]
    todo = {key: sample for key, sample in zip(keys, samples, strict=True)
            if key is not None and key not in _DETECTED}
    pending = list(todo.items())
    for start in range(0, len(pending), _BATCH):
        batch = pending[start:start + _BATCH]
        codes = classify_all(_identifier(), [sample for _, sample in batch])
        _DETECTED.update((key, CODES.get(code)) for (key, _), code in zip(batch, codes,
                                                                           strict=True))
    return [None if key is None else _DETECTED[key] for key in keys]


def classify_all(identifier: Any, samples: Sequence[str]) -> list[str]:
    """Return py3langid's `identifier.classify(sample)[0]` for each sample.

    py3langid walks each text's bytes through its n-gram automaton one byte at
    a time in Python; `score_all` walks a batch at once and scores each text
    as py3langid does, so the answers are py3langid's (bench/language.py).
    A batch costs a numpy step per byte position whatever its size, so fewer
    than `_MIN_BATCH` texts go one at a time.
    """
    if len(samples) < _MIN_BATCH:
        return [identifier.classify(sample)[0] for sample in samples]
    found = []
    for sample, scores in zip(samples, score_all(identifier, samples), strict=True):
        if scores is None:  # py3langid's own answer for a text with no feature at all
            found.append(identifier.classify(sample)[0])
            continue
        for kept, alias in identifier._alias_pairs:
            scores[kept] = max(scores[kept], scores[alias])
        found.append(identifier.nb_classes[int(scores.argmax())])
    return found


def score_all(identifier: Any, samples: Sequence[str]) -> list[Any]:
    """Return each sample's scores by language, as py3langid computes them (None for a text
    in which the automaton finds no feature).

    All the samples go through the automaton together, a byte position at a
    time in numpy; each text's features are then counted in their order of
    first occurrence and weighed with py3langid's own arithmetic (float32
    counts times the float16 table, plus the priors), so the scores are the
    ones py3langid makes, bit for bit (bench/language.py: 2,755 texts). A
    py3langid without the model's parts this reads gets None for every
    sample, and its own answers.
    """
    import numpy as np

    try:
        nextmove, rowbase, output = _automaton(identifier)
        encoded = [identifier._encode(sample) for sample in samples]
        table, prior = identifier.nb_ptc, identifier.nb_pc
    except (AttributeError, TypeError, ValueError):
        return [None] * len(samples)
    if not samples:
        return []
    order = sorted(range(len(samples)), key=lambda i: -len(encoded[i]))
    lengths = [len(encoded[i]) for i in order]
    width = lengths[0]
    # Byte b of the text in row r (texts longest first) at [b, r].
    grid = np.zeros((width, len(samples)), dtype=np.int64)
    for row, index in enumerate(order):
        grid[:lengths[row], row] = np.frombuffer(encoded[index], dtype=np.uint8)
    states = np.zeros((width, len(samples)), dtype=nextmove.dtype)  # state 0 emits nothing
    state = np.zeros(len(samples), dtype=nextmove.dtype)
    active = len(samples)
    for position in range(width):
        while lengths[active - 1] <= position:
            active -= 1  # this text has ended
        state = nextmove[rowbase[state[:active]] + grid[position, :active]]
        states[position, :active] = state
    features = output[states.T]  # each text's walk in order; -1: no feature there
    rows, columns = np.nonzero(features >= 0)
    # One sort of (text, feature, position) gives each feature's count and its
    # first position in its text; read back row by row, those come in order
    # of first occurrence, as py3langid counts them.
    keys = np.sort((rows * len(output) + features[rows, columns]) * width + columns)
    groups = keys // width
    starts = np.flatnonzero(np.diff(groups, prepend=-1))
    counted = np.zeros(features.shape, dtype=np.float32)
    counted[groups[starts] // len(output), keys[starts] % width] = np.diff(
        np.r_[starts, len(keys)])
    first_rows, first_columns = np.nonzero(counted)
    bounds = np.searchsorted(first_rows, np.arange(len(samples) + 1))
    weights = np.log1p(counted[first_rows, first_columns])
    rows_of_table = table[features[first_rows, first_columns]]
    scores: list[Any] = [None] * len(samples)
    for row, index in enumerate(order):
        start, end = bounds[row], bounds[row + 1]
        if start < end:
            scores[index] = weights[start:end] @ rows_of_table[start:end] + prior
    return scores


@cache
def _automaton(identifier: Any) -> tuple[Any, Any, Any]:
    """The automaton as arrays: its moves (shared with the model's own array), its rows'
    offsets into them, and each state's feature (-1: none)."""
    import numpy as np

    return (np.asarray(identifier.tk_nextmove), np.asarray(identifier._rowbase, dtype=np.int64),
            np.asarray(identifier.tk_output, dtype=np.int64))


def language_of(article: Article, fallback: str = "english") -> str:
    """Return the article's language: its feed's declaration, else detected, else `fallback`."""
    return (from_code(article.language) or detect(f"{article.title}\n{article.body}")
            or fallback)


def resolve(article: Article, configured: str) -> str:
    """Return the language to process `article` in under the configured setting."""
    return language_of(article) if configured == AUTO else configured


@cache
def _identifier() -> Any:
    import py3langid
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model = Path(MODEL_DIR) / MODEL_FILE
    version = getattr(py3langid, "__version__", "unknown")
    identifier = modelcache.load(f"py3langid-{version}", model, ".npy",
                                 lambda file: _read_decoded(LanguageIdentifier, file),
                                 lambda: LanguageIdentifier.from_modelpath(model),
                                 _write_decoded)
    identifier.set_languages(sorted({c for c in CODES if c not in ("nb", "nn")}))
    return identifier


# The model's parts, in the order py3langid's loader returns them.
_PARTS = 6


def _read_decoded(cls: Any, file: Any) -> Any:
    """The identifier built from its decoded copy (`_write_decoded`)."""
    import numpy as np

    ptc, pc, classes, nextmove, row, output = (
        np.load(file, allow_pickle=False) for _ in range(_PARTS))
    return cls(ptc, pc, classes.tolist(), _as_array(nextmove), output.tolist(),
               tk_row=_as_array(row))


def _write_decoded(identifier: Any, file: Any) -> None:
    """Write the identifier's model uncompressed: its arrays one after the other, in
    numpy's .npy format."""
    import numpy as np

    for part in (identifier.nb_ptc, identifier.nb_pc, np.array(identifier.nb_classes),
                 np.asarray(identifier.tk_nextmove), np.asarray(identifier.tk_row),
                 np.asarray(identifier.tk_output, dtype=np.int32)):
        np.save(file, part, allow_pickle=False)


def _as_array(values: Any) -> Any:
    """A numpy array of unsigned integers as the stdlib array py3langid walks."""
    from array import array

    import numpy as np

    typecode = {2: "H", 4: "I", 8: "L"}[values.dtype.itemsize]
    found = array(typecode)
    found.frombytes(np.ascontiguousarray(values).data.cast("B"))
    return found
