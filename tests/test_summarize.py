from __future__ import annotations

from collections.abc import Callable

import pytest

from digest.config import ALGORITHMS
from digest.models import Article
from digest.summarize.registry import IMPLEMENTATIONS, summarize_article
from digest.text.tokenizer import PunktTokenizer

BODY = "\n\n".join([
    "The city council approved a new budget for public transport on Monday. "
    "The plan adds forty buses and two new tram lines by next year.",
    "Transport Plans",
    "Officials said the budget for buses and trams is the largest in a decade. "
    "Fares will stay the same for two years. "
    "Critics said the council should have spent more on cycling lanes.",
    "The mayor said the new tram lines would cut journey times across the city. "
    "Work on the first tram line starts in the spring. "
    "The council will publish the full transport budget on Friday.",
])


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_every_algorithm_picks_sentences_of_the_article_in_order(
    algorithm: str, make_article: Callable[..., Article],
) -> None:
    article = make_article(title="Council backs bigger transport budget", body=BODY)
    summary = summarize_article(article, algorithm, 3)
    tokenizer = PunktTokenizer("english")
    sentences = [s for line in BODY.splitlines() if line.strip()
                 for s in tokenizer.to_sentences(line)]
    assert len(summary.sentences) == 3
    positions = [sentences.index(s) for s in summary.sentences]
    assert positions == sorted(positions)
    assert "Transport Plans" not in summary.sentences
    assert not summary.whole


def test_short_article_is_kept_whole(make_article: Callable[..., Article]) -> None:
    article = make_article(body="Only one sentence here. And a second one.")
    summary = summarize_article(article, "lexrank", 3)
    assert summary.sentences == ("Only one sentence here.", "And a second one.")
    assert summary.whole


def test_a_sentence_repeating_the_title_is_not_chosen(
    make_article: Callable[..., Article],
) -> None:
    title = "The city council approved a new budget for public transport on Monday."
    summary = summarize_article(make_article(title=title, body=BODY), "lexrank", 5)
    assert title not in summary.sentences


def test_other_languages_use_their_own_models(make_article: Callable[..., Article]) -> None:
    body = ("Der Stadtrat hat am Montag z.B. neue Busse beschlossen. Die Fahrpreise bleiben "
            "gleich. Die erste Linie startet im Frühjahr. Kritiker wollen mehr Radwege.")
    summary = summarize_article(make_article(body=body), "lexrank", 2, "german")
    assert len(summary.sentences) == 2
    assert all(s in body for s in summary.sentences)


def test_tokenizer_keeps_abbreviations_inside_sentences() -> None:
    tokenizer = PunktTokenizer("english")
    assert tokenizer.language == "english"
    assert tokenizer.to_sentences("Mr. Smith paid $3.5bn to the U.S. Treasury. He left.") == (
        "Mr. Smith paid $3.5bn to the U.S. Treasury.", "He left.")
    assert tokenizer.to_words("Don’t go, Jean-Luc: it's 2024.") == (
        "Don’t", "go", "Jean-Luc", "it's")


def test_every_configurable_summarizer_has_an_implementation() -> None:
    assert set(IMPLEMENTATIONS) == set(ALGORITHMS)


def test_a_text_with_no_sentence_ends_gives_a_bounded_summary(
    make_article: Callable[..., Article],
) -> None:
    from digest.summarize.registry import MAX_SENTENCE_CHARS

    article = make_article(body="word " * 100_000)
    for algorithm in ("news", "lexrank"):
        summary = summarize_article(article, algorithm)
        assert summary.sentences and all(len(s) <= MAX_SENTENCE_CHARS
                                          for s in summary.sentences)
        assert summary.sentences[0].endswith("word…")
