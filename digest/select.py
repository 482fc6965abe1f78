"""Which articles a day's digest takes: the day's window, less what earlier days showed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from digest.models import Article


def day_end(day: date, zone: ZoneInfo) -> datetime:
    """Return the end of `day` (midnight after it) in time zone `zone`."""
    return datetime.combine(day + timedelta(days=1), dt_time.min, tzinfo=zone)


def window_start(day: date, zone: ZoneInfo, window_days: float) -> datetime:
    """Return the earliest publication time of a feed item that `day`'s digest shows."""
    return day_end(day, zone) - timedelta(days=window_days)


def select_for_digest(
    read: Sequence[Article], stored: Sequence[Article], in_earlier: Collection[str],
    in_this_day: Collection[str], day: date, zone: ZoneInfo, window_days: float,
) -> list[Article]:
    """Return the articles for `day`'s digest: those read now and those stored for the day.

    `stored` are the stored articles published inside the day's window or
    already in this day's digest (`in_this_day`), so `--date` for a past day
    rebuilds it from the store (a backfill) even when the sources have moved
    on. Left out: anything published after the day's end (a file's time is
    its modification time), articles in an earlier day's digest
    (`in_earlier`), unless this day's digest already had them (a rerun keeps
    its digest after an earlier day was backfilled), and feed items published
    before the window (`window_days` before the day's end).
    """
    start, end = window_start(day, zone, window_days), day_end(day, zone)
    read_now = {a.id for a in read}
    candidates = [*read, *(a for a in stored if a.id not in read_now)]
    shown = set(in_earlier) - set(in_this_day)
    return [a for a in candidates
            if a.id not in shown and a.published < end
            and not (a.kind == "feed" and a.published < start)]
