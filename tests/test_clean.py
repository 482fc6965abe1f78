from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.ingest.folder import read_folder
from digest.text.clean import (
    MAX_TITLE_CHARS,
    build_rules,
    clean_article,
    clean_body,
    normalize_text,
    shorten,
)

SEED_FURNITURE = (
    "Unlock the White House Watch newsletter for free",
    "More From Author",
    "68 players for Blue Jays to watch ahead of trade deadline",
    "OMV Petrom discovers new natural gas reservoir in Spineni, Romania",
    "Leave a Reply",
    "Your email address will not be published",
    "Required fields are marked",
)


def test_seed_furniture_is_removed_and_article_text_kept(seeds_dir: Path) -> None:
    rules = build_rules()
    seed = next(a for a in read_folder(seeds_dir).articles if "001_" in a.location)
    cleaned = clean_article(seed, rules)
    for line in SEED_FURNITURE:
        assert line not in cleaned.body
    assert cleaned.body.startswith("Donald Trump and Volodymyr Zelenskyy on Friday discussed")
    assert cleaned.body.endswith("has sent three Patriot systems to Kyiv from its own stocks.")
    assert len(cleaned.body.split("\n\n")) == 24


def test_other_seeds_lose_nothing(seeds_dir: Path) -> None:
    rules = build_rules()
    for article in read_folder(seeds_dir).articles:
        if "001_" in article.location:
            continue
        assert clean_article(article, rules).body == article.body


def test_trailing_marker_followed_by_prose_is_not_cut() -> None:
    prose = " ".join(["The council met again on Tuesday to discuss the budget."] * 4)
    body = f"First paragraph of the story.\n\nRelated\n\n{prose}"
    assert clean_body(body, "Title", build_rules()) == body


def test_repeated_title_at_start_of_body_is_dropped() -> None:
    assert clean_body("Big News\n\nThe text.", "Big news", build_rules()) == "The text."


def test_rules_from_config_are_added_and_defaults_can_be_turned_off() -> None:
    body = "Story text here.\n\nAdvertisement\n\nPromo: win a car"
    custom = build_rules(drop_lines=[r"promo: .*"])
    assert clean_body(body, "T", custom) == "Story text here."
    bare = build_rules(drop_lines=[r"promo: .*"], use_defaults=False)
    assert clean_body(body, "T", bare) == "Story text here.\n\nAdvertisement"


# Paragraphs each default rule drops or cuts from, and prose none of them matches.
_RULE_SAMPLES = ["Advertisement", "Share this story on Facebook", "Leave a comment",
                 "12 comments", "Related stories:", "By JANE DOE and John Roe",
                 "Read more at Aeon", "Sign up for our newsletter today", "Photo credit: AP",
                 "By the end of the day the ferry was running.", "Comments were closed.",
                 "Sponsored", "sponsored content!", "Recommended for you"]


@given(st.lists(st.sampled_from(_RULE_SAMPLES) | st.text(max_size=40), max_size=6))
def test_the_rules_joined_in_one_pattern_decide_as_each_would(paragraphs: list[str]) -> None:
    import re

    from digest.text.clean import DEFAULT_CUT_FROM, DEFAULT_DROP_LINES

    rules = build_rules()
    # Each default set is compiled as one pattern.
    assert (len(rules.drop_lines), len(rules.cut_from)) == (1, 1)
    one_by_one = dataclasses.replace(
        rules, drop_lines=tuple(re.compile(p, re.IGNORECASE) for p in DEFAULT_DROP_LINES),
        cut_from=tuple(re.compile(p, re.IGNORECASE) for p in DEFAULT_CUT_FROM))
    body = "\n\n".join(["An opening paragraph of the story.", *paragraphs])
    assert clean_body(body, "T", rules) == clean_body(body, "T", one_by_one)


def test_rules_that_refer_to_their_own_groups_stay_apart() -> None:
    # "(\w+) \1" means a doubled word only as a pattern of its own.
    rules = build_rules(drop_lines=[r"(\w+) \1", r"promo"], use_defaults=False)
    assert len(rules.drop_lines) == 2
    assert clean_body("Text.\n\nbuy buy\n\nbuy now\n\nPromo", "T", rules) == (
        "Text.\n\nbuy now")
    flagged = build_rules(drop_lines=[r"(?s)promo.*", r"other"], use_defaults=False)
    assert len(flagged.drop_lines) == 2


def test_normalize_text_folds_spaces_and_drops_invisible_characters() -> None:
    text = "Caf\u0065\u0301  au\u00a0lait\u200b.\r\n\r\n\r\nNext\tline"
    assert normalize_text(text) == "Café au lait.\n\nNext line"


@given(st.text())
def test_normalize_text_is_idempotent_and_leaves_no_double_spaces(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert "  " not in once
    assert "\n\n\n" not in once


@pytest.mark.parametrize(("paragraph", "expected"), [
    ("The president spoke on Friday. (Image credit: Evan Vucci/AP) He took questions.",
     "The president spoke on Friday. He took questions."),
    ("Image copyright Getty Images The app was removed from the store.",
     "The app was removed from the store."),
    ("The app was removed Dado Ruvic/Reuters from the store on Thursday.",
     "The app was removed from the store on Thursday."),
    ("Apps were pulled. (Photo: Telegram) The founder said so. Read more...",
     "Apps were pulled. The founder said so."),
    ("The pier reopened. The post Pier reopens appeared first on Coast News.",
     "The pier reopened."),
    # A scraped page's byline and time stamps ahead of the text.
    ("By . Daily Mail Reporter . PUBLISHED: . 14:11 EST, 25 October 2013 . | . UPDATED: . "
     "15:36 EST, 25 October 2013 . The bishop spoke.", "The bishop spoke."),
    ("By . Jane Roe . and Ted Doe . A dog was saved.", "A dog was saved."),
    ("By . Jane Roe . Last updated at 1:25 AM on 3rd August 2011 . The den reopened.",
     "The den reopened."),
])
def test_credits_and_boilerplate_go_wherever_they_stand(paragraph: str, expected: str) -> None:
    assert clean_body(paragraph, "", build_rules()) == expected


def test_bylines_and_pointers_to_the_page_are_furniture() -> None:
    item = ("Ethical values can be objective yet need no foundation.\n\n- by Andrew Sepielli"
            "\n\nRead at Aeon")
    assert clean_body(item, "", build_rules()) == (
        "Ethical values can be objective yet need no foundation.")
    video = "A specialist explains how dying unfolds.\n\nBy AEON VIDEO and Jo Roe\n\nWatch on Aeon"
    assert clean_body(video, "", build_rules()) == "A specialist explains how dying unfolds."
    # Prose that starts like a byline or a pointer stays.
    for prose in ("By the end of the day the storm had passed.", "By noon it was over.",
                  "The letter was read at the meeting by the chair.", "Read on."):
        assert clean_body(prose, "", build_rules()) == prose


@pytest.mark.parametrize("furniture", [
    "submitted by /u/alice to /r/worldnews\n\n[link] [1086 comments]",
    "submitted by alice to worldnews\n\n[link] [87 comments]",
    "submitted byalicetoworldnews\n\n[link][339 comments]",  # links glued, as some feeds give them
    "Article URL: https://pg.example/news/19\n\nComments URL: https://agg.example/item?id=1"
    "\n\nPoints: 312\n\n# Comments: 97",
])
def test_link_aggregators_lines_are_furniture(furniture: str) -> None:
    """Reddit's and hnrss's lines under every item: a link post keeps no text at all."""
    assert clean_body(furniture, "", build_rules()) == ""
    post = "The council voted on Tuesday to close the old bridge for repairs."
    assert clean_body(f"{post}\n\n{furniture}", "", build_rules()) == post
    for prose in ("Points were deducted for the late filing.",
                  "She submitted by hand a letter to the council.", "Comments are welcome."):
        assert clean_body(prose, "", build_rules()) == prose


@pytest.mark.parametrize("furniture", [
    "Rewriting our build system was originally published in Acme Engineering on Medium, where "
    "people are continuing the conversation by highlighting and responding to this story.",
    "Thanks for reading The Ledger! Subscribe for free to receive new posts and support my work."
    "\n\nSubscribe now\n\nShare",
    "Sign up for more like this.\n\nEnter your email",
    "Posted by Jane to Garden Notes", "Posted by Jane Doe at 3:15 PM",
])
def test_blog_platforms_lines_are_furniture(furniture: str) -> None:
    post = "We rewrote our build system in Rust and cut CI times by half."
    assert clean_body(f"{post}\n\n{furniture}", "", build_rules()) == post
    for prose in ("Posted by the council to every household, the leaflet explained the rules.",
                  "Subscribe to the idea that markets are efficient, and you will be disappointed.",
                  "Sign up now, said the recruiter."):
        assert clean_body(prose, "", build_rules()) == prose


def test_inline_rules_leave_ordinary_prose_alone() -> None:
    for prose in ("Reuters reported that the photo agency's image library was sold for $5m.",
                  "Old gadgets should be recycled, said the Environmental Protection Agency (EPA).",
                  "WASHINGTON (AP) — The Senate passed the bill on a vote of 51-49."):
        assert clean_body(prose, "", build_rules()) == prose


def test_a_giant_title_is_cut_at_a_word() -> None:
    assert shorten("Ferry returns", 20) == "Ferry returns"
    assert shorten("Ferry returns after a pause", 16) == "Ferry returns…"
    assert shorten("Ferry returns, at last", 15) == "Ferry returns…"
    assert shorten("Unbreakableword", 6) == "Unbre…"
    from datetime import UTC, datetime

    from digest.models import Article

    article = Article(id="a1", source="s", title="Word " * 40_000, body="Text.", url=None,
                      published=datetime(2026, 11, 23, tzinfo=UTC))
    title = clean_article(article, build_rules()).title
    assert len(title) <= MAX_TITLE_CHARS and title.endswith("Word…")
