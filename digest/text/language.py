"""Which language an article is in: from its feed when it says, else detected from the text.

Detection uses py3langid, whose model ships inside the package (nothing is
downloaded), limited to the languages the summarizers support.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from digest.models import Article

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
    sample = " ".join(text[:_SAMPLE_CHARS].split())
    if len(sample) < 20:
        return None
    key = hashlib.blake2b(sample.encode(), digest_size=16).digest()
    if key not in _DETECTED:
        code, _ = _identifier().classify(sample)
        _DETECTED[key] = CODES.get(code)
    return _DETECTED[key]


def language_of(article: Article, fallback: str = "english") -> str:
    """Return the article's language: its feed's declaration, else detected, else `fallback`."""
    return (from_code(article.language) or detect(f"{article.title}\n{article.body}")
            or fallback)


def resolve(article: Article, configured: str) -> str:
    """Return the language to process `article` in under the configured setting."""
    return language_of(article) if configured == AUTO else configured


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(Path(MODEL_DIR) / MODEL_FILE)
    identifier.set_languages(sorted({c for c in CODES if c not in ("nb", "nn")}))
    return identifier
