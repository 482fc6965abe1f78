"""Stories: copies and same-event coverage from several outlets become one entry."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.eval.evaluate import read_records
from digest.group.stories import group_stories, near_duplicate_pairs
from digest.models import Article

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

WIRE = ("Divers found a second crack in the northern pier of Eastport harbour on Tuesday, "
        "the harbour authority said, and the pier will stay closed for a month while "
        "engineers decide whether the concrete supports can be repaired or must be replaced. "
        "Ferries to the island of Marrow will use the southern pier until then.")


def build(make_article: Callable[..., Article]) -> list[Article]:
    return [
        # The same wire story in two outlets, one lightly edited.
        make_article(id="wire-a", source="Coast News", title="Second crack found in pier",
                     body=WIRE, published=T0),
        make_article(id="wire-b", source="Island Times", title="Pier crack: second found",
                     body=WIRE.replace("on Tuesday", "on Tuesday morning")
                     .replace("a month", "four weeks"), published=T0 + timedelta(hours=2)),
        # The same event in other words.
        make_article(id="own", source="Harbour Post", title="Eastport pier closed for a month "
                     "after divers find second crack",
                     body="Eastport's northern pier will remain closed for a month after divers "
                          "found a second crack in its concrete supports, the harbour "
                          "authority said. Marrow ferries move to the southern pier.",
                     published=T0 + timedelta(hours=5)),
        # Unrelated stories.
        make_article(id="chess", source="Chess Weekly", title="Teenager wins chess final",
                     body="A sixteen-year-old won the national chess championship on Sunday "
                          "after a tense final round that lasted five hours.", published=T0),
        make_article(id="bread", source="Village Voice", title="Bakery wins bread award",
                     body="The café on Mill Lane won the regional bread award for its "
                          "sourdough loaf, judged the best of forty entries.", published=T0),
    ]


def test_copies_and_coverage_of_one_event_form_one_story(
    make_article: Callable[..., Article],
) -> None:
    stories = group_stories(build(make_article))
    assert sorted(sorted(s.article_ids) for s in stories) == [
        ["bread"], ["chess"], ["own", "wire-a", "wire-b"]]
    pier = stories[0]
    assert sorted(pier.near_duplicates) == ["wire-b"] or sorted(pier.near_duplicates) == [
        "wire-a"] or sorted(pier.near_duplicates) == ["wire-a", "wire-b"]
    # The most complete text represents the story.
    assert pier.representative in ("wire-a", "wire-b")


def test_grouping_is_deterministic_whatever_the_order(
    make_article: Callable[..., Article],
) -> None:
    articles = build(make_article)
    assert group_stories(articles) == group_stories(list(reversed(articles)))


def test_a_headline_prefix_weighs_the_same_whatever_the_hash_seed() -> None:
    """"Shooting" and "shoots" share a prefix: it weighs as the more telling of the two,
    not as whichever the set of headline words happened to give last (which varied
    with Python's string hash seed from run to run)."""
    import subprocess
    import sys

    probe = ("from datetime import UTC, datetime\n"
             "from digest.models import Article\n"
             "from digest.group.stories import MATCH_PREFIX, lead_of, _rarity\n"
             "a = Article(id='a', source='s', title='Shooting suspect shoots at shooters',\n"
             "            body='Police said the suspect fired twice.',\n"
             "            published=datetime(2026, 1, 1, tzinfo=UTC))\n"
             "head = lead_of(a, 'english').head\n"
             "rarity = _rarity('english')\n"
             "best = max(rarity(w) for w in ('shooting', 'shoots', 'shooters'))\n"
             "assert head['shooting'[:MATCH_PREFIX]] == best, head\n"
             "print(sorted(head.items()))")
    seen = {subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
            for seed in range(6)}
    assert len(seen) == 1


def test_a_similar_event_years_later_is_another_story(
    make_article: Callable[..., Article],
) -> None:
    first = make_article(id="may", source="Coast News", title="Storm cracks Dover pier supports",
                         body="Storm waves cracked two concrete supports of the northern pier "
                              "in Dover overnight, and the harbour authority closed it.",
                         published=T0)
    # Coverage of the closure in other words (cosine 0.37, headlines agree 0.34).
    later = make_article(id="nov", source="Island Times",
                         title="Ferries diverted as storm shuts pier",
                         body="Cross-Channel ferries sailed from Folkestone on Wednesday after "
                              "damage closed the northern pier in Dover, operators said, and "
                              "queues formed on the motorway.",
                         published=T0 + timedelta(days=1))
    much_later = replace(later, id="next-year", published=T0 + timedelta(days=5 * 365))
    together = group_stories([first, later])
    assert [sorted(s.article_ids) for s in together] == [["may", "nov"]]
    apart = group_stories([first, much_later])
    assert sorted(len(s.article_ids) for s in apart) == [1, 1]


def test_reports_whose_headlines_tell_of_other_things_stay_apart(
    make_article: Callable[..., Article],
) -> None:
    # Same leads' vocabulary, but each headline names a happening the other
    # article does not report.
    body = ("Orrin Rovers beat Vale United 3-0 at the national stadium. Lia Brennan scored "
            "twice for Orrin Rovers against Vale United.")
    final = make_article(id="final", source="Sports Desk", title="Rovers lift Eastland Cup",
                         body=body)
    ban = make_article(id="ban", source="The Terrace", title="Brennan banned for three matches "
                       "over stadium clash", body=body + " Brennan was sent off in the tunnel.")
    assert groups([final, ban]) == [["ban"], ["final"]]


def test_exact_and_near_copies_are_found_without_false_pairs(
    make_article: Callable[..., Article],
) -> None:
    articles = build(make_article)
    pairs = {(articles[i].id, articles[j].id) for i, j, _ in near_duplicate_pairs(articles)}
    assert {tuple(sorted(p)) for p in pairs} == {("wire-a", "wire-b")}


def test_no_articles_no_stories() -> None:
    assert group_stories([]) == []


def test_a_lone_report_joins_a_corroborated_story_at_a_lower_bar(
    make_article: Callable[..., Article], monkeypatch: pytest.MonkeyPatch,
) -> None:
    import digest.group.stories as stories

    loner = make_article(id="loner", source="Ferry Gazette", title="New ferry timetable for Marrow",
                         body="Marrow ferries sail from the southern pier from today, the "
                              "operator said, with two extra crossings at weekends.",
                         published=T0 + timedelta(hours=6))
    articles = [*build(make_article), loner]
    pier = ["loner", "own", "wire-a", "wire-b"]
    # Find the bar at which the loner stops joining when lone reports get no
    # second chance; just above it, the second chance lets it in.
    monkeypatch.setattr(stories, "ORPHAN_FACTOR", 1.0)
    bar = next(s / 100 for s in range(10, 60)
               if all(sorted(g.article_ids) != pier for g in group_stories(articles, s / 100)))
    together = [sorted(g.article_ids) for g in group_stories(articles, bar)]
    assert ["loner"] in together and ["own", "wire-a", "wire-b"] in together
    monkeypatch.setattr(stories, "ORPHAN_FACTOR", 0.7)
    assert pier in [sorted(g.article_ids) for g in group_stories(articles, bar)]


FIXTURES = Path(__file__).parent / "fixtures" / "events"


def fixture_articles(*ids: str) -> list[Article]:
    records = {r.id: r for r in read_records(FIXTURES / "events.jsonl")}
    return [records[i].article() for i in ids]


def groups(articles: list[Article]) -> list[list[str]]:
    return sorted(sorted(s.article_ids) for s in group_stories(articles))


def test_two_events_on_one_topic_from_one_folder_are_two_stories(
    make_article: Callable[..., Article],
) -> None:
    # Like the three seed files: one folder, one modification time, one war.
    pause = make_article(
        id="pause", source="seeds", title="Ukraine strengthens air defences as Kyiv strike pause "
        "nears its end",
        body="Ukraine is working to strengthen its air defences as a one-week halt to Russian "
             "strikes on Kyiv is set to expire on Sunday. The Kremlin said Vladimir Putin agreed "
             "to the pause after a request from Donald Trump. Volodymyr Zelenskyy said short-range "
             "systems against drones would go to Kherson and Nikopol first.")
    call = make_article(
        id="call", source="seeds", title="Trump and Zelenskyy discuss air defence after record "
        "drone attack",
        body="Donald Trump and Volodymyr Zelenskyy spoke by phone on Friday about Ukraine's air "
             "defence needs, a day after a record Russian attack of 539 drones and 11 missiles "
             "on Kyiv. Zelenskyy called the conversation the best the two had held.")
    assert groups([pause, call]) == [["call"], ["pause"]]


def test_reports_of_one_event_in_other_words_are_one_story() -> None:
    assert groups(fixture_articles("rate-a", "rate-b")) == [["rate-a", "rate-b"]]
    assert groups(fixture_articles("recall", "recall-b")) == [["recall", "recall-b"]]
    assert groups(fixture_articles("final", "final-b")) == [["final", "final-b"]]


def test_a_rate_decision_and_a_forecast_by_the_same_bank_are_two_stories() -> None:
    # Same bank, same governor, same timestamp: only the happening differs.
    assert groups(fixture_articles("rate-a", "rate-b", "forecast")) == [
        ["forecast"], ["rate-a", "rate-b"]]


def test_undated_articles_are_judged_on_their_words() -> None:
    a, b = fixture_articles("recall", "recall-b")
    undated = [replace(a, flags=("undated",)), replace(b, flags=("undated",))]
    assert groups(undated) == [["recall", "recall-b"]]


def test_a_word_weighs_the_same_on_a_small_day_and_a_big_one() -> None:
    from digest.text.rarity import Rarity

    rarity = Rarity("english")
    # Function words weigh nothing, topic words little, names a lot.
    assert rarity("the") == 0.0
    assert rarity("said") < rarity("minister") < rarity("zelenskyy")
    assert rarity("kyiv") > 3.0


def test_one_outlets_launch_and_later_recall_of_a_phone_are_two_stories() -> None:
    # The same outlet on one product: its second article is the next step.
    assert groups(fixture_articles("launch", "recall", "recall-b")) == [
        ["launch"], ["recall", "recall-b"]]


def test_one_outlet_needs_each_pair_of_its_articles_to_be_alike() -> None:
    # Two other outlets bridge the group, but one outlet's two articles on
    # the saga (the launch and the recall) never end up in one story.
    articles = fixture_articles("launch", "recall", "recall-b")
    bridge = replace(articles[0], id="launch-b", source="Tech Ledger",
                     title="Quill Nimbus 7 folding phone launched, recalled later",
                     body="Quill's folding Nimbus 7, unveiled at an event in Portsmith, is "
                          "being recalled after batteries caught fire; owners get refunds "
                          "of the $1,299 price.")
    for story in groups([*articles, bridge]):
        assert not {"launch", "recall"} <= set(story)


def test_groups_refused_for_one_outlets_pair_are_refused_again_without_walking(
    make_article: Callable[..., Article], monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np
    from scipy.sparse import csr_matrix

    from digest.group.stories import _Groups, _TimeScaledThreshold

    articles = [make_article(id="x", source="Wire"), make_article(id="y", source="Wire"),
                make_article(id="z", source="Herald")]
    # x and y: one outlet's articles, alike by 0.5 (their mean clears 0.12,
    # the pair not 5 x 0.12); z is y's copy from another outlet.
    matrix = csr_matrix(np.array([[1.0, 0.0], [0.5, 0.75**0.5], [0.5, 0.75**0.5]]))
    groups = _Groups(articles, matrix)
    bar = _TimeScaledThreshold(0.12, 72 * 3600.0)
    assert not groups.same_event(0, 1, bar, bar)
    assert groups.blockers == {(0, 1): (0, 1)}
    groups.merge(1, 2)  # y's group grows: the refusal by sizes no longer holds
    monkeypatch.setattr(_Groups, "_failing", lambda *_: pytest.fail("walked again"))
    assert not groups.same_event(0, 1, bar, bar)
    refused: set[tuple[int, int, int, int]] = set()
    low, high, dead = groups.compare_ahead(np.array([0]), np.array([2]), bar, refused)
    assert (low.tolist(), high.tolist(), dead.tolist()) == ([0], [1], [True])
    assert refused == {(0, 1, 1, 2)}


def test_a_stored_lead_reads_back_as_found() -> None:
    import numpy as np

    from digest.group.cache import decode_lead, encode_lead
    from digest.group.stories import lead_of

    texts = [("Bank of Eastland holds rate at 4.75%",
              "The Bank of Eastland kept its rate at 4.75% on Thursday. " * 5),
             # Words beyond ASCII; a lead with no weighed word at all; no text at all.
             ("Zürich's café owners fear Straße closure", "Ein Café in Zürich schließt. " * 3),
             ("— … —", "a b c"), ("", "")]
    for title, body in texts:
        article = Article(id="a", source="Ledger", title=title, body=body,
                          published=datetime(2026, 11, 20, tzinfo=UTC))
        lead = lead_of(article, "english")
        back = decode_lead(encode_lead(lead))
        # The same words and weights to the last bit, in the same order.
        assert (list(back.vector.items()), back.specific, list(back.head.items()),
                back.words) == (list(lead.vector.items()), lead.specific,
                                list(lead.head.items()), lead.words)
        assert np.array_equal(back.grams, lead.grams) and back.grams.dtype == lead.grams.dtype
        assert np.array_equal(back.signature, lead.signature)
        assert back.signature.dtype == np.uint32  # (a text of no word has none)
    assert not lead_of(Article(id="b", source="s", title="— … —", body="a b c",
                               published=datetime(2026, 11, 20, tzinfo=UTC)), "english").vector


def test_copies_with_no_weighed_word_still_group(make_article: Callable[..., Article]) -> None:
    # Copies of a text with no word a lead weighs (single letters) under
    # headlines with none either: their lead vectors are empty, yet they are
    # near-copies, so they merge. A third copy's headline tells of something
    # the text never mentions: its lead vector is not empty, and it stays
    # apart (a copy tells what its headline says).
    letters = "a b c d e f g h i j k l m n o p q r s t"
    articles = [make_article(id="x", title="A", body=letters, published=T0),
                make_article(id="y", title="B", body=letters, published=T0),
                make_article(id="z", title="Harbour", body=letters, published=T0),
                *build(make_article)]
    stories = sorted(sorted(s.article_ids) for s in group_stories(articles, language="english"))
    assert ["x", "y"] in stories and ["z"] in stories
    assert ["own", "wire-a", "wire-b"] in stories


def test_one_boilerplate_body_under_unrelated_headlines_is_no_copy(
    make_article: Callable[..., Article],
) -> None:
    # A paywalled feed: every item is the same notice under its own headline.
    # The texts are near-copies, but no headline finds its words in another
    # item, so each is its own story; the wire story's copies still merge.
    notice = ("This content is only available to subscribers of the Coast Courier. "
              "Please sign in or subscribe to continue reading this article today.")
    headlines = ["Council approves new budget for schools", "Storm closes the coast road",
                 "Museum buys a long lost painting", "Airport adds three new routes",
                 "Rail strike called off after late talks", "Hospital opens a new cancer ward"]
    paywalled = [make_article(id=f"paid-{n}", source="Coast Courier", title=title, body=notice,
                              published=T0) for n, title in enumerate(headlines)]
    assert len(near_duplicate_pairs(paywalled)) == 15  # every pair: the texts are copies
    stories = sorted(sorted(s.article_ids)
                     for s in group_stories(paywalled + build(make_article), language="english"))
    assert [[f"paid-{n}"] for n in range(6)] == [s for s in stories if s[0].startswith("paid")]
    assert ["own", "wire-a", "wire-b"] in stories


def _rows(vectors: list[dict[int, float]]) -> Any:
    """Sparse vectors (term -> weight) as the rows of a CSR matrix, each row's terms ascending."""
    from scipy.sparse import csr_matrix

    width = max((max(v) for v in vectors if v), default=0) + 1
    matrix = csr_matrix(([w for v in vectors for w in v.values()],
                         ([row for row, v in enumerate(vectors) for _ in v],
                          [t for v in vectors for t in v])), shape=(len(vectors), width))
    matrix.sort_indices()
    return matrix


def test_lead_rows_number_the_days_words_in_order_of_first_appearance(
    make_article: Callable[..., Article],
) -> None:
    from digest.group.stories import _Leads, _row_dot, lead_of

    found = [lead_of(make_article(id=str(n), title=title, body=body), "english")
             for n, (title, body) in enumerate([
                 ("Harbour bridge closed", "The harbour bridge closed after a crash on Monday."),
                 ("", ""),
                 ("Bridge reopens", "The harbour bridge reopened on Tuesday, police said.")])]
    leads = _Leads.of(found)
    order = list(dict.fromkeys(w for lead in found for w in lead.vector))
    matrix = leads.matrix
    assert matrix.shape == (3, len(order))
    for row, lead in enumerate(found):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        assert matrix.indices[start:end].tolist() == sorted(order.index(w) for w in lead.vector)
        assert {order[t]: w for t, w in zip(matrix.indices[start:end].tolist(),
                                             matrix.data[start:end].tolist(),
                                             strict=True)} == lead.vector
    assert leads.specific == {order.index(w) for lead in found for w in lead.specific}
    products = (matrix @ matrix.T).toarray()
    for x in range(3):
        for y in range(3):
            assert _row_dot(matrix, x, y) == pytest.approx(products[x, y], abs=1e-12)
    assert _row_dot(matrix, 0, 1) == 0.0 and _row_dot(matrix, 0, 2) > 0.2


def test_smallest_keys_of_each_row_are_those_a_full_sort_ranks_first() -> None:
    import numpy as np

    from digest.group.stories import _smallest_per_row

    rng = np.random.default_rng(5)
    lengths = [0, 3, 4, 5, 40, 1, 9, 4]  # rows at, below and above the 4 kept
    rows = np.repeat(np.arange(len(lengths)), lengths)
    keys = np.concatenate([rng.choice(10**6, size=n, replace=False) for n in lengths])
    found_rows, found_keys = _smallest_per_row(rows, keys, len(lengths), 4, np)
    found = sorted(zip(found_rows.tolist(), found_keys.tolist(), strict=True))
    expected = sorted((row, key) for row in range(len(lengths))
                      for key in sorted(keys[rows == row].tolist())[:4])
    assert found == expected
    assert len(found) == 0 + 3 + 4 + 4 + 4 + 1 + 4 + 4
    empty = np.zeros(0, dtype=np.int64)
    assert [len(a) for a in _smallest_per_row(empty, empty, 0, 4, np)] == [0, 0]


def test_group_sums_compared_at_once_or_alone_agree_to_the_last_bit() -> None:
    # Story grouping compares many groups' sums in one sparse step, ahead of
    # need, and a group that changed since alone: both must give one answer.
    import random

    from digest.group.stories import _Centroids

    rng = random.Random(7)
    vectors = [{t: rng.uniform(0.001, 3.0) for t in rng.sample(range(500), rng.randrange(0, 120))}
               for _ in range(40)]
    sums = _Centroids()
    sums.add_rows(_rows(vectors))
    for group, vector in enumerate(vectors):  # each group starts as its vector, terms ascending
        keys, values = sums.sums[group]
        assert keys.tolist() == sorted(vector)
        assert values.tolist() == [vector[k] for k in sorted(vector)]
    for keep, gone in ((0, 1), (2, 3), (0, 4)):
        sums.merge(keep, gone)
    left = [g for g in range(40) if g not in (1, 3, 4)]
    pairs = [(a, b) for a in left for b in left if a < b]
    assert sums.dots(pairs) == [sums.dot(a, b) for a, b in pairs]
    assert any(sums.dot(a, b) > 0 for a, b in pairs)


def test_minhash_values_are_the_minima_of_each_permutations_top_bits() -> None:
    import numpy as np

    from digest.group.stories import NUM_PERM, _permutations, _signature

    grams = np.random.default_rng(3).integers(0, 2**63, size=257, dtype=np.uint64)
    a, b = _permutations()
    top_bits = ((grams[:, None] * a + b) >> np.uint64(32)).astype(np.uint32)  # wraps mod 2**64
    signature = _signature(grams)
    assert signature.dtype == np.uint32 and len(signature) == NUM_PERM
    assert signature.tolist() == top_bits.min(axis=0).tolist()


def test_merged_group_sums_are_the_termwise_sums_kept_to_the_heaviest() -> None:
    import random

    from digest.group.stories import SUM_TERMS, _Centroids

    rng = random.Random(11)
    vectors = [{t: rng.uniform(0.001, 3.0) for t in rng.sample(range(900), size)}
               for size in (0, 40, 70, 0, 300, 350, 5)]
    sums = _Centroids()
    sums.add_rows(_rows(vectors))
    expected = [dict(v) for v in vectors]
    for keep, gone in ((0, 3), (1, 2), (1, 0), (4, 5), (4, 6)):
        sums.merge(keep, gone)
        total = dict(expected[keep])
        for term, weight in expected[gone].items():
            total[term] = total.get(term, 0.0) + weight  # the kept group's weight first
        heaviest = sorted(total, key=lambda t: (-total[t], t))[:SUM_TERMS]
        expected[keep] = {t: total[t] for t in sorted(heaviest)}
        keys, values = sums.sums[keep]
        assert keys.tolist() == sorted(expected[keep])
        assert values.tolist() == [expected[keep][t] for t in sorted(expected[keep])]
    assert len(sums.sums[4][0]) == SUM_TERMS  # 300 + 350 terms over 900: cut to the heaviest
    assert sorted(sums.sums) == [1, 4]  # the groups merged away are gone


def test_copies_already_merged_are_not_checked_again(
    make_article: Callable[..., Article], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Forty outlets carry the wire story, each with a word of its own: 861
    # near-copy pairs with the two wire articles. Checked a chunk at a time,
    # a pair whose articles an earlier chunk merged is skipped, and the
    # stories are those of checking every pair.
    from digest.group import stories as module

    articles = build(make_article) + [
        make_article(id=f"copy-{n:02d}", source=f"Outlet {n}", title="Second crack found in pier",
                     body=WIRE.replace("Tuesday", f"Tuesday {n}"), published=T0)
        for n in range(40)]
    monkeypatch.setattr(module, "BUCKET_WINDOW", 64)  # every pair of the 42 is a candidate
    every = near_duplicate_pairs(articles)
    assert len(every) == 42 * 41 // 2
    whole = group_stories(articles, language="english")
    checked: list[int] = []
    jaccards = module._GramRows.jaccards

    def counted(self: module._GramRows, left: object, right: object) -> object:
        checked.append(len(left))  # type: ignore[arg-type]
        return jaccards(self, left, right)

    monkeypatch.setattr(module._GramRows, "jaccards", counted)
    monkeypatch.setattr(module, "_GRAM_PAIRS", 16)
    chunked = group_stories(articles, language="english")
    assert chunked == whole
    assert sorted(whole[0].article_ids) == sorted(
        ["own", "wire-a", "wire-b", *(f"copy-{n:02d}" for n in range(40))])
    assert len(whole[0].near_duplicates) == 41  # all but the representative
    assert sum(checked) < 80  # against 861 pairs


def test_a_big_family_of_copies_links_up_through_pairs_that_grow_with_it(
    make_article: Callable[..., Article],
) -> None:
    # Hundreds of outlets carry the wire story, each under its own dateline.
    # Every pair is a near-copy, but each article is paired with at most
    # BUCKET_WINDOW others in each band's bucket: twice the outlets, about
    # twice the pairs (all pairs would be four times), and the pairs found
    # still link every copy.
    def family(size: int) -> list[Article]:
        return [make_article(id=f"copy-{n:03d}", source=f"Outlet {n}",
                             title="Second crack found in pier",
                             body=f"PORT{n} (Wire) - {WIRE}", published=T0)
                for n in range(size)]

    small, copies = len(near_duplicate_pairs(family(200))), family(400)
    articles = build(make_article) + copies
    pairs = near_duplicate_pairs(articles)
    assert len(pairs) < 2.5 * small
    assert len(pairs) < 400 * 399 // 2 // 3
    assert all(jaccard >= 0.5 for _, _, jaccard in pairs)
    linked = list(range(len(articles)))

    def root(i: int) -> int:
        while linked[i] != i:
            i = linked[i]
        return i

    for i, j, _ in pairs:
        linked[root(j)] = root(i)
    families = {root(i) for i, _, _ in pairs}
    assert [{a.id for k, a in enumerate(articles) if root(k) == f} for f in families] == [
        {"wire-a", "wire-b", *(c.id for c in copies)}]
    story = group_stories(articles, language="english")[0]
    assert set(story.article_ids) >= {"wire-a", "wire-b", *(c.id for c in copies)}
