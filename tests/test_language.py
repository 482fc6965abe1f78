from __future__ import annotations

from typing import Any

import pytest

from digest.text import language
from digest.text.language import _identifier, classify_all, detect, detect_all, score_all

# A few sentences in each supported language (written for these tests), of
# very different lengths, so that the texts end at different byte positions.
TEXTS = [
    "The city council voted on Tuesday to close two libraries next spring, citing a "
    "shortfall of four million pounds in its budget.",
    "Der Stadtrat hat am Dienstag beschlossen, im nächsten Frühjahr zwei Bibliotheken zu "
    "schließen, weil im Haushalt vier Millionen Euro fehlen.",
    "Le conseil municipal a voté mardi la fermeture de deux bibliothèques au printemps "
    "prochain, faute de quatre millions d'euros dans son budget.",
    "El ayuntamiento votó el martes cerrar dos bibliotecas la próxima primavera por un "
    "déficit de cuatro millones de euros en su presupuesto.",
    "Il consiglio comunale ha votato martedì la chiusura di due biblioteche la prossima "
    "primavera, per un buco di quattro milioni nel bilancio.",
    "A câmara municipal votou na terça-feira o encerramento de duas bibliotecas na próxima "
    "primavera, por falta de quatro milhões de euros no orçamento.",
    "De gemeenteraad heeft dinsdag besloten volgend voorjaar twee bibliotheken te sluiten "
    "wegens een tekort van vier miljoen euro op de begroting.",
    "Kommunfullmäktige beslutade i tisdags att stänga två bibliotek nästa vår på grund av "
    "ett underskott på fyra miljoner kronor i budgeten.",
    "Byrådet besluttede tirsdag at lukke to biblioteker til foråret på grund af et "
    "underskud på fire millioner kroner i budgettet.",
    "Kaupunginvaltuusto päätti tiistaina sulkea kaksi kirjastoa ensi keväänä, koska "
    "budjetista puuttuu neljä miljoonaa euroa.",
    "Rada miasta zdecydowała we wtorek o zamknięciu dwóch bibliotek na wiosnę z powodu "
    "braku czterech milionów złotych w budżecie.",
    "Zastupitelstvo v úterý rozhodlo, že příští jaro zavře dvě knihovny, protože v "
    "rozpočtu chybějí čtyři miliony korun.",
    "Городской совет во вторник проголосовал за закрытие двух библиотек следующей весной "
    "из-за нехватки четырёх миллионов в бюджете.",
    "Το δημοτικό συμβούλιο αποφάσισε την Τρίτη να κλείσει δύο βιβλιοθήκες την επόμενη "
    "άνοιξη, λόγω ελλείμματος τεσσάρων εκατομμυρίων.",
    "BREAKING: MARKETS FALL AS RATES RISE",
    "Short note.",
    "The council said it would look again at the plan. " * 30,  # longer than the sample
]


def test_classify_all_answers_as_py3langid_does_text_by_text() -> None:
    identifier = _identifier()
    expected = [identifier.classify(text)[0] for text in TEXTS]
    assert classify_all(identifier, TEXTS) == expected
    assert expected[:4] == ["en", "de", "fr", "es"]
    # One text alone, and a batch in another order, give the same answers.
    assert classify_all(identifier, TEXTS[1:2]) == expected[1:2]
    assert classify_all(identifier, TEXTS[::-1]) == expected[::-1]
    assert classify_all(identifier, []) == []
    # The scores themselves are py3langid's, bit for bit.
    for text, scores in zip(TEXTS, score_all(identifier, TEXTS), strict=True):
        assert scores.tobytes() == identifier._raw_score(identifier._encode(text)).tobytes()


def test_classify_all_walks_the_batch_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    identifier = _identifier()
    expected = [identifier.classify(text)[0] for text in TEXTS]
    asked: list[str] = []
    real = type(identifier).classify

    def one_at_a_time(self: Any, text: str) -> Any:
        asked.append(text)
        return real(self, text)

    monkeypatch.setattr(type(identifier), "classify", one_at_a_time)
    assert classify_all(identifier, TEXTS) == expected
    assert asked == []  # every text had features: none was classified alone


def test_detect_all_asks_the_model_once_per_new_text(monkeypatch: pytest.MonkeyPatch) -> None:
    batches: list[int] = []
    real = language.classify_all

    def counted(identifier: Any, samples: Any) -> list[str]:
        batches.append(len(samples))
        return real(identifier, samples)

    monkeypatch.setattr(language, "classify_all", counted)
    monkeypatch.setattr(language, "_DETECTED", {})
    texts = [TEXTS[0], TEXTS[1], TEXTS[0], "tiny", TEXTS[2]]
    assert detect_all(texts) == ["english", "german", "english", None, "french"]
    assert batches == [3]  # the repeat and the too-short text are not sent
    assert detect_all(texts[:2]) == ["english", "german"] and batches == [3]
    assert detect(TEXTS[2]) == "french" and batches == [3]
