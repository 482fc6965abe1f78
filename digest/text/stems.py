"""Word stems and stop words for the summarizers, without importing nltk where it can be helped.

sumy stems with nltk's pure-Python Snowball stemmers, and importing nltk
loads scipy.stats and parts of scikit-learn (about 1.9 s here). PyStemmer
2.2 runs the Snowball algorithms compiled, and for the languages in
`COMPILED` it gives nltk's stems for all but at most 1 in 10,000 of the
language's 50,000 commonest words (`bench/stemmers.py`, bench/README.md: 4
English words of 50,000 differ, and none of the words of the English news
articles measured). Other languages keep sumy's stemmer.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable
from functools import cache

# Languages whose compiled Snowball stemmer gives nltk's stems for the 50,000 commonest
# words but for at most 1 in 10,000 of them (bench/README.md, "Stemmers": English 4, the
# others none). Danish, French, Italian, Portuguese, Spanish, Russian, Hungarian and
# Arabic differ more or on real words (nltk follows older versions of their
# algorithms), so they stay on nltk's.
COMPILED = frozenset({"dutch", "english", "finnish", "german", "norwegian", "swedish"})
# nltk's English stemmer reads these quotes as the apostrophe ("didn\u2019t" as "didn't");
# the compiled Snowball stemmer of the same version does not.
# sumy's stemmer for these warns of, and returns as it is, a word in no case.
_CASED_ONLY = frozenset({"czech", "slovak"})
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'"})


@cache
def stemmer(language: str) -> Callable[[str], str]:
    """Return the stemmer of a lowercased word in `language` (sumy's language names).

    Raises LookupError when neither PyStemmer nor sumy has one.
    """
    if language not in COMPILED:
        from sumy.nlp.stemmers import Stemmer as SumyStemmer

        sumy_stem: Callable[[str], str] = SumyStemmer(language)
        if language not in _CASED_ONLY:
            return sumy_stem

        def cased_only(word: str) -> str:
            # A word in no case at all (Hebrew, Chinese...: a feed item detected as
            # Czech) is returned as it is, as sumy returns it, without its warning
            # printed on the terminal for each such word.
            cased = word.islower() or word.istitle() or word.isupper()
            return sumy_stem(word) if cased else word

        return cased_only
    import Stemmer

    stem: Callable[[str], str] = Stemmer.Stemmer(language).stemWord
    if language != "english":
        return stem

    def english(word: str) -> str:
        # As nltk's: words of one or two letters are kept whole.
        return word if len(word) <= 2 else stem(word.translate(_APOSTROPHES))

    return english


def compiled_stemmer(language: str) -> Callable[[str], str] | None:
    """Return `stemmer(language)` when it is a compiled one (`COMPILED`), else None: the
    others import nltk, seconds that a caller with a fallback need not pay."""
    return stemmer(language) if language in COMPILED else None


@cache
def stop_words(language: str) -> frozenset[str]:
    """Return sumy's stop words for `language` (empty when it has none), read from the
    package's data without importing sumy's utilities (which import requests)."""
    try:
        data = pkgutil.get_data("sumy", f"data/stopwords/{language.lower()}.txt")
    except OSError:
        return frozenset()
    if data is None:
        return frozenset()
    return frozenset(w.rstrip() for w in data.decode("utf-8").splitlines() if w)
