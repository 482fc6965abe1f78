from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from digest.group.labels import label_problems
from digest.group.themes import FALLBACK_LABEL, OTHER_NEWS, group_by_theme
from digest.ingest.folder import read_folder
from digest.models import Article
from digest.text.clean import build_rules, clean_articles


def _fixture_articles(articles_dir: Path) -> list[Article]:
    return clean_articles(read_folder(articles_dir).articles, build_rules())


def test_articles_on_the_same_topic_share_a_theme(articles_dir: Path) -> None:
    articles = _fixture_articles(articles_dir)
    themes = group_by_theme(articles)
    by_id = {a.id: a for a in articles}
    groups = [{by_id[i].location.rsplit("/", 1)[-1] for i in t.article_ids} for t in themes]
    assert {"chess-final.txt", "chess-olympiad.txt"} in groups
    assert {"river-flood.txt", "river-cleanup.txt"} in groups
    assert sorted(i for t in themes for i in t.article_ids) == sorted(by_id)


def test_labels_name_the_topic(articles_dir: Path) -> None:
    themes = group_by_theme(_fixture_articles(articles_dir))
    labels = " ".join(t.label.lower() for t in themes)
    assert "chess" in labels
    assert "river" in labels or "flood" in labels


def test_grouping_is_deterministic_whatever_the_input_order(articles_dir: Path) -> None:
    articles = _fixture_articles(articles_dir)
    assert group_by_theme(articles) == group_by_theme(list(reversed(articles)))


def test_seeds_about_one_story_form_one_theme(seeds_dir: Path) -> None:
    themes = group_by_theme(_fixture_articles(seeds_dir))
    assert len(themes) == 1
    label = themes[0].label.lower()
    assert any(name in label for name in ("ukraine", "zelenskyy", "putin", "kyiv")), label
    assert label_problems(themes[0].label) == []


def test_many_loners_go_to_other_news_last(make_article: Callable[..., Article]) -> None:
    topics = ["volcano eruption lava ash", "violin concerto orchestra", "tax reform income",
              "marathon runner record", "comet telescope astronomy"]
    pair = [make_article(id=f"f{i}", title="Ferry harbour storm", body="ferry harbour storm pier")
            for i in range(2)]
    loners = [make_article(id=f"a{i}", title=t, body=f"{t} {t}") for i, t in enumerate(topics)]
    themes = group_by_theme([*pair, *loners], max_singletons=3)
    assert [t.label for t in themes] == ["Ferry harbour storm · Pier", OTHER_NEWS]
    assert len(themes[1].article_ids) == 5
    # With no real theme beside them, a handful of loners are sections of their own...
    alone = group_by_theme(loners, max_singletons=3)
    assert len(alone) == 5 and OTHER_NEWS not in [t.label for t in alone]
    # ... but not a page of one-story sections.
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
             "juliet", "kilo", "lima", "mike"]
    many = [make_article(id=f"m{i}", title=w, body=f"{w} {w}") for i, w in enumerate(words)]
    assert [t.label for t in group_by_theme(many, max_singletons=3)] == [OTHER_NEWS]


def test_a_miscellany_left_by_the_themes_is_other_news_not_a_made_up_theme(
    make_article: Callable[..., Article],
) -> None:
    # Three real themes, and stories on nothing the others share: what is left
    # once the themes are cut out is a section no label can describe.
    topics = {
        "volcano": "volcano eruption lava ash magma crater evacuation geologists",
        "concert": "orchestra symphony violin concerto conductor premiere cellist encore",
        "election": "election ballot candidate polling turnout parliament coalition campaign",
    }
    rest = ("harbour ferry pier anchor", "glacier moraine fjord iceberg", "bakery croissant "
            "dough oven", "chess grandmaster opening gambit", "comet telescope nebula orbit",
            "vineyard harvest grapes cellar", "beekeeper hive honey pollen", "lighthouse "
            "keeper lantern reef", "tapestry loom weaver wool", "submarine sonar hull torpedo",
            "orchid greenhouse botanist seedling", "rodeo cowboy lasso saddle", "origami paper "
            "crane fold", "falconry falcon hood perch", "sundial shadow gnomon noon",
            "marathon runner finish medal", "locksmith key padlock hinge", "pottery kiln clay "
            "glaze", "tram depot rails overhead", "kayak paddle rapids canyon")
    articles = []
    for name, words in topics.items():
        vocabulary = words.split()
        for n in range(8):
            picked = [vocabulary[(n + i) % len(vocabulary)] for i in range(5)]
            articles.append(make_article(id=f"{name}{n}", title=" ".join(picked[:3]),
                                         body=" ".join(picked + vocabulary[:3])))
    loners = [make_article(id=f"z{n:02}", title=words, body=f"{words} {words}")
              for n, words in enumerate(rest)]
    themes = group_by_theme([*articles, *loners])
    assert themes[-1].label == OTHER_NEWS
    assert sorted(themes[-1].article_ids) == sorted(a.id for a in loners)
    assert OTHER_NEWS not in [t.label for t in themes[:-1]]
    # Each real theme is whole and named by its own words.
    for theme in themes[:-1]:
        assert len({i.rstrip("0123456789") for i in theme.article_ids}) == 1
        name = theme.article_ids[0].rstrip("0123456789")
        assert set(theme.label.casefold().replace(" · ", " ").split()) <= set(topics[name].split())


def test_sections_no_phrase_names_are_one_section(
    make_article: Callable[..., Article],
) -> None:
    """A release feed's "v3.8.1", "v3.8.2": unnamed sections do not read as one heading twice."""
    releases = [make_article(id=f"v{n}", title=f"v3.8.{n}", body="") for n in range(3)]
    small = group_by_theme([*releases, make_article(id="p", title="Ferry harbour storm",
                                                     body="ferry harbour storm pier")])
    labels = [t.label for t in small]
    assert labels.count(FALLBACK_LABEL) == 1 and len(labels) == len(set(labels))
    assert sorted(i for t in small for i in t.article_ids) == ["p", "v0", "v1", "v2"]
    assert [t.label for t in small if "p" in t.article_ids] == ["Ferry harbour storm · Pier"]


def test_no_articles_no_themes_and_one_article_one_theme(
    make_article: Callable[..., Article],
) -> None:
    assert group_by_theme([]) == []
    only = group_by_theme([make_article(title="Solar eclipse", body="An eclipse was seen.")])
    assert len(only) == 1 and only[0].article_ids == ("a1",)


def test_articles_of_nothing_but_stop_words_still_get_a_theme(
    make_article: Callable[..., Article],
) -> None:
    articles = [make_article(id="x", title="The", body="and the"),
                make_article(id="y", title="2024", body="12 34")]
    themes = group_by_theme(articles)
    assert sorted(i for t in themes for i in t.article_ids) == ["x", "y"]


@pytest.mark.parametrize("label", [
    "Tokyo · Friday", "Credit · AP", "Read aeon", "Started", "Thursday · Clashes",
    "Minister · Mr", "AP). AP", 'Gt lt gt · HREF="http://www', "Image credit",
    "Continue reading", "Called · Apple", "Year · India", "November", "Reuters",
    "Film · Died", "Court · Found",
])
def test_labels_never_hold_days_agencies_markup_boilerplate_or_lone_verbs(label: str) -> None:
    assert label_problems(label)


@pytest.mark.parametrize("label", [
    "Bank of England · Interest rates", "Ukraine air defence", "Tony Blair · Labour",
    "Apple · iPod", "Australian Open",
])
def test_labels_an_editor_would_write_pass(label: str) -> None:
    assert label_problems(label) == []


def test_labels_of_a_real_feed_day_are_clean(make_article: Callable[..., Article]) -> None:
    # Feed furniture everywhere: credits, weekdays, agencies, "Read more".
    topics = [("Tokyo", "sumo", "The sumo champion won again in Tokyo on Friday (AP Photo)."),
              ("Tokyo", "film", "A Napoleon film opened in Tokyo on Friday. Read more"),
              ("Georgia", "vote", "Georgia voters went to the polls on Friday, AP reported."),
              ("Georgia", "senate", "The Georgia senate race tightened on Friday, AP said.")]
    articles = [make_article(id=f"a{n}", title=f"{place} {word} news on Friday",
                             body=f"{body} Image credit: Evan Vucci/AP. {body}")
                for n, (place, word, body) in enumerate(topics)]
    for theme in group_by_theme(articles):
        assert label_problems(theme.label) == [], theme.label


def test_a_verb_written_in_lower_case_is_no_label_even_at_the_start_of_one(
    make_article: Callable[..., Article],
) -> None:
    things = ("phone", "laptop", "console")
    articles = [make_article(id=f"u{n}", title=f"New {thing} unveiled at Tokyo show",
                             body=f"The new {thing} was unveiled at the Tokyo show on stage.")
                for n, thing in enumerate(things)]
    (theme,) = group_by_theme(articles)
    assert "unveiled" not in theme.label.casefold()
    assert "Tokyo" in theme.label


def test_run_together_text_is_no_label() -> None:
    assert label_problems("Thisisnotawordbutafeedwithoutanyspaces") == [
        "'Thisisnotawordbutafeedwithoutanyspaces': a word of more than 30 letters"]
    assert label_problems("Counterintelligence · Internationalization") == []


def test_a_name_with_a_trailing_verb_is_no_label_but_an_office_is() -> None:
    assert label_problems("Volodymyr Zelenskyy discuss")
    assert label_problems("Prime minister") == []


def test_a_label_never_names_one_thing_twice_in_two_inflections(
        make_article: Callable[..., Article]) -> None:
    from digest.group.themes import _PhraseLabeler

    games = [make_article(id=f"g{i}", title=f"Games {i} sell well",
                          body=f"Games sold out. Each game came to stores. The game and the "
                               f"games console, model {i}, were popular with players.")
             for i in range(4)]
    weather = [make_article(id=f"w{i}", title=f"Storm {i} brings rain",
                            body="Heavy rain fell as the storm crossed the coast overnight.")
               for i in range(4)]
    labeller = _PhraseLabeler([*games, *weather], "english")
    label = labeller.label([0, 1, 2, 3])
    words = label.lower().replace("·", " ").split()
    assert "games" in words and "game" not in words, label  # before: "Games console · Game"
    assert label_problems(label) == []
