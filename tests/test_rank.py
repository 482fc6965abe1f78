"""Ranking: stories by importance, sections by their best story, and the email's budget."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from digest.models import Coverage, Digest, DigestCounts, DigestEntry, DigestSection
from digest.publish.rank import importance, rank, within_budget

END = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


def entry(id: str, hours_ago: float = 2, outlets: int = 1, developing: int = 0) -> DigestEntry:
    also = tuple(Coverage(f"{id}-{n}", f"Outlet {n}", "t") for n in range(1, outlets))
    return DigestEntry(id=id, title=id, source="Outlet 0",
                       published=END - timedelta(hours=hours_ago), summary=(), also=also,
                       developing=developing)


def digest(*sections: DigestSection) -> Digest:
    return Digest(date(2026, 11, 23), "Daily digest", sections, DigestCounts())


def test_more_outlets_newer_and_developing_stories_rank_higher() -> None:
    assert importance(entry("six", outlets=6), END) > importance(entry("one"), END)
    assert importance(entry("new", hours_ago=1), END) > importance(entry("old", hours_ago=20),
                                                                    END)
    assert importance(entry("dev", developing=3), END) > importance(entry("one"), END)
    ranked = rank(digest(DigestSection("Ports", (entry("one"), entry("six", outlets=6)))), END)
    assert [e.id for e in ranked.sections[0].entries] == ["six", "one"]


def test_sections_follow_their_best_story_and_other_news_stays_last() -> None:
    big = DigestSection("Big but minor", tuple(entry(f"m{n}", hours_ago=20) for n in range(9)))
    small = DigestSection("Small but major", (entry("lead", outlets=8),))
    other = DigestSection("Other news", (entry("best", outlets=12),))
    ranked = rank(digest(big, other, small), END)
    assert [s.label for s in ranked.sections] == ["Small but major", "Big but minor",
                                                  "Other news"]


def test_the_budget_keeps_each_sections_best_and_counts_the_rest() -> None:
    sections = tuple(DigestSection(f"S{k}", tuple(entry(f"s{k}e{n}") for n in range(8)))
                     for k in range(7))
    cut = within_budget(digest(*sections), stories=25, per_section=5)
    assert sum(len(s.entries) for s in cut.sections) == 25
    assert all(len(s.entries) <= 5 for s in cut.sections)
    assert [s.entries[0].id for s in cut.sections] == [f"s{k}e0" for k in range(7)]
    assert sum(s.more for s in cut.sections) == 7 * 8 - 25
