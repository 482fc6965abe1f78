from __future__ import annotations

import json
from pathlib import Path

import pytest
from probe import modules_loaded_by

from digest.text.stems import COMPILED, stemmer, stop_words
from digest.text.tokenizer import PunktTokenizer

FIXTURES = Path(__file__).parent / "fixtures"


def _fixture_words() -> set[str]:
    texts = [p.read_bytes().decode("utf-8", "replace")
             for p in sorted((FIXTURES / "articles").glob("*.txt"))]
    for line in (FIXTURES / "summaries" / "articles.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        texts.append(f"{item['title']}\n{item['body']}")
    words = PunktTokenizer("english").to_words
    return {w.lower() for text in texts for w in words(text)}


# Words where nltk's English stemmer does something of its own: apostrophes of every
# kind, a leading apostrophe, words of one or two letters, y after a vowel, exceptions.
TRICKY = ["didn’t", "musk’s", "‘tis", "o‛clock", "'twas", "boys'", "it's", "as", "us", "is",
          "ys", "a", "saying", "youth", "enjoying", "skies", "news", "dying", "generously",
          "communism", "arsenal", "proceeded", "succeeding", "andes", "cosmos", "jean-luc",
          "well-known", "cafés", "naïve"]


def test_english_stems_are_nltks_which_sumy_uses() -> None:
    from nltk.stem.snowball import EnglishStemmer
    from wordfreq import top_n_list

    words = sorted(_fixture_words() | set(TRICKY) | {w.lower() for w in top_n_list("en", 5000)})
    assert len(words) > 5000
    reference, ours = EnglishStemmer().stem, stemmer("english")
    assert {w: ours(w) for w in words} == {w: reference(w) for w in words}


@pytest.mark.parametrize("language", sorted(COMPILED - {"english"}))
def test_other_compiled_stemmers_agree_with_nltk_on_common_words(language: str) -> None:
    from nltk.stem.snowball import SnowballStemmer
    from wordfreq import top_n_list

    code = {"dutch": "nl", "finnish": "fi", "german": "de", "norwegian": "nb",
            "swedish": "sv"}[language]
    words = [w.lower() for w in top_n_list(code, 3000)]
    reference, ours = SnowballStemmer(language).stem, stemmer(language)
    assert {w: ours(w) for w in words} == {w: reference(w) for w in words}


def test_languages_without_a_compiled_stemmer_keep_sumys() -> None:
    from sumy.nlp.stemmers import Stemmer

    assert stemmer("french")("nationalité") == Stemmer("french")("nationalité")
    assert stemmer("czech")("ministerstva") == Stemmer("czech")("ministerstva")
    with pytest.raises(LookupError):
        stemmer("klingon")


def test_stop_words_are_sumys() -> None:
    from sumy.utils import get_stop_words

    for language in ("english", "german", "french", "czech", "slovak"):
        assert stop_words(language) == get_stop_words(language)
    assert stop_words("klingon") == frozenset()


def test_english_summaries_load_neither_nltk_nor_scipy_stats() -> None:
    """nltk's package import loads scipy.stats and scikit-learn (about 2 s): an English
    summary needs none of them."""
    loaded = modules_loaded_by(
        "from datetime import UTC, datetime\n"
        "from digest.models import Article\n"
        "from digest.summarize.registry import summarize_article\n"
        "body = 'The council met on Monday. It approved the budget. Fares stay. ' * 5\n"
        "a = Article(id='a', source='s', title='Budget', body=body,\n"
        "            published=datetime.now(UTC))\n"
        "assert summarize_article(a, 'news', 2, 'english').sentences")
    assert "Stemmer" in loaded
    assert not {"nltk", "scipy.stats", "sklearn"} & loaded


def test_a_word_in_no_case_is_kept_without_a_warning() -> None:
    """sumy's Czech stemmer warns of each word in no case (a Hebrew feed item detected as
    Czech printed dozens of lines on the terminal); it is kept as sumy keeps it."""
    import warnings

    from sumy.nlp.stemmers import Stemmer as SumyStemmer

    czech = stemmer("czech")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert czech("של") == "של"
        assert czech("האינטרנט") == "האינטרנט"
        for word in ("hrady", "Praha", "ČESKO", "počítačů"):
            assert czech(word) == SumyStemmer("czech")(word)
