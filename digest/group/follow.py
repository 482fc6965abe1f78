"""The day's stories set against stories already sent: new, developing, or absorbed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from digest.group.stories import Story
from digest.models import Article


@dataclass(frozen=True)
class StoryGroups:
    """The day's stories: representatives, other coverage, updates of stories already sent."""

    representatives: tuple[Article, ...]
    coverage: dict[str, tuple[str, ...]]
    # Representative id -> (new reports, the day the story was first sent).
    developing: dict[str, tuple[int, date]] = field(default_factory=dict)
    # New reports on stories already sent, too few to show again.
    absorbed: tuple[str, ...] = ()


def day_pool(articles: Sequence[Article], sent: Sequence[Article]) -> list[Article]:
    """Return the articles grouped for the day: its own, then those of recent digests."""
    today = {a.id for a in articles}
    return [*articles, *(a for a in sent if a.id not in today)]


def split_sent(
    found: Sequence[Story], articles: Sequence[Article], shown: Mapping[str, date] | None = None,
    developing_min: int = 2,
) -> StoryGroups:
    """Return the day's story groups from `found`, leaving out what was already sent."""
    shown = shown or {}
    by_id = {a.id: a for a in articles}
    representatives: list[Article] = []
    coverage: dict[str, tuple[str, ...]] = {}
    developing: dict[str, tuple[int, date]] = {}
    absorbed: list[str] = []
    for story in found:
        fresh = [i for i in story.article_ids if i in by_id]
        sent = [shown[i] for i in story.article_ids if i not in by_id and i in shown]
        if not fresh:
            continue
        if sent and len(fresh) < developing_min:
            absorbed += fresh
            continue
        representatives.append(by_id[fresh[0]])
        if len(fresh) > 1:
            coverage[fresh[0]] = tuple(fresh[1:])
        if sent:
            developing[fresh[0]] = (len(fresh), min(sent))
    return StoryGroups(tuple(representatives), coverage, developing, tuple(absorbed))
