"""Prepare each article once: normalised text without page furniture, its keys, its language.

What is computed here is carried on the article from then on (and stored):
the identity keys for duplicate checks and the language every later stage uses.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from digest.models import Article
from digest.text.keys import code_version, fingerprint, with_keys
from digest.text.language import detect_all, from_code

# A paragraph matching one of these (the whole paragraph, any case) is dropped.
DEFAULT_DROP_LINES: tuple[str, ...] = (
    r"unlock the .{0,80}newsletter.*",
    r"(sign up|subscribe)( now| today)?( for free)? (for|to) .{0,80}(newsletter|updates).*",
    r"(get|receive) (our|the) .{0,60}newsletter.*",
    r"leave a (reply|comment)",
    r"your email address will not be published.*",
    r"required fields are marked.*",
    r"advertisement|sponsored( content)?|story continues below( advertisement)?",
    r"share( this( article| story)?)?( on \w+)?|share via .*",
    r"(click|tap) here to .{0,100}",
    r"follow us on .{0,80}",
    r"(photo|image|picture)( credit)?s?: .{0,120}",
    # A byline standing alone ("- by Andrew Sepielli", "By JANE DOE and John Roe"):
    # names only, so "By the end of the day" is prose.
    r"[-–—•]?\s*by\s+(?-i:[A-Z][\w.'’-]*(?:,?\s+(?:[A-Z][\w.'’-]*|and|&))*)",
    # A feed item's pointer to the page: "Read at Aeon", "Watch on YouTube".
    r"(read|watch|listen)( it| more| the full \w+)? (at|on) [^.]{1,60}",
    # Link aggregators' lines under each item: Reddit's "submitted by /u/name"
    # and "[link] [comments]", hnrss's "Article URL: ...", "Points: 12", "# Comments: 3".
    r"submitted by\s*(/?u/)?[\w-]{1,60}(\s*to\s*(/?r/)?\w{1,60})?(\s*\[link\])?"
    r"(\s*\[\d* ?comments?\])?",
    r"(\[link\]\s*)?\[\d* ?comments?\]",
    r"(article|comments) url:?\s*\S+",
    r"(points|# ?comments):?\s*\d+",
    # Blog platforms' lines: Medium's "... was originally published in ... on
    # Medium, where people are continuing the conversation ...", Substack's
    # "Thanks for reading X! Subscribe for free ..." and its buttons, Ghost's
    # sign-up form, Blogger's "Posted by Jane at 3:15 PM".
    r".{1,300} was originally published in .{1,120} on medium, where people are continuing "
    r"the conversation by highlighting and responding to this story",
    r"thanks for reading [^.!?]{1,120}[.!?]? ?(subscribe|share)\b.{0,200}",
    r"(subscribe|sign up)( now| for free| today| for more( like this)?)?",
    r"enter your e-?mail( address)?",
    r"posted by [\w .'’-]{1,60}?( at \d{1,2}:\d{2}( ?[ap]m)?| to [^.!?,;]{1,60})?",
)

# A paragraph matching one of these starts trailing furniture: it and the rest
# go, provided no real prose follows it (see `_is_prose`).
DEFAULT_CUT_FROM: tuple[str, ...] = (
    r"more from (the )?author",
    r"related( articles| stories| posts| coverage| reading)?:?",
    r"(read|see) (more|also)( on this( story| topic)?)?:?",
    r"you (may|might) also (like|be interested in):?",
    r"most (read|popular|viewed)",
    r"more (stories|news|articles)( from .{0,40})?",
    r"recommended( for you| stories)?",
    r"trending( now| stories)?",
    r"leave a (reply|comment)",
    r"\d* ?comments?",
)

# Furniture inside a paragraph, removed wherever it stands: photo credits and
# captions, agency credits, "Read more" tails, feed footers. Each pattern
# matches the furniture only, never the sentence around it.
_AGENCY = r"(?:AP|AFP|Reuters|PA|EPA|Getty(?: Images)?|Bloomberg|Shutterstock|Xinhua|NPR|dpa)"
DEFAULT_INLINE: tuple[tuple[str, str], ...] = (
    # (a word the paragraph must hold, case folded, for the pattern to be tried: cheap), pattern
    # "(Image credit: Evan Vucci/AP)", "(Photo: Telegram)", "(AP Photo/Evan Vucci)"
    ("(", r"\((?i:image|photo|picture|video)s?(?i: credit| courtesy)?s?\s*:[^()]{0,120}\)"),
    # "(AP Photo/Evan Vucci)", "(Reuters/Jane Doe)", "(Getty Images)"; a bare "(EPA)" may
    # be an agency of another kind, and "(AP)" in a dateline is no picture credit.
    ("(", r"\(" + _AGENCY + r"(?: Photo| Images)?\s*/[^()]{1,80}\)"),
    ("(", r"\((?:AP|AFP|Reuters|PA|EPA) Photo\)|\(Getty(?: Images)?\)"),
    # "Image copyright Getty Images", "Image caption", "Hide Caption 1 of 59"
    ("image", r"\b(?i:image (?:copyright|caption))\s+(?:" + _AGENCY
     + r"|[A-Z][\w.&'-]+(?: [A-Z][\w.&'-]+)?)"),
    ("caption", r"\b(?i:hide caption)(?: \d+ of \d+)?"),
    ("photo", r"\b(?i:photos?): [A-Z][^.!?]{0,60}?/" + _AGENCY + r"\b"),
    # "Dado Ruvic/Reuters": a photographer's name and agency standing in a sentence.
    ("/", r"\b[A-Z][\w'-]+ [A-Z][\w'-]+/" + _AGENCY + r"\b"),
    # Tails of feed items.
    *((phrase, r"(?i:" + phrase + r")(?: (?:at|on) [^.]{1,60})?\s*(?:\.{3}|…|»|→|>>)?\s*$")
      for phrase in ("read more", "continue reading", "full story")),
    ("appeared first", r"\b(?i:the post) .{1,200}? (?i:appeared first on) .{1,100}?(?:\.|$)"),
    # A scraped page's head: "By . Daily Mail Reporter . PUBLISHED: . 14:11 EST, 25
    # October 2013 . | . UPDATED: . 15:36 EST, 25 October 2013 ."
    ("by", r"^(?i:by) \. (?:(?:[A-Z][\w'’-]*|and|&)\.? ){1,6}\. "
           r"(?:(?:and|&) (?:[A-Z][\w'’-]*\.? ){1,4}\. )*"),
    *((word, r"\b(?i:" + word + r"):\s*\.?\s*\d{1,2}:\d{2}(?: [A-Z]{2,4})?, \d{1,2} [A-Z][a-z]+ "
       r"\d{4}\s*\.?(?:\s*\|\s*\.?)?")
      for word in ("published", "updated")),
    ("last updated", r"\b(?i:last updated at) \d{1,2}:\d{2} ?(?i:am|pm) (?i:on) "
     r"\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+ \d{4}\s*\.?"),
)

# Furniture after a cut marker is headlines and form text; a paragraph this long
# is article prose, so a marker followed by one is left alone.
PROSE_MIN_WORDS = 25
# A title longer than this is cut at a word, with "…": it is a heading, and
# one of 200 KB (a broken or hostile feed) would be the whole page and email.
# The longest of the BBC and event sets' 2,523 titles has 165 characters.
MAX_TITLE_CHARS = 300

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CleaningRules:
    """Compiled furniture rules: paragraphs to drop, and markers of trailing furniture."""

    drop_lines: tuple[re.Pattern[str], ...]
    cut_from: tuple[re.Pattern[str], ...]
    inline: tuple[tuple[str, re.Pattern[str]], ...] = ()
    # What the rules and the cleaning code are (a hash): part of each article's read hash.
    key: str = ""


def build_rules(
    drop_lines: Iterable[str] = (), cut_from: Iterable[str] = (), use_defaults: bool = True
) -> CleaningRules:
    """Return the rule set: the defaults (unless turned off) plus the given patterns."""
    drops = (*DEFAULT_DROP_LINES, *drop_lines) if use_defaults else tuple(drop_lines)
    cuts = (*DEFAULT_CUT_FROM, *cut_from) if use_defaults else tuple(cut_from)
    inline = tuple((word, re.compile(p)) for word, p in DEFAULT_INLINE) if use_defaults else ()
    return CleaningRules(
        _one_pattern(drops),
        _one_pattern(cuts),
        inline,
        fingerprint(drops, cuts, [p for _, p in inline],
                    code_version("digest.text.clean", "digest.text.keys",
                                 "digest.text.language")),
    )


def _one_pattern(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """Compile `patterns` (any case) as one alternation, so a paragraph is tried once.

    A paragraph fully matches the alternation exactly when it fully matches
    one of them. Patterns that refer to their own groups (backreferences,
    conditionals) or set flags for the whole expression cannot be joined
    without changing their meaning: then each is compiled on its own.
    """
    if len(patterns) > 1 and not any(_SELF_REFERENCE.search(p) for p in patterns):
        try:
            return (re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE),)
        except re.error:
            pass  # e.g. a global flag such as "(?s)" inside the alternation, or a name twice
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


# A backreference ("\1", "(?P=name)"), a conditional ("(?(1)...)") or a
# global flag group ("(?i)"): what a pattern means inside an alternation differs.
_SELF_REFERENCE = re.compile(r"\\[0-9]|\(\?P=|\(\?\(|\(\?[aiLmsux]+\)")


def normalize_text(text: str) -> str:
    """Return `text` in NFC with invisible and control characters removed and spaces folded.

    Paragraph breaks (blank lines) are kept; every paragraph becomes one line.
    """
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def clean_body(body: str, title: str, rules: CleaningRules) -> str:
    """Return `body` normalised, with furniture paragraphs and a repeated title removed."""
    paragraphs = normalize_text(body).split("\n\n") if body.strip() else []
    if paragraphs and _same_text(paragraphs[0], title):
        paragraphs = paragraphs[1:]
    for index, paragraph in enumerate(paragraphs):
        if index and _matches(paragraph, rules.cut_from) and not any(
            _is_prose(p) for p in paragraphs[index + 1:]
        ):
            paragraphs = paragraphs[:index]
            break
    kept = [_strip_inline(p, rules.inline) for p in paragraphs
            if not _matches(p, rules.drop_lines)]
    return "\n\n".join(p for p in kept if p)


def _strip_inline(paragraph: str, patterns: tuple[tuple[str, re.Pattern[str]], ...]) -> str:
    folded = paragraph.casefold()
    changed = False
    for word, pattern in patterns:
        if word in folded:
            paragraph, count = pattern.subn(" ", paragraph)
            changed = changed or bool(count)
    return " ".join(paragraph.split()) if changed else paragraph


def clean_article(article: Article, rules: CleaningRules) -> Article:
    """Return `article` with a normalised title, a cleaned body, its keys and its language.

    The language is the feed's declaration when it names a supported one,
    else detected from the cleaned text, else left empty (too little text).
    The read hash the article carries (the pipeline's, which found it was
    not cleaned before) stays with it.
    """
    return clean_articles([article], rules)[0]


def shorten(text: str, limit: int) -> str:
    """Return `text` if it has at most `limit` characters, else cut at a word and end in "…"."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if not text[limit - 1].isspace() and " " in cut.strip():
        cut = cut.rsplit(None, 1)[0]  # the last word was cut through: drop it
    return cut.rstrip(" ,;:") + "…"


def clean_articles(articles: Iterable[Article], rules: CleaningRules) -> list[Article]:
    """Return every article cleaned (`clean_article`), in order.

    The languages the articles do not declare are detected together, in one
    pass of the model over the batch (`digest.text.language.detect_all`).
    """
    texts = []
    for article in articles:
        title = shorten(" ".join(normalize_text(article.title).split()), MAX_TITLE_CHARS)
        texts.append((article, title, clean_body(article.body, title, rules),
                      from_code(article.language)))
    detected = iter(detect_all([f"{title}\n{body}" for _, title, body, declared in texts
                                if not declared]))
    return [with_keys(dataclasses.replace(
                article, title=title, body=body, language=declared or next(detected) or "",
                url_key="", content_hash=""))
            for article, title, body, declared in texts]


def _matches(paragraph: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    text = paragraph.strip().rstrip(".*!: ")
    return any(p.fullmatch(text) or p.fullmatch(paragraph.strip()) for p in patterns)


def _is_prose(paragraph: str) -> bool:
    return len(paragraph.split()) >= PROSE_MIN_WORDS


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
