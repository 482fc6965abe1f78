"""Summarize articles with sumy, offline, by algorithm name."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from digest.language import resolve as resolve_language
from digest.models import Article, ArticleSummary
from digest.news_summarizer import WordBudget
from digest.tokenizer import PunktTokenizer

# Name -> "module:class" of every summarizer sumy ships; imported on first use.
ALGORITHMS: dict[str, str] = {
    "lexrank": "sumy.summarizers.lex_rank:LexRankSummarizer",
    "textrank": "sumy.summarizers.text_rank:TextRankSummarizer",
    "lsa": "sumy.summarizers.lsa:LsaSummarizer",
    "luhn": "sumy.summarizers.luhn:LuhnSummarizer",
    "kl": "sumy.summarizers.kl:KLSummarizer",
    "sumbasic": "sumy.summarizers.sum_basic:SumBasicSummarizer",
    "reduction": "sumy.summarizers.reduction:ReductionSummarizer",
    "edmundson": "sumy.summarizers.edmundson:EdmundsonSummarizer",
    "random": "sumy.summarizers.random:RandomSummarizer",
    # Ours: position, centrality, headline overlap, redundancy control (digest/news_summarizer.py).
    "news": "digest.news_summarizer:NewsSummarizer",
}

# Languages with both a shipped Punkt model and a sumy stemmer.
LANGUAGES: tuple[str, ...] = (
    "czech", "danish", "dutch", "english", "finnish", "french", "german", "greek",
    "italian", "norwegian", "polish", "portuguese", "russian", "spanish", "swedish",
)

# Graph and KL summarizers grow quadratically or worse with sentence count
# (bench/README.md, "Summarizer cost": LexRank 1.1 s and KL 52 s on a
# 10,000-word article uncapped). News puts its key facts first, so only the
# opening sentences compete.
MAX_INPUT_SENTENCES = 80

# A paragraph this short with no closing punctuation is a subheading, not prose.
_HEADING_MAX_WORDS = 14
_SENTENCE_END = re.compile(r"[.!?…:;\"'”’)\]]\s*$")


def summarize_article(
    article: Article, algorithm: str = "news", sentences: int = 3, language: str = "auto",
    words: int = 0,
) -> ArticleSummary:
    """Return the best sentences of `article`, or all of it if it is that short.

    The length is `sentences` sentences, or, when `words` is set, as many of
    the best sentences as fit in that many words (a sentence is never cut).
    `language` "auto" takes the feed's declaration or detects it.
    """
    from sumy.models.dom import ObjectDocumentModel

    language = resolve_language(article, language)
    tokenizer = PunktTokenizer(language)
    paragraphs = _paragraphs(article, tokenizer)
    document = ObjectDocumentModel(paragraphs)
    body_sentences = [str(s) for s in document.sentences]
    short = (sum(len(str(s).split()) for s in document.sentences) <= words if words
             else len(body_sentences) <= sentences)
    if short:
        return ArticleSummary(article.id, tuple(body_sentences), algorithm, whole=True)
    summarizer = _summarizer(algorithm, language)
    length: int | WordBudget = WordBudget(words) if words else sentences
    if algorithm == "lsa":
        from threadpoolctl import threadpool_limits

        # LSA's SVD is erratic in time when BLAS spreads its small matrices over threads.
        with threadpool_limits(limits=1):
            chosen = summarizer(document, length)
    else:
        chosen = summarizer(document, length)
    return ArticleSummary(article.id, tuple(str(s) for s in chosen), algorithm)


def summarize_articles(
    articles: Iterable[Article], algorithm: str, sentences: int, language: str, words: int = 0,
) -> list[ArticleSummary]:
    """Return a summary for each article, in order."""
    return [summarize_article(a, algorithm, sentences, language, words) for a in articles]


def _paragraphs(article: Article, tokenizer: PunktTokenizer) -> list[Any]:
    """Build sumy paragraphs: the title and subheadings as headings, prose as sentences."""
    from sumy.models.dom import Paragraph, Sentence

    paragraphs = ([Paragraph([Sentence(article.title, tokenizer, is_heading=True)])]
                  if article.title.strip() else [])
    budget = MAX_INPUT_SENTENCES
    for block in article.body.split("\n\n"):
        text = " ".join(block.split())
        if not text or budget <= 0:
            continue
        if _is_heading(text):
            paragraphs.append(Paragraph([Sentence(text, tokenizer, is_heading=True)]))
            continue
        # A sentence that repeats the headline tells the reader nothing new.
        found = [s for s in tokenizer.to_sentences(text) if s != article.title][:budget]
        budget -= len(found)
        paragraphs.append(Paragraph([Sentence(s, tokenizer) for s in found]))
    return paragraphs


def _is_heading(text: str) -> bool:
    return len(text.split()) <= _HEADING_MAX_WORDS and not _SENTENCE_END.search(text)


@cache
def _summarizer(algorithm: str, language: str) -> Any:
    from sumy.nlp.stemmers import Stemmer
    from sumy.utils import get_stop_words

    module_name, class_name = ALGORITHMS[algorithm].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    summarizer = cls(Stemmer(language))
    try:
        stop_words = frozenset(get_stop_words(language))
    except LookupError:
        stop_words = frozenset()
    if algorithm == "news":
        return cls(Stemmer(language), stop_words)
    if algorithm == "edmundson":
        # Title and location methods only: cue and key methods need word lists
        # a news digest has no sensible default for.
        summarizer = cls(Stemmer(language), cue_weight=0.0, key_weight=0.0)
        summarizer.null_words = stop_words or {"the"}
    elif hasattr(summarizer, "stop_words"):
        summarizer.stop_words = stop_words
    return summarizer


def document_sentences(article: Article, language: str = "auto") -> list[str]:
    """Return the body sentences the summarizers choose from, in order (no headings)."""
    from sumy.models.dom import ObjectDocumentModel

    tokenizer = PunktTokenizer(resolve_language(article, language))
    document = ObjectDocumentModel(_paragraphs(article, tokenizer))
    return [str(s) for s in document.sentences]
