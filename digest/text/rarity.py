"""How telling a word is: its rarity in the language at large, not in today's articles.

A day's own document frequencies say little on a small day (three articles
give every word an IDF of 0, 0.29 or 0.69) and mark a running topic's words
as common on a big one. Word frequencies of the language as a whole, from
`wordfreq` (data shipped inside the package, nothing downloaded), do not
depend on the day: "said" and "minister" weigh little whatever the day holds,
"Zelenskyy" and "Yukos" weigh a lot.

The weight is `CEILING - zipf(word)`: zipf is log10 of the word's frequency
per billion words (wordfreq's scale: "the" 7.7, "said" 5.9, "bank" 4.9,
"Yukos" 1.9, a word wordfreq does not know 0), so it is an inverse document
frequency in base-10 units, floored at zero for the commonest words.
"""

from __future__ import annotations

import marshal
import math
import sys
from functools import cache
from pathlib import Path
from typing import BinaryIO

from digest.text import modelcache

# wordfreq's zipf of the commonest function words ("the" 7.73, "of" 7.40,
# "and" 7.39): rarer words than these get a positive weight.
CEILING = 7.0
_CODES = {
    "czech": "cs", "danish": "da", "dutch": "nl", "english": "en", "finnish": "fi",
    "french": "fr", "german": "de", "greek": "el", "italian": "it", "norwegian": "nb",
    "polish": "pl", "portuguese": "pt", "russian": "ru", "spanish": "es", "swedish": "sv",
}


@cache
def _frequencies(language: str) -> dict[str, float]:
    """wordfreq's word list for the language: from its decoded copy when one is kept.

    The copy is in marshal's format (the quickest to read back: 0.09 s for
    English's 321,000 words, against 0.12 s for pickle), which only the same
    Python version reads, so that version is in its name.
    """
    code = _CODES.get(language, "en")
    python = f"-py{sys.version_info.major}{sys.version_info.minor}.marshal"
    source = _packaged(code)
    name = f"wordfreq-{source.name.split('.')[0]}" if source else ""
    return modelcache.load(name, source, python, _read_marshalled, lambda: _decode(code),
                           marshal.dump)


def _decode(code: str) -> dict[str, float]:
    from wordfreq import available_languages, get_frequency_dict

    wordlist = "large" if code in available_languages("large") else "small"
    frequencies: dict[str, float] = get_frequency_dict(code, wordlist)
    return frequencies


def _read_marshalled(file: BinaryIO) -> dict[str, float]:
    kept = marshal.loads(file.read())
    if not isinstance(kept, dict):
        raise TypeError("not a word list")
    return kept


def _packaged(code: str) -> Path | None:
    """The file wordfreq keeps the language's list in: data/<wordlist>_<code>.msgpack.gz in
    its package, the large list where there is one (what `available_languages("large")`
    finds); None when it is not there."""
    from importlib.util import find_spec

    spec = find_spec("wordfreq")
    if spec is None or spec.origin is None:
        return None
    data = Path(spec.origin).parent / "data"
    return next((path for path in (data / f"{wordlist}_{code}.msgpack.gz"
                                   for wordlist in ("large", "small")) if path.exists()), None)


class Rarity:
    """Word weights for one language, memoised: `CEILING - zipf`, at least 0."""

    def __init__(self, language: str = "english") -> None:
        self.language = language
        self._frequencies = _frequencies(language)
        self._memo: dict[str, float] = {}

    def __call__(self, word: str) -> float:
        """Return the weight of a casefolded `word`."""
        weight = self._memo.get(word)
        if weight is None:
            frequency = self._frequencies.get(word, 0.0)
            level = math.log10(frequency * 1e9) if frequency > 0 else 0.0
            weight = self._memo[word] = min(max(CEILING - level, 0.0), CEILING)
        return weight
