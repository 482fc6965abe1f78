"""The pipeline, written once: a run of the daily digest, stage by stage, as the data flows.

    recall ─► read ─► clean ─► dedup ─► recall ─► stories ─► summarize ─► themes ─► publish
    (store)   (map)   (map)             (store)                (map)                 │
                                                                  write (store) ◄────┘ ─► deliver

`run_digest` is the only description of a run. It reads what the store
knows first, runs the pure stages on plain data, then writes the results in
one transaction. Where each stage runs is the `Runner`'s choice:
`InProcess` (here: `digest run --without-prefect`, preview, the benches) or
the Prefect flow's runner (digest_flows.daily), which makes each stage a
task and maps batches over threads, processes or a Dask cluster. Only this
process touches the store.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from digest.config import (
    Config,
    FetchConfig,
    SourcesConfig,
    SummaryConfig,
    ThemesConfig,
    smtp_password,
)
from digest.dedup import find_duplicates
from digest.errors import DeliveryError, DeliveryInDoubt, SourceError, StoreError
from digest.group.cache import (
    LEADS,
    STORIES,
    THEMES,
    decode_lead,
    decode_stories,
    decode_themes,
    encode_lead,
    encode_stories,
    encode_themes,
    lead_key,
    stories_key,
    themes_key,
)
from digest.group.follow import StoryGroups, day_pool, split_sent
from digest.group.stories import Lead, group_stories, leads_of
from digest.group.themes import group_by_category, group_by_theme
from digest.ingest.feeds import FeedRead, read_feed
from digest.ingest.fetch import UNCHANGED, HostLimiter, make_client
from digest.ingest.folder import read_folder
from digest.models import (
    Article,
    ArticleSummary,
    Cleaned,
    DedupResult,
    Digest,
    DigestCounts,
    FeedState,
    IngestResult,
    SourceProblem,
    StoredKeys,
    Theme,
)
from digest.processes import Ahead, watch_parent
from digest.publish import mail
from digest.publish.mail import Delivery
from digest.publish.pages import (
    Pages,
    article_pages,
    compose_digest,
    day_folder,
    page_context,
    write_article_pages,
    write_index,
    write_pages,
)
from digest.select import day_end, select_for_digest, window_start
from digest.store import Store
from digest.summarize.registry import summarize_articles, summary_key
from digest.text import modelcache
from digest.text.clean import CleaningRules, build_rules, clean_articles
from digest.text.keys import read_hash

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
log = logging.getLogger("digest")
# How far a run is: the CLI shows it on a terminal (digest_flows.cli).
PROGRESS = logging.getLogger("digest.progress")

# Delays between attempts of the steps that write files or send mail: a busy
# disk or a restarting mail relay usually passes (Prefect runs retry them;
# the in-process run tries once).
FILE_RETRY_DELAYS: tuple[float, ...] = (5.0, 5.0)
SEND_RETRY_DELAYS: tuple[float, ...] = (10.0, 60.0, 300.0)


class Runner(Protocol):
    """Where the stages run. Every result comes back to this process, in order."""

    def batch_size(self, configured: int, count: int) -> int:
        """Items in each batch of a map of `count` items, given `[run] batch_size`.

        A runner whose task runs cost more makes fewer, bigger batches.
        """
        ...

    def step(self, name: str, fn: Callable[..., T], *args: Any,
             retries: Sequence[float] = ()) -> T:
        """Run fn(*args) here as stage `name`, again after each delay in `retries` if it fails."""
        ...

    def recall(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args), a read of what earlier runs stored (milliseconds), as stage `name`.

        A runner whose stages cost more than that to run (a Prefect task run)
        runs it in place, as part of the stage that needs it.
        """
        ...

    def map(self, name: str, fn: Callable[..., T], items: Sequence[Any], *args: Any,
            io: bool = False, label: Callable[[Any], str] | None = None) -> list[T]:
        """Run fn(item, *args) for every item, spread as the runner can; results in order.

        `io`: the work mostly waits (network), so threads serve it best.
        `label` names each item's run (a folder's or a feed's name): labelled
        items are sources, each run on its own where runs have names; items
        without are batches, which a runner may run as one stage.
        """
        ...

    def start(self, name: str, fn: Callable[..., T], *args: Any) -> Pending[T]:
        """Start fn(*args) as stage `name` beside what follows; its result() waits for it."""
        ...

    def start_map(self, name: str, fn: Callable[..., T], items: Sequence[Any],
                  *args: Any) -> Pending[list[T]]:
        """Start `map` beside what follows; its result() waits for every item, in order.

        A runner with no other worker may run the items at once, before returning.
        """
        ...

    def warn(self, message: str) -> None:
        """Report a problem (once) where the run's log goes."""
        ...

    def progress(self, message: str) -> None:
        """Say how far the run is (the log at INFO: `digest run -v`, the Prefect UI)."""
        ...


class Pending(Protocol[T_co]):
    """A stage started and not yet waited for (a future of any kind)."""

    def result(self) -> T_co: ...


@dataclass(frozen=True)
class Published:
    """Where the day's digest was written, and the digest itself."""

    html: Path
    text: Path
    index: Path
    email_html: Path
    digest: Digest


@dataclass(frozen=True)
class RunResult:
    """What one run produced: its files, its figures, its problems and its email."""

    day: date
    published: Published
    counts: DigestCounts
    problems: tuple[SourceProblem, ...] = ()
    delivery: Delivery | None = None

    def summary_line(self) -> str:
        """Return where every article read went, in one line."""
        c = self.counts
        known = c.read - c.new - c.duplicates
        notes = [f"{c.older} older than the window, not shown" if c.older else "",
                 f"{c.shown_before} in earlier digests, not shown again"
                 if c.shown_before else "",
                 f"{_count(c.unchanged, 'feed')} unchanged" if c.unchanged else ""]
        read = "; ".join(n for n in notes if n)
        kept = f" ({c.carried} from earlier runs)" if c.carried else ""
        muted = f", {_count(c.muted, 'story', 'stories')} muted" if c.muted else ""
        return (f"{_count(c.read, 'article')} read{f' ({read})' if read else ''}, "
                f"{c.new} new, {f'{known} already known, ' if known else ''}"
                f"{_count(c.duplicates, 'duplicate')} dropped{muted}, "
                f"{c.articles} in the digest{kept} as "
                f"{_count(c.stories, 'story', 'stories')} in {_count(c.themes, 'section')}")


def _count(number: int, one: str, many: str = "") -> str:
    return f"{number} {one if number == 1 else (many or one + 's')}"


def today(config: Config) -> date:
    """Return today's date in the configured time zone."""
    return datetime.now(config.zone).date()


def run_digest(
    config: Config, day: date, runner: Runner, *, send: bool = True, resend: bool = False,
    retry_send: bool = True, password: Callable[[], str | None] | None = None,
) -> RunResult:
    """Run the day's digest from sources to inbox; record the run in the store.

    With `send` false the email is written to digest.eml, not sent (a
    preview); `resend` sends it again to recipients who already had it;
    `retry_send` false tries the mail server once (someone is waiting).
    `password` returns the SMTP password (default: the environment's).
    """
    now = datetime.now(UTC)
    zone = config.zone
    with Store(config.store_path) as store:
        run_id = store.start_run(day, now)
        counts = DigestCounts()
        reads: Reads | None = None
        try:
            jobs = runner.recall("recall-feeds", recall_feeds, store, config)
            reads = read_sources(runner, config, jobs, now)
            results = reads.results
            problems = [p for r in results for p in r.problems]
            for problem in problems:
                runner.warn(str(problem))
            check_sources(results)
            runner.progress(f"read {_count(sum(len(r.articles) for r in results), 'article')} "
                            f"from {_count(len(results), 'source')}")
            read = clean_all(runner, store, [a for r in results for a in r.articles], config)
            known = runner.recall("recall-articles", recall_articles, store, read, day, config)
            deduped = runner.step("dedup", find_duplicates, read, known.keys)
            chosen = select_for_digest(deduped.unique, known.day_articles, known.in_earlier,
                                       known.in_this_day, day, zone, config.fetch.window_days)
            keys = summary_keys(chosen, config.summary)
            cached = runner.recall("recall-summaries", recall_summaries, store, keys)
            runner.progress(f"{len(chosen)} of them for the digest of {day}; grouping stories")
            stories, computed = group_day(runner, store, chosen, known, config)
            todo = [a for a in stories.representatives if a.id not in cached]
            runner.progress(f"{_count(len(stories.representatives), 'story', 'stories')}; "
                            f"summarizing {len(todo)} (the rest are cached), finding sections")
            # Sections need the stories, not their summaries: both go at once.
            representatives = list(stories.representatives)
            themes_at = themes_key(representatives, config.themes, config.summary.language)
            kept = runner.recall("recall-themes", recall_computed, store, themes_at)
            sections = (None if kept is not None else
                        runner.start("themes", group_themes, representatives, config.themes,
                                     config.summary.language))
            made = summarize_all(runner, todo, config)
            summaries = {**cached, **{s.article_id: s for s in made}}
            if sections is None:
                themes = decode_themes(kept or "[]")
            else:
                themes = sections.result()
                computed.append((THEMES, themes_at, encode_themes(themes)))
            counts = count(reads, read, deduped, known, chosen, themes, stories,
                           window_start(day, zone, config.fetch.window_days))
            by_id = {a.id: a for a in chosen}
            digest = compose_digest(config, day, day_end(day, zone), themes, by_id, summaries,
                                    counts, problems, stories, known.days)
            counts = dataclasses.replace(counts, muted=digest.muted)
            # The articles' pages are written on the pool while this process
            # writes the day's page and the store; waited for before the email.
            folder = day_folder(config, day)
            article_files = runner.start_map(
                "article-pages", write_article_pages,
                batched(runner, article_pages(digest, by_id, folder), config),
                str(folder), page_context(digest))
            pages = runner.step("publish", write_pages, digest, config,
                                retries=FILE_RETRY_DELAYS)
            runner.step("write", save_results, store, reads, deduped,
                        [(keys[s.article_id], s) for s in made], digest, pages, config, now,
                        computed)
            reads = None  # written
            article_files.result()
            index = runner.step("index", write_index, store.digests(), config,
                                retries=FILE_RETRY_DELAYS)
            published = Published(pages.html, pages.text, index, pages.email_html, digest)
            delivery = None
            if send:
                delivery = runner.step(
                    "deliver", deliver, store, config, published, now,
                    (password or smtp_password)(), resend, pages.email,
                    retries=SEND_RETRY_DELAYS if retry_send else ())
            else:
                mail.write_unsent(digest, config.email, pages.html.parent, now, pages.email)
        except BaseException as exc:
            if reads is not None:  # how the sources went is kept, whatever failed after
                save_reads(store, reads, now)
            store.finish_run(run_id, "failed", counts, [f"{type(exc).__name__}: {exc}"],
                             datetime.now(UTC))
            raise
        store.finish_run(run_id, "completed", counts, [str(p) for p in problems],
                         datetime.now(UTC))
    return RunResult(day, published, counts, tuple(problems), delivery)


def count(
    reads: Reads, read: Sequence[Article], deduped: DedupResult, known: Known,
    chosen: Sequence[Article], themes: Sequence[Theme], stories: StoryGroups, start: datetime,
) -> DigestCounts:
    """Return the run's figures, saying where every article read went."""
    read_ids, chosen_ids = {a.id for a in read}, {a.id for a in chosen}
    return DigestCounts(
        read=len(read), new=sum(a.id not in known.stored for a in deduped.unique),
        duplicates=len(deduped.duplicates), articles=len(chosen), themes=len(themes),
        sources=len(reads.results), stories=len(stories.representatives),
        older=sum(a.id not in chosen_ids and a.kind == "feed" and a.published < start
                  for a in deduped.unique),
        carried=sum(a.id not in read_ids for a in chosen),
        shown_before=sum(a.id in known.in_earlier and a.id not in known.in_this_day
                         and a.id not in chosen_ids for a in deduped.unique),
        unchanged=sum(f.state.last_status == UNCHANGED for f in reads.feeds))


# recall: what the store knows, gathered before the pure stages run


@dataclass(frozen=True)
class FeedJob:
    """One feed to read: its state and the full text already stored for its items."""

    state: FeedState
    stored_full_text: dict[str, str]


def recall_feeds(store: Store, config: Config) -> list[FeedJob]:
    """Return a job per feed (configured or imported), with what the store knows of it."""
    configured = [feed.state() for feed in config.sources.feeds]
    return [FeedJob(state, store.full_text_bodies(state.url) if state.full_text else {})
            for state in store.feed_states(configured) if not state.paused]


@dataclass(frozen=True)
class Known:
    """What the store knows about the articles just read and the day's digest."""

    keys: StoredKeys
    # Id -> content hash of the read articles already stored.
    stored: dict[str, str]
    # Stored articles of the day's window, or already in the day's digest.
    day_articles: tuple[Article, ...]
    in_earlier: frozenset[str]
    in_this_day: frozenset[str]
    # The last `[stories] follow_days` digests: their articles and the day each was first shown.
    sent: tuple[Article, ...] = ()
    shown: dict[str, date] = field(default_factory=dict)
    # The days that have a digest (for the page's previous and next links).
    days: tuple[date, ...] = ()


def recall_articles(store: Store, read: Sequence[Article], day: date, config: Config) -> Known:
    """Return what the store knows that the day's stages need, in one pass of reads."""
    zone = config.zone
    stored_day = store.articles_for_day(day, window_start(day, zone, config.fetch.window_days),
                                        day_end(day, zone))
    ids = sorted({a.id for a in read} | {a.id for a in stored_day})
    shown = store.recently_shown(day, day - timedelta(days=config.stories.follow_days))
    return Known(
        keys=store.stored_keys(read), stored=store.existing_hashes([a.id for a in read]),
        day_articles=tuple(stored_day), in_earlier=frozenset(store.in_earlier_digests(ids, day)),
        in_this_day=frozenset(store.digest_article_ids(day)),
        sent=tuple(store.articles_by_id(sorted(shown))), shown=shown,
        days=tuple(r.day for r in store.digests()))


def recall_summaries(store: Store, keys: dict[str, str]) -> dict[str, ArticleSummary]:
    """Return the cached summaries of these articles, by id ({id: summary key} given)."""
    return store.cached_summaries(keys)


def recall_cleaned(store: Store, read_hashes: dict[str, str]) -> dict[str, Cleaned]:
    """Return what cleaning made of the articles read exactly so before ({id: read hash})."""
    return store.cleaned(read_hashes)


def recall_leads(store: Store, keys: Sequence[str]) -> dict[str, bytes]:
    """Return the stored story leads under these keys (`lead_key`), by key."""
    return store.leads(keys)


def recall_computed(store: Store, key: str) -> str | None:
    """Return the whole-day result stored under `key`, if a run computed it."""
    return store.computed(key)


# read


@dataclass(frozen=True)
class Reads:
    """What reading every source gave: each folder's result and each feed's read."""

    folders: tuple[IngestResult, ...]
    feeds: tuple[FeedRead, ...]

    @property
    def results(self) -> list[IngestResult]:
        return [*self.folders, *(f.result for f in self.feeds)]


def read_sources(runner: Runner, config: Config, jobs: Sequence[FeedJob],
                 now: datetime) -> Reads:
    """Read every folder (a task each) and every feed (a task each, on threads: they wait)."""
    runner.progress(f"reading {_count(len(config.sources.folders), 'folder')} and fetching "
                    f"{_count(len(jobs), 'feed')}")
    folders = runner.map("read-folder", read_source, list(config.sources.folders),
                         config.sources, label=lambda folder: Path(folder).name)
    feeds: list[FeedRead] = []
    if jobs:
        limiter = HostLimiter(config.fetch.workers, config.fetch.per_host)
        with make_client(config.fetch) as client:
            feeds = runner.map("read-feed", read_one_feed, list(jobs), config.fetch, now,
                               client, limiter, io=True, label=lambda job: job.state.name)
    return Reads(tuple(folders), tuple(feeds))


def read_source(folder: str, settings: SourcesConfig) -> IngestResult:
    """Read one configured folder."""
    return read_folder(folder, max_bytes=settings.max_file_bytes,
                       follow_links=settings.follow_links, recursive=settings.recursive)


def read_one_feed(job: FeedJob, settings: FetchConfig, now: datetime, client: Any,
                  limiter: HostLimiter) -> FeedRead:
    """Fetch and parse one feed (and the full text of its stub items, when asked)."""
    return read_feed(client, job.state, settings, now, limiter, job.stored_full_text)


def check_sources(results: Sequence[IngestResult]) -> None:
    """Raise SourceError when there were sources and every one of them failed.

    A digest made of nothing is no digest: the run fails and says why.
    """
    if results and all(r.failed for r in results):
        reasons = "; ".join(str(p) for r in results for p in r.problems[:1]) or "no reason given"
        raise SourceError(f"every source failed, so there is no digest: {reasons}")


# the pure stages' batch forms


def clean_all(runner: Runner, store: Store, articles: Sequence[Article],
              config: Config) -> list[Article]:
    """Clean every article read, in batches (text, keys and language, once each).

    An article read exactly as before, under the same rules, is not cleaned
    again: the store gives back its cleaned text, keys and language.
    """
    rules = clean_rules(config)
    hashes = [read_hash(a, rules.key) for a in articles]
    stored = runner.recall("recall-cleaned", recall_cleaned, store,
                         {a.id: h for a, h in zip(articles, hashes, strict=True)})
    same = [a.id in stored and stored[a.id].read_hash == h
            for a, h in zip(articles, hashes, strict=True)]
    # Each goes to cleaning with its read hash, which it keeps and is stored under.
    todo = [dataclasses.replace(a, read_hash=h)
            for a, h, kept in zip(articles, hashes, same, strict=True) if not kept]
    found = runner.map("clean", clean_articles, batched(runner, todo, config), rules)
    fresh = iter(a for batch in found for a in batch)
    return [_as_cleaned(a, stored[a.id]) if kept else next(fresh)
            for a, kept in zip(articles, same, strict=True)]


def _as_cleaned(read: Article, stored: Cleaned) -> Article:
    """Return `read` as cleaning made it before: what cleaning sets comes from the store."""
    return dataclasses.replace(read, title=stored.title, body=stored.body,
                               language=stored.language, url_key=stored.url_key,
                               content_hash=stored.content_hash, read_hash=stored.read_hash)


# (kind, key, stored form) of results kept for later runs: whole-day groupings, story leads.
Computed = list[tuple[str, str, str | bytes]]


def group_day(runner: Runner, store: Store, chosen: Sequence[Article], known: Known,
              config: Config) -> tuple[StoryGroups, Computed]:
    """Group the day's articles into stories: their leads in batches, then the pairing.

    The same articles under the same settings make the same stories: a
    rerun reads them back from the store. Also returns what to store.
    """
    language = config.summary.language
    pool = day_pool(chosen, known.sent)
    key = stories_key(pool, config.stories, language)
    kept = runner.recall("recall-stories", recall_computed, store, key)
    computed: Computed = []
    if kept is not None:
        found = decode_stories(kept)
    else:
        # Each article's lead is found once: those stored are read back.
        keys = {a.id: lead_key(a, language) for a in pool}
        stored = runner.recall("recall-leads", recall_leads, store, list(keys.values()))
        features = {a.id: decode_lead(stored[keys[a.id]]) for a in pool if keys[a.id] in stored}
        todo = [a for a in pool if a.id not in features]
        parts = batched(runner, todo, config)
        leads = runner.map("story-leads", leads_batch, parts, language)
        for batch, part in zip(parts, leads, strict=True):
            for article, (lead, encoded) in zip(batch, part, strict=True):
                features[article.id] = lead
                computed.append((LEADS, keys[article.id], encoded))
        found = runner.step("stories", group_stories, pool, config.stories.similarity,
                            config.stories.window_hours, language, features)
        computed.append((STORIES, key, encode_stories(found)))
    return split_sent(found, chosen, known.shown, config.stories.developing_min), computed


def leads_batch(articles: Sequence[Article], language: str) -> list[tuple[Lead, bytes]]:
    """Return each article's story lead, and the lead as the store keeps it (both where
    the batch runs, so the process that pairs the leads does not encode them)."""
    return [(lead, encode_lead(lead)) for lead in leads_of(articles, language)]


def summarize_all(runner: Runner, articles: Sequence[Article],
                  config: Config) -> list[ArticleSummary]:
    """Summarize the articles (the stories' representatives not cached), in batches."""
    made = runner.map("summarize", summarize_batch, batched(runner, articles, config),
                      config.summary)
    return [s for batch in made for s in batch]


def batched(runner: Runner, items: Sequence[T], config: Config) -> list[list[T]]:
    """Split `items` into the runner's batches (`[run] batch_size` as the runner sizes it)."""
    return batches(items, runner.batch_size(config.run.batch_size, len(items)))


def batches(items: Sequence[T], size: int) -> list[list[T]]:
    """Split `items` into lists of at most `size`, in order."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def clean_rules(config: Config) -> CleaningRules:
    c = config.clean
    return build_rules(c.drop_lines, c.cut_from, c.use_default_rules)


def summary_keys(articles: Sequence[Article], settings: SummaryConfig) -> dict[str, str]:
    """Return {article id: summary cache key} under the configured summarizer."""
    return {a.id: summary_key(a, settings.algorithm, settings.sentences, settings.language,
                              settings.words) for a in articles}


def summarize_batch(articles: Sequence[Article], settings: SummaryConfig) -> list[ArticleSummary]:
    """Summarize a batch of articles."""
    return summarize_articles(articles, settings.algorithm, settings.sentences,
                              settings.language, settings.words)


def group_themes(articles: Sequence[Article], settings: ThemesConfig, language: str) -> list[Theme]:
    """Group the day's stories into sections: by topic, or by their feeds' categories."""
    if settings.by == "category":
        return group_by_category(articles)
    return group_by_theme(articles, settings.min_similarity, settings.max_singletons, language)


# write: the results, in one transaction


def save_results(
    store: Store, reads: Reads, deduped: DedupResult,
    summaries: Sequence[tuple[str, ArticleSummary]], digest: Digest, pages: Pages,
    config: Config, now: datetime, computed: Sequence[tuple[str, str, str | bytes]] = (),
) -> None:
    """Store everything the run learned, all or nothing."""
    s = config.summary
    with store.transaction():
        store.save_leads([(key, value) for kind, key, value in computed
                          if kind == LEADS and isinstance(value, bytes)], now)
        for kind, key, value in computed:
            if kind != LEADS and isinstance(value, str):
                store.save_computed(kind, key, value, now)
        save_reads(store, reads, now)
        store.save_articles(deduped.unique, now)
        store.save_duplicates(deduped.duplicates, now)
        store.save_summaries(summaries, -s.words if s.words else s.sentences, s.language, now)
        store.save_digest(digest.day, str(pages.html), str(pages.text), digest.article_ids,
                          len(digest.sections), now)


def save_reads(store: Store, reads: Reads, now: datetime) -> None:
    """Store how each source's read went, and each feed's new fetch state."""
    with store.transaction():
        for result in reads.folders:
            store.record_source(result, now)
        for feed in reads.feeds:
            store.save_feed_state(feed.state)
            store.record_source(feed.result, now, kind="feed")


# deliver


def deliver(
    store: Store, config: Config, published: Published, now: datetime,
    password: str | None = None, resend: bool = False,
    email: tuple[str, str] | None = None,
) -> Delivery:
    """Write the day's email next to its digest and send it to whoever has not had it.

    A failed send says where the digest is and how to send it later.
    """
    try:
        delivery = mail.deliver(store, published.digest, config.email, published.html.parent,
                                now, password, resend, parts=email)
    except DeliveryError as exc:
        day = published.digest.day.isoformat()
        how = (f"`digest run --date {day} --resend` sends it again"
               if isinstance(exc, DeliveryInDoubt)
               else f"`digest run --date {day}` sends it to whoever has not had it")
        raise type(exc)(f"{exc}; the digest is written ({published.html}); {how}") from None
    if delivery.note:
        # A send in doubt needs someone to look (and perhaps --resend).
        log.log(logging.WARNING if delivery.in_doubt else logging.INFO,
                "email: %s", delivery.note)
    return delivery


# the in-process runner


StageTimer = Callable[[str, float], None]


class InProcess:
    """Run every stage in this process, without Prefect.

    Waiting work (feeds) runs on `io_workers` threads; other maps run on
    `executor` when one is given (a process pool uses every core), else one
    after another. `on_stage`, when given, gets each stage's name and seconds.
    """

    def __init__(self, io_workers: int = 8, executor: Executor | None = None,
                 on_stage: StageTimer | None = None,
                 pool: Callable[[], Executor] | None = None, cores: int = 0,
                 rerun: bool = False) -> None:
        self.io_workers = io_workers
        self.executor = executor
        self.on_stage = on_stage
        # Makes `executor` when a map first has more than one batch (`[run] task_runner = "auto"`).
        self._pool = pool
        self.cores = cores or os.cpu_count() or 1  # the processes `pool` makes
        # The day was made before: its articles are likely all stored, and the pool
        # (its warm-up) not needed at all.
        self.rerun = rerun

    def batch_size(self, configured: int, count: int) -> int:
        # A batch costs the pool little beyond its work: the smaller, the
        # evener the cores' share (bench/README.md, Prefect's fixed cost).
        return configured

    def step(self, name: str, fn: Callable[..., T], *args: Any,
             retries: Sequence[float] = ()) -> T:
        with self._timed(name):
            return fn(*args)

    def recall(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        return self.step(name, fn, *args)

    def map(self, name: str, fn: Callable[..., T], items: Sequence[Any], *args: Any,
            io: bool = False, label: Callable[[Any], str] | None = None) -> list[T]:
        with self._timed(name):
            if io and items:
                with ThreadPoolExecutor(self.io_workers) as pool:
                    return list(pool.map(lambda item: fn(item, *args), items))
            if label is not None and self._pool_due(items) and not _WARM[0]:
                if self.rerun:  # read here and on processes forked now, the pool left unmade
                    return Ahead(fn, items, args, self.cores - 1).along(
                        lambda item: fn(item, *args))
                # Sources, and the pool not made yet: they are read while it is.
                return beside_warm_up(fn, items, args, self._make_pool, self.cores - 1)
            executor = self._executor_for(items)
            if executor is not None:
                return map_on(executor, fn, items, args)
            return [fn(item, *args) for item in items]

    def _executor_for(self, items: Sequence[Any]) -> Executor | None:
        """The executor a map of `items` goes to (the pool is made when first due), if any."""
        if self._pool_due(items):
            self._make_pool()
        return self.executor if len(items) > 1 else None

    def _pool_due(self, items: Sequence[Any]) -> bool:
        """Whether a map of `items` makes the pool now (the first with more than one)."""
        return self.executor is None and self._pool is not None and len(items) > 1

    def _make_pool(self) -> Executor:
        assert self._pool is not None
        self.executor, self._pool = self._pool(), None
        return self.executor

    def start_map(self, name: str, fn: Callable[..., T], items: Sequence[Any],
                  *args: Any) -> Pending[list[T]]:
        executor = self._executor_for(items)
        if executor is None:
            return _Done(self.map(name, fn, items, *args))
        futures = [executor.submit(fn, item, *args) for item in items]
        # The stage's time is what the run waits for it once it asks for the results.
        return Gathered(futures, self._timed(name))

    def start(self, name: str, fn: Callable[..., T], *args: Any) -> Pending[T]:
        if self.executor is None:
            with self._timed(name):
                return _Done(fn(*args))
        return self.executor.submit(fn, *args)

    def warn(self, message: str) -> None:
        log.warning("%s", message)

    def progress(self, message: str) -> None:
        PROGRESS.info("%s", message)

    def _timed(self, name: str) -> _Timer:
        return _Timer(name, self.on_stage)


class _Done(Generic[T]):
    """A stage already run."""

    def __init__(self, value: T) -> None:
        self.value = value

    def result(self) -> T:
        return self.value


class Gathered(Generic[T]):
    """A map's futures (of any kind): result() waits for each, in order, under the stage's
    timer when one is given."""

    def __init__(self, futures: Sequence[Pending[T]], timer: _Timer | None = None) -> None:
        self.futures, self.timer = futures, timer

    def result(self) -> list[T]:
        with self.timer or nullcontext():
            return [future.result() for future in self.futures]


class _Timer:
    def __init__(self, name: str, report: StageTimer | None) -> None:
        self.name, self.report, self.start = name, report, 0.0

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        if self.report:
            self.report(self.name, time.perf_counter() - self.start)


def beside_warm_up(fn: Callable[..., T], items: Sequence[Any], args: Sequence[Any],
                   make_pool: Callable[[], Executor], processes: int) -> list[T]:
    """Run fn(item, *args) for every item on up to `processes` processes forked now, while
    `make_pool()` warms this process up and forks the pool; the results in order.

    Reading the sources needs nothing the warm-up loads, so the two overlap
    instead of the sources waiting for the pool: on the BBC day the reading
    stage takes about 0.13 s less (bench/README.md, "the eleventh session").
    What the processes have not begun once the pool is made, and what a
    process that died had, is read on the pool (`Ahead`). An exception raised
    by `fn` is raised here.
    """
    ahead = Ahead(fn, items, args, processes)
    try:
        pool = make_pool()
    except BaseException:  # nobody will take what the processes send
        ahead.cancel()
        raise
    return ahead.results(lambda share: map_on(pool, fn, share, args))


def map_on(executor: Executor, fn: Callable[..., T], items: Sequence[Any],
           args: Sequence[Any]) -> list[T]:
    """fn(item, *args) for every item, on `executor`; the results in order."""
    return list(executor.map(fn, items, *[[a] * len(items) for a in args]))


def warm_up() -> None:
    """Load what the stages use: the language model, English word rarities, the summarizer
    (its stemmer and stop words), and the modules sections need. Called before forking
    workers, which then share them."""
    import gc
    import importlib

    from digest.summarize.registry import prepare
    from digest.text.language import detect
    from digest.text.rarity import Rarity

    detect("A sentence long enough for the language model to be loaded.")
    Rarity("english")("news")
    prepare("news", "english")
    # Else the worker that groups the sections imports them: 0.5-0.7 s of its
    # time (bench/README.md, "The sections' imports before the fork"). This
    # process imports the sparse matrices for story grouping anyway.
    for module in ("scipy.sparse", "scipy.linalg", "threadpoolctl"):
        importlib.import_module(module)
    # What is loaded now lives as long as the process: the collector leaves
    # it alone from here on (Python's `gc.freeze`, meant for a parent about
    # to fork). Workers then share its memory pages without the collector
    # touching them, and a forkserver holding the models ends at once
    # instead of collecting them on the way out (bench/README.md, "The
    # forkserver's exit").
    gc.freeze()
    _WARM[0] = True


# Whether `warm_up` has run in this process: a pool forked then costs only the fork.
_WARM = [False]


def fork_pool(workers: int = 0) -> ProcessPoolExecutor:
    """Return a pool of `workers` processes (0: one per core), forked from this one.

    Forked workers share what this process has imported and loaded (the
    language model, word rarities): loaded once here, not once per worker.
    """
    import multiprocessing

    warm_up()
    return ProcessPoolExecutor(workers or None, mp_context=multiprocessing.get_context("fork"),
                               initializer=watch_parent, initargs=(os.getpid(),))


def _made_before(config: Config, day: date) -> bool:
    """Whether the store has `day`'s digest already: a rerun, whose articles are likely
    all stored, so that no stage needs the pool and its warm-up (0.3-0.45 s of a rerun
    in a fresh process, bench/README.md, "the twelfth session") would be wasted."""
    try:
        with Store(config.store_path) as store:
            return store.has_digest(day)
    except StoreError:
        return False  # the run itself reports it


def run_in_process(
    config: Config, day: date | None = None, on_stage: StageTimer | None = None,
    send: bool = True, resend: bool = False,
) -> RunResult:
    """Run the day's digest in this process (threads for feeds, processes when configured).

    `[run] task_runner = "auto"` forks a pool on every core when a map first
    has more than one batch: a small day never pays for the pool.
    """
    day = day or today(config)
    settings = config.run
    modelcache.use(config.cache_dir)
    if settings.task_runner == "processes":
        with fork_pool(settings.workers) as pool:
            return run_digest(config, day, InProcess(config.fetch.workers, pool, on_stage),
                              send=send, resend=resend)
    if settings.task_runner == "auto" and (settings.workers or os.cpu_count() or 1) > 1:
        with ExitStack() as stack:
            runner = InProcess(config.fetch.workers, None, on_stage,
                               pool=lambda: stack.enter_context(fork_pool(settings.workers)),
                               cores=settings.workers, rerun=_made_before(config, day))
            return run_digest(config, day, runner, send=send, resend=resend)
    if settings.task_runner == "dask":
        from distributed import Client, LocalCluster

        cluster = (None if settings.dask_address
                   else LocalCluster(  # type: ignore[no-untyped-call]
                       n_workers=settings.workers or None, threads_per_worker=1,
                       processes=True, dashboard_address=":0"))
        with Client(settings.dask_address or cluster) as client:  # type: ignore[no-untyped-call]
            try:
                return run_digest(config, day, InProcess(config.fetch.workers,
                                                         client.get_executor(), on_stage),
                                  send=send, resend=resend)
            finally:
                if cluster is not None:
                    cluster.close()
    return run_digest(config, day, InProcess(config.fetch.workers, None, on_stage),
                      send=send, resend=resend)

