"""What a section label may be: key phrases an editor would accept, nothing else.

A label is one to three key phrases: people, places, organisations,
subjects ("Bank of England · Interest rates"). `label_problems` names what is
wrong with a phrase or label; `acceptable_phrase` is the test the labeller
applies to every candidate phrase.
"""

from __future__ import annotations

import re


def _vocabulary(words: str) -> frozenset[str]:
    return frozenset(words.split())


WEEKDAYS = _vocabulary(
    "monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow "
    "weekend tonight ")
MONTHS = _vocabulary(
    "january february march april may june july august september october november "
    "december jan feb mar apr jun jul aug sep sept oct nov dec ")
# News agencies, picture desks and the words of credits and captions.
CREDITS = _vocabulary(
    "ap afp reuters upi pa epa dpa xinhua ansa efe kyodo tass bloomberg getty images "
    "image photo photos picture pictures photograph caption captions credit credits "
    "copyright shutterstock alamy toggle enlarge hide video videos gallery ")
# What is left of markup and entities when text was not decoded.
MARKUP = _vocabulary(
    "lt gt amp quot apos nbsp href http https www html htm com org src img alt div "
    "span br nofollow rel target blank ")
# Feed and page boilerplate.
BOILERPLATE = _vocabulary(
    "read continue continued reading click subscribe subscribers newsletter newsletters "
    "unsubscribe tweet retweet appeared advertisement advertising sponsored podcast "
    "listen watch ")
BOILERPLATE_PHRASES = ("read more", "continue reading", "click here", "sign up",
                       "appeared first", "full story", "more news")
HONORIFICS = _vocabulary(
    "mr mrs ms miss dr sir madam mister lord lady dame rev prof st jr sr ")
# Words that never stand alone as a subject: function words, reporting verbs and
# the commonest verbs of news copy, and quantities.
FUNCTION_WORDS = _vocabulary(
    "a an the and or but of to in on at by for with from as into over after before about "
    "than then that this these those it its is are was were be been being has have had do "
    "does did will would can could should may might must not no yes new old more most "
    "less first last next also just said says say told tells according year years week "
    "weeks day days time times people man men woman women one two three four five six "
    "seven eight nine ten per cent percent up down out off ")
COMMON_VERBS = _vocabulary(
    "win wins won beat beats lose loses lost started start starts called call calls "
    "involved make makes made take takes took get gets got go goes went come comes came "
    "set sets see sees saw seen give gives gave keep keeps kept hit hits "
    "face faces faced back backs backed hold holds held rise rises rose fall falls fell "
    "cut cuts use uses used plan plans planned need needs needed want wants wanted expect "
    "expects expected claim claims claimed warn warns warned urge urges urged ask asks "
    "asked move moves moved help helps helped look looks looked reach reaches reached "
    "announced reported released launched added including die dies died find finds found ")
_AMBIGUOUS = frozenset({"may", "march"})
# A word longer than this is run-together text (or a broken feed's endless
# "word"), not one a heading can hold: English's long words ("internationalization",
# "counterintelligence") have about 20 letters.
MAX_WORD_CHARS = 30
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+", re.UNICODE)


def label_problems(label: str) -> list[str]:
    """Return what makes `label` (phrases joined by " · ") unacceptable; empty when fine."""
    phrases = [p.strip() for p in label.split("·")]
    problems: list[str] = []
    if not 1 <= len(phrases) <= 3:
        problems.append(f"{len(phrases)} phrases")
    for phrase in phrases:
        problems += [f"{phrase!r}: {p}" for p in phrase_problems(phrase)]
    return problems


def phrase_problems(phrase: str) -> list[str]:
    """Return what makes one key phrase unacceptable in a label."""
    words = [w.casefold() for w in _WORD.findall(phrase)]
    if not words:
        return ["no words"]
    problems = []
    kinds = ((WEEKDAYS | MONTHS, "a day or month"), (CREDITS, "an agency or credit"),
             (MARKUP, "markup"), (HONORIFICS, "an honorific"))
    for vocabulary, what in kinds:
        # "May" and "March" are names and verbs too: a month only when alone.
        if any(w in vocabulary and (w not in _AMBIGUOUS or len(words) == 1) for w in words):
            problems.append(f"contains {what}")
    lowered = " ".join(words)
    if any(p in lowered for p in BOILERPLATE_PHRASES) or any(w in BOILERPLATE for w in words):
        problems.append("boilerplate")
    if words[0] in FUNCTION_WORDS or words[-1] in FUNCTION_WORDS:
        problems.append("starts or ends with a function word")
    if len(words) == 1 and (words[0] in COMMON_VERBS or _looks_like_verb(phrase)):
        problems.append("a lone verb")
    surface = _WORD.findall(phrase)
    if (len(surface) >= 3 and surface[-1][:1].islower()
            and all(w[:1].isupper() for w in surface[-3:-1])):
        problems.append("a name and a trailing word (\"Zelenskyy discuss\")")
    if any(w.isdigit() for w in words):
        problems.append("a figure")
    if any(len(w) < 2 for w in words):
        problems.append("a stray letter")
    if any(len(w) > MAX_WORD_CHARS for w in words):
        problems.append(f"a word of more than {MAX_WORD_CHARS} letters")
    return problems


def acceptable_phrase(phrase: str) -> bool:
    """Return whether `phrase` may stand in a label."""
    return not phrase_problems(phrase)


def _looks_like_verb(word: str) -> bool:
    # A lone lower-case past form ("clashed", "involved") reads as a verb, not
    # a subject; capitalised words are names ("Reed", "Ming").
    return word[:1].islower() and word.endswith("ed") and len(word) > 4
