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

import math
from functools import cache

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
    from wordfreq import available_languages, get_frequency_dict

    code = _CODES.get(language, "en")
    wordlist = "large" if code in available_languages("large") else "small"
    frequencies: dict[str, float] = get_frequency_dict(code, wordlist)
    return frequencies


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
