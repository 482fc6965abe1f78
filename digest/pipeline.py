"""The pipeline's stages as plain functions: what the flow runs as tasks, and the bench times."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import httpx

from digest import mail
from digest.clean import build_rules, clean_articles
from digest.config import Config, SourcesConfig
from digest.dedup import find_duplicates
from digest.errors import DeliveryError, SourceError
from digest.feeds import FeedRead, read_feed
from digest.fetch import HostLimiter, make_client
from digest.mail import Delivery
from digest.models import (
    Article,
    ArticleSummary,
    DedupResult,
    Digest,
    DigestCounts,
    FeedState,
    IngestResult,
    SourceProblem,
    Theme,
)
from digest.rank import rank
from digest.render import (
    assemble_digest,
    render_html,
    render_index,
    render_text,
    safe_url,
    write_file,
)
from digest.sources import read_folder
from digest.store import Store
from digest.stories import Story, group_stories
from digest.summarize import summarize_articles
from digest.themes import group_by_theme

log = logging.getLogger("digest")


@dataclass(frozen=True)
class Published:
    """Where a digest was written, and the digest itself (for the email)."""

    html: Path
    text: Path
    index: Path
    email_html: Path
    digest: Digest


@dataclass(frozen=True)
class RunResult:
    """What one run produced: its files, its figures and its problems."""

    day: date
    published: Published
    counts: DigestCounts
    problems: tuple[SourceProblem, ...] = field(default=())
    delivery: Delivery | None = None

    def summary_line(self) -> str:
        c = self.counts
        return (f"{_count(c.read, 'article')} read, {c.new} new, "
                f"{_count(c.duplicates, 'duplicate')} dropped, {c.articles} in the digest as "
                f"{_count(c.stories, 'story', 'stories')} in {_count(c.themes, 'section')}")


def _count(number: int, one: str, many: str = "") -> str:
    return f"{number} {one if number == 1 else (many or one + 's')}"


def today(config: Config) -> date:
    """Return today's date in the configured time zone."""
    return datetime.now(config.zone).date()


def read_source(folder: str, settings: SourcesConfig) -> IngestResult:
    """Read one configured source, logging each problem on one line."""
    result = read_folder(folder, max_bytes=settings.max_file_bytes,
                         follow_links=settings.follow_links, recursive=settings.recursive)
    for problem in result.problems:
        log.warning("%s", problem)
    return result


def check_sources(results: Sequence[IngestResult]) -> None:
    """Raise SourceError when there were sources and every one of them failed.

    A digest made of nothing is no digest: the run fails and says why.
    """
    if results and all(r.failed for r in results):
        reasons = "; ".join(str(p) for r in results for p in r.problems[:1]) or "no reason given"
        raise SourceError(f"every source failed, so there is no digest: {reasons}")


def record_sources(store: Store, results: Sequence[IngestResult], now: datetime) -> None:
    for result in results:
        store.record_source(result, now)


@dataclass(frozen=True)
class FeedJob:
    """One feed to read: its state and the full text already stored for its items."""

    state: FeedState
    stored_full_text: dict[str, str]


def feed_jobs(store: Store, config: Config) -> list[FeedJob]:
    """Return a job per feed (configured or imported), with what the store knows of it."""
    return [FeedJob(state, store.full_text_bodies(state.url) if state.full_text else {})
            for state in store.feed_states(config.sources.feeds)]


def read_one_feed(
    job: FeedJob, config: Config, now: datetime, client: httpx.Client, limiter: HostLimiter
) -> FeedRead:
    """Fetch and parse one feed, logging each problem on one line."""
    read = read_feed(client, job.state, config.fetch, now, limiter, job.stored_full_text)
    for problem in read.result.problems:
        log.warning("%s", problem)
    return read


def read_feeds(jobs: Sequence[FeedJob], config: Config, now: datetime) -> list[FeedRead]:
    """Read every feed, `config.fetch.workers` at a time (without Prefect)."""
    if not jobs:
        return []
    limiter = HostLimiter(config.fetch.workers, config.fetch.per_host)
    with make_client(config.fetch) as client, ThreadPoolExecutor(config.fetch.workers) as pool:
        return list(pool.map(lambda job: read_one_feed(job, config, now, client, limiter), jobs))


def record_feeds(store: Store, reads: Sequence[FeedRead], now: datetime) -> None:
    """Store each feed's new fetch state and how reading it went."""
    for read in reads:
        store.save_feed_state(read.state)
        store.record_source(read.result, now, kind="feed")


def clean(articles: Sequence[Article], config: Config) -> list[Article]:
    rules = build_rules(config.clean.drop_lines, config.clean.cut_from,
                        config.clean.use_default_rules)
    return clean_articles(articles, rules)


def drop_duplicates(store: Store, articles: Sequence[Article]) -> DedupResult:
    """Drop articles whose URL or content is already stored or earlier in the batch."""
    return find_duplicates(articles, store.stored_keys(articles))


def save(store: Store, result: DedupResult, now: datetime) -> int:
    """Store unique articles and record duplicates; return how many articles were new."""
    new = store.save_articles(result.unique, now)
    store.save_duplicates(result.duplicates, now)
    return new


def select_for_digest(
    store: Store, articles: Sequence[Article], day: date, config: Config
) -> list[Article]:
    """Return the articles for `day`'s digest: those read now and those stored for the day.

    Stored articles count when they were published inside the day's window
    or already shown in an earlier digest for the same day, so `--date` for a
    past day rebuilds it from the store (a backfill) even when the sources
    have moved on. Left out: anything published after the day's end (a file's
    time is its modification time), articles shown in an earlier day's digest
    (unless this day's digest already had them: a rerun keeps its digest
    after an earlier day was backfilled), and feed items published outside
    the window (from `[fetch] window_days` before the day's end to its end).
    """
    start, end = window_start(day, config), day_end(day, config)
    read_now = {a.id for a in articles}
    candidates = list(articles) + [a for a in store.articles_for_day(day, start, end)
                                   if a.id not in read_now]
    shown = (store.in_earlier_digests([a.id for a in candidates], day)
             - store.digest_article_ids(day))
    # Nothing published after the day's end belongs to it (a backfill of a
    # past day must not show a file written since); feed items also need to
    # be recent enough.
    return [a for a in candidates
            if a.id not in shown and a.published < end
            and not (a.kind == "feed" and a.published < start)]


def day_end(day: date, config: Config) -> datetime:
    """Return the end of `day` (midnight after it) in the configured time zone."""
    return datetime.combine(day + timedelta(days=1), dt_time.min, tzinfo=config.zone)


def window_start(day: date, config: Config) -> datetime:
    """Return the earliest publication time of a feed item that `day`'s digest shows."""
    return day_end(day, config) - timedelta(days=config.fetch.window_days)


def summarize(
    store: Store, articles: Sequence[Article], config: Config, now: datetime
) -> dict[str, ArticleSummary]:
    """Return a summary per article id, from the cache or made now and cached."""
    s = config.summary
    # The cache key's length: sentences, or minus the words of a word budget.
    length = -s.words if s.words else s.sentences
    found = store.cached_summaries(articles, s.algorithm, length, s.language)
    missing = [a for a in articles if a.id not in found]
    made = summarize_articles(missing, s.algorithm, s.sentences, s.language, s.words)
    store.save_summaries(zip(missing, made, strict=True), length, s.language, now)
    found.update((m.article_id, m) for m in made)
    return found


def stories(
    store: Store, articles: Sequence[Article], day: date, config: Config
) -> StoryGroups:
    """Group the day's articles into stories (same event, any outlet).

    The articles of the last `[stories] follow_days` days' digests join the
    grouping, so a story already sent is recognised: its new reports come
    back as an update only when there are `developing_min` of them.
    """
    settings = config.stories
    shown = store.recently_shown(day, day - timedelta(days=settings.follow_days))
    today = {a.id for a in articles}
    earlier = [a for a in store.articles_by_id(sorted(set(shown) - today))]
    found = group_stories([*articles, *earlier], settings.similarity, settings.window_hours,
                          config.summary.language)
    return StoryGroups.of(found, articles, shown, settings.developing_min)


@dataclass(frozen=True)
class StoryGroups:
    """The day's stories: representatives, other coverage, updates of stories already sent."""

    representatives: tuple[Article, ...]
    coverage: dict[str, tuple[str, ...]]
    # Representative id -> (new reports, the day the story was first sent).
    developing: dict[str, tuple[int, date]] = field(default_factory=dict)
    # New reports on stories already sent, too few to show again.
    absorbed: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, found: Sequence[Story], articles: Sequence[Article],
        shown: dict[str, date] | None = None, developing_min: int = 2,
    ) -> StoryGroups:
        shown = shown or {}
        by_id = {a.id: a for a in articles}
        representatives, coverage, developing, absorbed = [], {}, {}, []
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
        return cls(tuple(representatives), coverage, developing, tuple(absorbed))


def themes(articles: Sequence[Article], config: Config) -> list[Theme]:
    return group_by_theme(articles, config.themes.min_similarity,
                          config.themes.max_singletons, config.summary.language)


def publish(
    store: Store,
    config: Config,
    day: date,
    groups: Sequence[Theme],
    articles: Sequence[Article],
    summaries: dict[str, ArticleSummary],
    counts: DigestCounts,
    problems: Sequence[SourceProblem],
    now: datetime,
    grouped: StoryGroups | None = None,
) -> Published:
    """Render and write the day's HTML and text digests and the index; record them."""
    grouped = grouped or StoryGroups((), {})
    digest = rank(assemble_digest(day, config.digest.title, groups,
                                  {a.id: a for a in articles}, summaries, counts, problems,
                                  config.digest.timezone, grouped.coverage, grouped.developing,
                                  grouped.absorbed), day_end(day, config))
    if config.output.base_url:
        page = f"{config.output.base_url.rstrip('/')}/{day.isoformat()}/digest.html"
        digest = dataclasses.replace(digest, page_url=safe_url(page))
    folder = config.output_dir / day.isoformat()
    html = write_file(folder / "digest.html", render_html(digest))
    text = write_file(folder / "digest.txt", render_text(digest))
    email_html = write_file(folder / "email.html", mail.email_html(digest, config.email))
    store.save_digest(day, str(html), str(text), digest.article_ids, len(groups), now)
    index = write_file(config.output_dir / "index.html",
                       render_index(store.digests(), config.digest.title))
    return Published(html, text, index, email_html, digest)


def deliver(
    store: Store, config: Config, published: Published, now: datetime,
    password: str | None = None, resend: bool = False,
) -> Delivery:
    """Write the day's email next to its digest and send it to whoever has not had it.

    A failed send says where the digest is and how to send it later.
    """
    try:
        delivery = mail.deliver(store, published.digest, config.email, published.html.parent,
                                now, password if password is not None else mail.env_password(),
                                resend)
    except DeliveryError as exc:
        day = published.digest.day.isoformat()
        raise DeliveryError(f"{exc}; the digest is written ({published.html}); "
                            f"`digest run --date {day}` sends it to whoever has not had it"
                            ) from None
    if delivery.note:
        log.info("email: %s", delivery.note)
    return delivery


StageTimer = Callable[[str, float], None]


def run_pipeline(
    config: Config, day: date | None = None, on_stage: StageTimer | None = None,
    send: bool = True, resend: bool = False,
) -> RunResult:
    """Run every stage in this process, without Prefect; record the run in the store.

    `on_stage`, when given, is called with each stage's name and its seconds.
    With `send` false the email is written to digest.eml but not sent (a
    preview); `resend` sends it again to recipients who already had it.
    """
    day = day or today(config)
    now = datetime.now(UTC)

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        if on_stage:
            on_stage(name, time.perf_counter() - start)

    with Store(config.store_path) as store:
        run_id = store.start_run(day, now)
        counts = DigestCounts()
        try:
            with stage("read"):
                results = [read_source(folder, config.sources)
                           for folder in config.sources.folders]
                record_sources(store, results, now)
                reads = read_feeds(feed_jobs(store, config), config, now)
                record_feeds(store, reads, now)
                results += [read.result for read in reads]
                check_sources(results)
            problems = [p for r in results for p in r.problems]
            with stage("clean"):
                read = clean([a for r in results for a in r.articles], config)
            with stage("dedup"):
                deduped = drop_duplicates(store, read)
            with stage("store"):
                new = save(store, deduped, now)
                chosen = select_for_digest(store, list(deduped.unique), day, config)
            with stage("stories"):
                grouped = stories(store, chosen, day, config)
            with stage("summarize"):
                summaries = summarize(store, grouped.representatives, config, now)
            with stage("themes"):
                groups = themes(grouped.representatives, config)
            counts = DigestCounts(read=len(read), new=new, duplicates=len(deduped.duplicates),
                                  articles=len(chosen), themes=len(groups), sources=len(results),
                                  stories=len(grouped.representatives))
            with stage("render"):
                published = publish(store, config, day, groups, chosen, summaries, counts,
                                    problems, now, grouped)
            with stage("deliver"):
                if send:
                    delivery = deliver(store, config, published, now, resend=resend)
                else:
                    mail.write_unsent(published.digest, config.email, published.html.parent,
                                      now)
                    delivery = None
        except Exception as exc:
            store.finish_run(run_id, "failed", counts, [f"{type(exc).__name__}: {exc}"],
                             datetime.now(UTC))
            raise
        store.finish_run(run_id, "completed", counts, [str(p) for p in problems],
                         datetime.now(UTC))
    return RunResult(day, published, counts, tuple(problems), delivery)
