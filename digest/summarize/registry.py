"""Summarize articles with sumy, offline, by algorithm name."""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from typing import Any

from digest.models import Article, ArticleSummary
from digest.summarize.news import WordBudget
from digest.text.clean import shorten
from digest.text.language import resolve as resolve_language
from digest.text.stems import stemmer, stop_words
from digest.text.tokenizer import PunktTokenizer

# Name -> "module:class" of each summarizer; imported on first use. The names
# are the config's (digest.config.ALGORITHMS).
IMPLEMENTATIONS: dict[str, str] = {
    "lexrank": "sumy.summarizers.lex_rank:LexRankSummarizer",
    "textrank": "sumy.summarizers.text_rank:TextRankSummarizer",
    "lsa": "sumy.summarizers.lsa:LsaSummarizer",
    "luhn": "sumy.summarizers.luhn:LuhnSummarizer",
    "kl": "sumy.summarizers.kl:KLSummarizer",
    "sumbasic": "sumy.summarizers.sum_basic:SumBasicSummarizer",
    "reduction": "sumy.summarizers.reduction:ReductionSummarizer",
    "edmundson": "sumy.summarizers.edmundson:EdmundsonSummarizer",
    "random": "sumy.summarizers.random:RandomSummarizer",
    # Ours: position, centrality, headline overlap, redundancy control (digest/summarize/news.py).
    "news": "digest.summarize.news:NewsSummarizer",
}

# Graph and KL summarizers grow quadratically or worse with sentence count
# (bench/README.md, "Summarizer cost": LexRank 1.1 s and KL 52 s on a
# 10,000-word article uncapped). News puts its key facts first, so only the
# opening sentences compete.
MAX_INPUT_SENTENCES = 80

# A paragraph this short with no closing punctuation is a subheading, not prose.
_HEADING_MAX_WORDS = 14
_SENTENCE_END = re.compile(r"[.!?…:;\"'”’)\]]\s*$")


# A summary sentence longer than this is cut at a word, with "…". Of the
# 54,859 sentences of the BBC, CNN/DailyMail and event sets 99 % have at most
# 320 characters and 4 more than 1,000 (lists run together); text with no
# sentence ends at all (a broken feed) would otherwise be one whole-text
# "sentence" on the page and in the email.
MAX_SENTENCE_CHARS = 1000


def summarize_article(
    article: Article, algorithm: str = "news", sentences: int = 3, language: str = "auto",
    words: int = 0,
) -> ArticleSummary:
    """Return the best sentences of `article`, or all of it if it is that short.

    The length is `sentences` sentences, or, when `words` is set, as many of
    the best sentences as fit in that many words (a sentence is chosen or
    not, never cut, but for `MAX_SENTENCE_CHARS`).
    `language` "auto" takes the feed's declaration or detects it.
    """
    summary = _summarize(article, algorithm, sentences, language, words)
    if all(len(s) <= MAX_SENTENCE_CHARS for s in summary.sentences):
        return summary
    return replace(summary, sentences=tuple(shorten(s, MAX_SENTENCE_CHARS)
                                            for s in summary.sentences))


def _summarize(
    article: Article, algorithm: str, sentences: int, language: str, words: int,
) -> ArticleSummary:
    language = resolve_language(article, language)
    tokenizer = PunktTokenizer(language)
    if algorithm == "news":
        return _summarize_news(article, tokenizer, sentences, words)
    from sumy.models.dom import ObjectDocumentModel

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


def _summarize_news(article: Article, tokenizer: PunktTokenizer, sentences: int,
                    words: int) -> ArticleSummary:
    """Our summarizer on plain strings: the same choices as through sumy's document model
    (`_paragraphs`), without building it."""
    headings, body = _blocks(article, tokenizer)
    short = (sum(len(s.split()) for s in body) <= words if words
             else len(body) <= sentences)
    if short:
        return ArticleSummary(article.id, tuple(body), "news", whole=True)
    summarizer = _summarizer("news", tokenizer.language)
    chosen = summarizer.choose(body, [tokenizer.to_words(s) for s in body],
                               [w for h in headings for w in tokenizer.to_words(h)],
                               WordBudget(words) if words else sentences)
    return ArticleSummary(article.id, tuple(body[i] for i in chosen), "news")


# Raised whenever our summarizer's choices can change (weights, sentence
# handling): summaries cached by an older version are then made again.
NEWS_VERSION = "2"


def summary_key(article: Article, algorithm: str, sentences: int, language: str,
                words: int = 0) -> str:
    """Return the cache key of `article`'s summary: everything that shapes the summary.

    That is the title and body, the language used (as resolved, not "auto"),
    the algorithm, the length (sentences or word budget) and the version of
    the code that summarizes (ours, or sumy's for its algorithms).
    """
    version = (NEWS_VERSION if algorithm == "news" else _sumy_version()) + (
        f"-cut{MAX_SENTENCE_CHARS}")
    parts = (article.title, article.body, resolve_language(article, language), algorithm,
             f"w{words}" if words else f"s{sentences}", version)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@cache
def _sumy_version() -> str:
    from importlib.metadata import version

    return f"sumy-{version('sumy')}"


def summarize_articles(
    articles: Iterable[Article], algorithm: str, sentences: int, language: str, words: int = 0,
) -> list[ArticleSummary]:
    """Return a summary for each article, in order."""
    return [summarize_article(a, algorithm, sentences, language, words) for a in articles]


def _paragraphs(article: Article, tokenizer: PunktTokenizer) -> list[Any]:
    """Build sumy paragraphs: the title and subheadings as headings, prose as sentences."""
    from sumy.models.dom import Paragraph, Sentence

    return [Paragraph([Sentence(text, tokenizer, is_heading=heading) for text in texts])
            for heading, texts in _paragraph_texts(article, tokenizer)]


def _blocks(article: Article, tokenizer: PunktTokenizer) -> tuple[list[str], list[str]]:
    """Return the heading texts (title, subheadings) and the body's sentences, in order."""
    headings: list[str] = []
    body: list[str] = []
    for heading, texts in _paragraph_texts(article, tokenizer):
        (headings if heading else body).extend(texts)
    return headings, body


def _paragraph_texts(article: Article,
                     tokenizer: PunktTokenizer) -> list[tuple[bool, list[str]]]:
    """Return the article's paragraphs as (is a heading, its sentences): the title and
    subheadings as headings, prose split into sentences (at most MAX_INPUT_SENTENCES)."""
    title = article.title.strip()
    paragraphs = [(True, [title])] if title else []
    budget = MAX_INPUT_SENTENCES
    for block in article.body.split("\n\n"):
        text = " ".join(block.split())
        if not text or budget <= 0:
            continue
        if _is_heading(text):
            paragraphs.append((True, [text]))
            continue
        # A sentence that repeats the headline tells the reader nothing new.
        found = [s for s in tokenizer.to_sentences(text) if s != article.title][:budget]
        budget -= len(found)
        paragraphs.append((False, found))
    return paragraphs


def _is_heading(text: str) -> bool:
    return len(text.split()) <= _HEADING_MAX_WORDS and not _SENTENCE_END.search(text)


def prepare(algorithm: str, language: str) -> None:
    """Import and set up the summarizer (and its stemmer) now rather than at the first article."""
    _summarizer(algorithm, language)


@cache
def _summarizer(algorithm: str, language: str) -> Any:
    module_name, class_name = IMPLEMENTATIONS[algorithm].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if algorithm == "news":
        # Ours needs no sumy: a compiled stemmer where it gives nltk's stems (digest.text.stems).
        return cls(stemmer(language), stop_words(language))
    from sumy.nlp.stemmers import Stemmer

    if algorithm == "edmundson":
        # Title and location methods only: cue and key methods need word lists
        # a news digest has no sensible default for.
        summarizer = cls(Stemmer(language), cue_weight=0.0, key_weight=0.0)
        summarizer.null_words = stop_words(language) or {"the"}
        return summarizer
    summarizer = cls(Stemmer(language))
    if hasattr(summarizer, "stop_words"):
        summarizer.stop_words = stop_words(language)
    return summarizer


def document_sentences(article: Article, language: str = "auto") -> list[str]:
    """Return the body sentences the summarizers choose from, in order (no headings)."""
    from sumy.models.dom import ObjectDocumentModel

    tokenizer = PunktTokenizer(resolve_language(article, language))
    document = ObjectDocumentModel(_paragraphs(article, tokenizer))
    return [str(s) for s in document.sentences]
