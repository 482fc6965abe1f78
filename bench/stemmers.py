"""Compare our stemmers (digest.text.stems) with nltk's Snowball stemmers, which sumy uses.

    .venv/bin/python bench/stemmers.py ../shared/data [--words 50000]

For every language nltk stems, the stems of wordfreq's commonest words; for
English also every word of the shared English news articles (BBC, CNN, news
clusters), split as the summarizer splits them. Prints, per language, how
many words differ, a few of them, and microseconds per word of each stemmer.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from nltk.stem.snowball import SnowballStemmer

from digest.text.stems import COMPILED, stemmer
from digest.text.tokenizer import PunktTokenizer

CODES = {"arabic": "ar", "danish": "da", "dutch": "nl", "english": "en", "finnish": "fi",
         "french": "fr", "german": "de", "hungarian": "hu", "italian": "it",
         "norwegian": "nb", "portuguese": "pt", "romanian": "ro", "russian": "ru",
         "spanish": "es", "swedish": "sv"}


def news_words(data: Path) -> set[str]:
    """Every lowercased word of the shared English articles."""
    words = PunktTokenizer("english").to_words
    texts: list[str] = []
    bbc = data / "bbc_news_summary" / "BBC News Summary" / "News Articles"
    texts += [p.read_bytes().decode("utf-8", "replace") for p in sorted(bbc.glob("*/*.txt"))]
    for path in sorted((data / "news_event_clusters" / "data").glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        texts.append(" ".join(str(item.get(k) or "") for k in ("title", "description", "text")))
    csv.field_size_limit(1 << 30)
    with open(data / "cnn_dailymail_sample100" / "train_sample.csv", encoding="utf-8") as f:
        texts += [row["article"] for row in csv.DictReader(f)]
    return {w.lower() for text in texts for w in words(text)}


def per_word(stem: Callable[[str], str], words: Iterable[str]) -> tuple[dict[str, str], float]:
    words = list(words)
    start = time.perf_counter()
    stems = {w: stem(w) for w in words}
    return stems, (time.perf_counter() - start) / max(len(words), 1) * 1e6


def compare(name: str, language: str, words: Iterable[str]) -> None:
    import Stemmer

    words = sorted(set(words))
    ours = stemmer(language) if language in COMPILED else Stemmer.Stemmer(language).stemWord
    reference, nltk_us = per_word(SnowballStemmer(language).stem, words)
    found, ours_us = per_word(ours, words)
    differ = [w for w in words if reference[w] != found[w]]
    shown = ", ".join(f"{w}: {reference[w]}/{found[w]}" for w in differ[:3])
    print(f"| {name} | {'yes' if language in COMPILED else 'no'} | {len(words):,} | "
          f"{len(differ)} | {nltk_us:.1f} | {ours_us:.2f} | {shown} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder (../shared/data)")
    parser.add_argument("--words", type=int, default=50_000, help="commonest words per language")
    args = parser.parse_args()
    from wordfreq import top_n_list

    print("| words | compiled here | words | differ | nltk µs/word | compiled µs/word "
          "| first differences (nltk/compiled) |")
    print("|---|---|---:|---:|---:|---:|---|")
    compare("English news articles", "english", news_words(args.data))
    for language, code in CODES.items():
        words = {w.lower() for w in top_n_list(code, args.words) if re.search(r"\w", w)}
        compare(f"{language}, commonest", language, words)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
