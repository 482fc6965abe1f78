"""The news summarizer: furniture never picked, no repeats, word budgets, other languages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from digest.models import Article
from digest.summarize.news import NewsSummarizer, is_furniture
from digest.summarize.registry import summarize_article
from digest.text.language import detect, from_code, language_of

NOISY = "\n\n".join([
    "By . Associated Press . PUBLISHED: . 14:11 EST, 25 October 2013 . | . UPDATED: . "
    "15:36 EST, 25 October 2013 .",
    "The harbour authority in Eastport closed the northern pier on Tuesday after storm "
    "waves cracked two of its concrete supports.",
    "Engineers said the pier would stay shut for at least three weeks while divers "
    "inspect the damaged supports below the waterline.",
    "The harbour authority closed the northern pier on Tuesday after storm waves cracked "
    "two of its concrete supports, officials in Eastport said.",
    "Ferry services to the island of Marrow will use the southern pier until repairs "
    "are finished, the operator said in a statement.",
    "Read more: Storm season brings record waves to the coast",
    "Fishing crews said the closure would cost them a week of landings at the busiest "
    "time of the year.",
    "(Photo: Getty Images) The damaged pier seen from the harbour wall on Tuesday morning.",
    "Subscribe to our newsletter for the latest local news every morning.",
])


def test_furniture_is_never_picked_and_a_restatement_is_not_repeated(
    make_article: Callable[..., Article],
) -> None:
    article = make_article(title="Storm cracks Eastport pier supports", body=NOISY)
    summary = summarize_article(article, "news", 3, "english")
    text = " ".join(summary.sentences)
    assert summary.algorithm == "news" and len(summary.sentences) == 3
    for furniture in ("PUBLISHED", "Read more", "Getty", "Subscribe"):
        assert furniture not in text
    # The opening fact leads; its near restatement in paragraph four is left out.
    assert summary.sentences[0].startswith("The harbour authority in Eastport closed")
    assert not any(s.startswith("The harbour authority closed the northern pier")
                   for s in summary.sentences)


@pytest.mark.parametrize("line", [
    "By . Daily Mail Reporter .", "PUBLISHED: 10:01 EST, 2 May 2014", "Read more about this",
    "Click here to sign up for our briefing", "Follow us on Twitter for updates today",
    "A man walks past (Photo: John Smith/Reuters) the closed shop on Tuesday",
    "This photo released by the ministry shows smoke rising from the crash site on Sunday.",
    "Crowds gathered outside the court in the rain. GETTY IMAGES for the agency",
    "Fans cheer the team bus as it arrives home (P\u0130CTURE: Ana Ruiz) at noon",
    "Fans cheer the team bus as it arrives home (p\u0131cture: Ana Ruiz) at noon",
    # Tails of sentences the tokenizer cut at an abbreviation.
    "), orache, wild spinach, goosefoot, fat hen and muck weed grow here.",
    ': "I joined Island Records in 1977 and worked on his show that week.',
])
def test_page_furniture_lines_are_recognised(line: str) -> None:
    assert is_furniture(line, len(line.split()))


def test_the_credit_hint_sees_every_spelling_the_credit_pattern_matches() -> None:
    """`is_furniture` runs the credit pattern only on sentences its plain hint finds: every
    character the pattern's IGNORECASE reads as a letter of the hint's words must read so
    once casefolded too, or a credit would be missed."""
    import re
    import sys

    from digest.summarize.news import _CREDIT_HINT

    letters = sorted(set(_CREDIT_HINT.pattern.replace("|", "")))
    alike = re.compile("[" + re.escape("".join(letters)) + "]", re.IGNORECASE)
    odd = [hex(code) for code in range(sys.maxunicode + 1)
           if alike.fullmatch(chr(code))
           and chr(code).casefold().replace("\u0131", "i").replace("\u0307", "") not in letters]
    assert odd == []


def test_ordinary_news_sentences_are_not_furniture() -> None:
    for line in ("The council approved the new budget for buses and trams on Monday evening.",
                 '"We will rebuild the pier by spring," the harbour master said on Monday.',
                 "(Updated) The council approved the new budget for buses on Monday."):
        assert not is_furniture(line, len(line.split()))


def test_a_word_budget_never_cuts_a_sentence(make_article: Callable[..., Article]) -> None:
    article = make_article(title="Storm cracks Eastport pier supports", body=NOISY)
    for algorithm in ("news", "lexrank"):  # ours through its own loop, sumy's through count
        summary = summarize_article(article, algorithm, 3, "english", words=45)
        words = sum(len(s.split()) for s in summary.sentences)
        assert summary.sentences and words <= 45, (algorithm, summary)
        assert all(s in NOISY for s in summary.sentences)  # whole sentences only
    whole = summarize_article(article, "news", 3, "english", words=10_000)
    assert whole.whole


TEXTS = {
    "german": ("Sturm beschädigt Hafen von Eastport", [
        "Der Hafen von Eastport hat am Dienstag den nördlichen Pier geschlossen, nachdem "
        "Sturmwellen zwei Betonstützen beschädigt hatten.",
        "Ingenieure sagten, der Pier bleibe mindestens drei Wochen gesperrt, während "
        "Taucher die Schäden unter der Wasserlinie untersuchen.",
        "Die Fähren zur Insel Marrow legen bis zum Ende der Reparaturen am südlichen Pier "
        "an, teilte der Betreiber mit.",
        "Die Fischer rechnen wegen der Sperrung mit einer Woche ohne Anlandungen in der "
        "geschäftigsten Zeit des Jahres."]),
    "french": ("La tempête endommage le port d'Eastport", [
        "Le port d'Eastport a fermé mardi la jetée nord après que des vagues de tempête "
        "ont fissuré deux de ses piliers en béton.",
        "Les ingénieurs ont déclaré que la jetée resterait fermée au moins trois semaines "
        "pendant que des plongeurs inspectent les piliers endommagés.",
        "Les ferries vers l'île de Marrow utiliseront la jetée sud jusqu'à la fin des "
        "réparations, a indiqué l'opérateur.",
        "Les pêcheurs estiment que la fermeture leur coûtera une semaine de débarquements "
        "au moment le plus chargé de l'année."]),
    "spanish": ("La tormenta daña el puerto de Eastport", [
        "El puerto de Eastport cerró el martes el muelle norte después de que las olas de "
        "la tormenta agrietaran dos de sus pilares de hormigón.",
        "Los ingenieros dijeron que el muelle permanecerá cerrado al menos tres semanas "
        "mientras los buzos inspeccionan los pilares dañados.",
        "Los transbordadores a la isla de Marrow usarán el muelle sur hasta que terminen "
        "las reparaciones, dijo el operador.",
        "Los pescadores dijeron que el cierre les costará una semana de capturas en la "
        "época de más trabajo del año."]),
    "portuguese": ("Tempestade danifica o porto de Eastport", [
        "O porto de Eastport fechou na terça-feira o cais norte depois que as ondas da "
        "tempestade racharam dois de seus pilares de concreto.",
        "Os engenheiros disseram que o cais ficará fechado por pelo menos três semanas "
        "enquanto mergulhadores inspecionam os pilares danificados.",
        "As balsas para a ilha de Marrow usarão o cais sul até o fim dos reparos, disse "
        "a operadora.",
        "Os pescadores disseram que o fechamento vai custar uma semana de pesca na época "
        "mais movimentada do ano."]),
    "russian": ("Шторм повредил порт Истпорта", [
        "Порт Истпорта во вторник закрыл северный причал после того, как штормовые волны "
        "повредили две его бетонные опоры.",
        "Инженеры сообщили, что причал будет закрыт не менее трёх недель, пока водолазы "
        "осматривают повреждённые опоры.",
        "Паромы на остров Марроу будут причаливать к южному причалу до окончания ремонта, "
        "сообщил оператор.",
        "Рыбаки говорят, что закрытие будет стоить им недели улова в самое загруженное "
        "время года."]),
}


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_other_languages_are_detected_and_summarized(
    language: str, make_article: Callable[..., Article],
) -> None:
    title, paragraphs = TEXTS[language]
    article = make_article(title=title, body="\n\n".join(paragraphs))
    assert language_of(article) == language
    summary = summarize_article(article, "news", 2)  # language "auto"
    assert summary.sentences == (paragraphs[0], paragraphs[1]) or len(summary.sentences) == 2
    assert all(s in paragraphs for s in summary.sentences)


def test_a_feed_declared_language_wins_over_detection(
    make_article: Callable[..., Article],
) -> None:
    title, paragraphs = TEXTS["german"]
    article = make_article(title=title, body="\n\n".join(paragraphs))
    declared = Article(**{**article.__dict__, "language": "fr-FR"})
    assert language_of(declared) == "french"
    assert from_code("pt_BR") == "portuguese" and from_code("zh-CN") is None
    assert detect("ok") is None  # too little text to tell


def test_plugs_into_sumy_like_its_own_summarizers() -> None:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer

    from digest.text.tokenizer import PunktTokenizer

    tokenizer = PunktTokenizer("english")
    paragraphs = [Paragraph([Sentence("Pier closed after storm", tokenizer, is_heading=True)]),
                  Paragraph([Sentence(p, tokenizer) for p in NOISY.split("\n\n")])]
    chosen = NewsSummarizer(Stemmer("english"))(ObjectDocumentModel(paragraphs), 2)
    assert len(chosen) == 2 and all(isinstance(s, Sentence) for s in chosen)


def test_summaries_of_the_fixture_articles_are_pinned() -> None:
    """The summarizer's choices stay exactly as pinned when its code is made faster.

    tests/fixtures/summaries/expected.json was written by the summarizer of
    NEWS_VERSION 2; a change that alters a summary on purpose raises
    NEWS_VERSION and writes the pins again.
    """
    import json
    from datetime import UTC, datetime
    from pathlib import Path

    from digest.summarize.registry import NEWS_VERSION, summarize_article

    root = Path(__file__).parent / "fixtures" / "summaries"
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    assert NEWS_VERSION == "2"
    for line in (root / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        article = Article(id=item["id"], source="fixture", title=item["title"],
                          body=item["body"], published=datetime(2026, 11, 20, tzinfo=UTC))
        found = {
            "3 sentences": list(summarize_article(article, "news", 3).sentences),
            "2 sentences": list(summarize_article(article, "news", 2).sentences),
            "40 words": list(summarize_article(article, "news", 3, words=40).sentences),
        }
        assert found == expected[item["id"]], item["id"]
