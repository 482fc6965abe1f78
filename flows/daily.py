"""The `daily-digest` Prefect flow: one task per stage (and per source) over digest.pipeline."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

# Offline, Prefect's server otherwise logs telemetry errors (DEVELOPERS.md).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from digest import pipeline
from digest.config import Config, load_config
from digest.feeds import FeedRead
from digest.fetch import HostLimiter, make_client
from digest.models import (
    Article,
    ArticleSummary,
    DedupResult,
    DigestCounts,
    IngestResult,
    SourceProblem,
    Theme,
)
from digest.store import Store

# Our own cache lives in the store (summaries by content hash), so tasks use
# NO_CACHE: Prefect's input hashing would only cost time on lists of articles.
# Tasks that touch files or the database retry: a locked database or a busy
# disk usually passes.
RETRIES = 2
RETRY_DELAY_SECONDS = 5


@task(name="read-source", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS,
      cache_policy=NO_CACHE)
def read_source(folder: str) -> IngestResult:
    return pipeline.read_source(folder)


@task(name="plan-feeds", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS,
      cache_policy=NO_CACHE)
def plan_feeds(config: Config) -> list[pipeline.FeedJob]:
    with Store(config.store_path) as store:
        return pipeline.feed_jobs(store, config)


# No Prefect retries: a failed fetch is recorded with its backoff, not raised.
@task(name="read-feed", task_run_name="read-feed-{job.state.name}", cache_policy=NO_CACHE)
def read_feed(
    job: pipeline.FeedJob, config: Config, now: dt.datetime, client: Any, limiter: Any
) -> FeedRead:
    return pipeline.read_one_feed(job, config, now, client, limiter)


@task(name="record-sources", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS,
      cache_policy=NO_CACHE)
def record_sources(
    config: Config, results: list[IngestResult], reads: list[FeedRead], now: dt.datetime
) -> None:
    with Store(config.store_path) as store:
        pipeline.record_sources(store, results, now)
        pipeline.record_feeds(store, reads, now)


@task(name="clean", cache_policy=NO_CACHE)
def clean(articles: list[Article], config: Config) -> list[Article]:
    return pipeline.clean(articles, config)


@task(name="drop-duplicates", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS,
      cache_policy=NO_CACHE)
def drop_duplicates(config: Config, articles: list[Article]) -> DedupResult:
    with Store(config.store_path) as store:
        return pipeline.drop_duplicates(store, articles)


@task(name="store-articles", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS,
      cache_policy=NO_CACHE)
def store_articles(
    config: Config, deduped: DedupResult, day: dt.date, now: dt.datetime
) -> tuple[int, list[Article]]:
    with Store(config.store_path) as store:
        new = pipeline.save(store, deduped, now)
        return new, pipeline.select_for_digest(store, list(deduped.unique), day, config)


@task(name="summarize", cache_policy=NO_CACHE)
def summarize(
    config: Config, articles: list[Article], now: dt.datetime
) -> dict[str, ArticleSummary]:
    with Store(config.store_path) as store:
        return pipeline.summarize(store, articles, config, now)


@task(name="group-themes", cache_policy=NO_CACHE)
def group_themes(articles: list[Article], config: Config) -> list[Theme]:
    return pipeline.themes(articles, config)


@task(name="publish", retries=RETRIES, retry_delay_seconds=RETRY_DELAY_SECONDS,
      cache_policy=NO_CACHE)
def publish(
    config: Config, day: dt.date, groups: list[Theme], articles: list[Article],
    summaries: dict[str, ArticleSummary], counts: DigestCounts,
    problems: list[SourceProblem], now: dt.datetime,
) -> pipeline.Published:
    with Store(config.store_path) as store:
        return pipeline.publish(store, config, day, groups, articles, summaries, counts,
                                problems, now)


@flow(name="daily-digest")
def daily_digest(date: dt.date | None = None, config: str | None = None) -> dict[str, Any]:
    """Read the sources, drop duplicates, summarize, group by theme and write the day's digest."""
    logger = get_run_logger()
    settings = load_config(config)
    day = date or pipeline.today(settings)
    now = dt.datetime.now(dt.UTC)
    with Store(settings.store_path) as store:
        run_id = store.start_run(day, now)
    counts = DigestCounts()
    try:
        results = [f.result() for f in read_source.map(list(settings.sources.folders))]
        reads = read_all_feeds(settings, now)
        record_sources(settings, results, reads, now)
        results += [read.result for read in reads]
        problems = [p for r in results for p in r.problems]
        for problem in problems:
            logger.warning("%s", problem)
        articles = clean([a for r in results for a in r.articles], settings)
        deduped = drop_duplicates(settings, articles)
        new, chosen = store_articles(settings, deduped, day, now)
        summaries = summarize(settings, chosen, now)
        groups = group_themes(chosen, settings)
        counts = DigestCounts(read=len(articles), new=new, duplicates=len(deduped.duplicates),
                              articles=len(chosen), themes=len(groups), sources=len(results))
        published = publish(settings, day, groups, chosen, summaries, counts, problems, now)
    except Exception as exc:
        with Store(settings.store_path) as store:
            store.finish_run(run_id, "failed", counts, [f"{type(exc).__name__}: {exc}"],
                             dt.datetime.now(dt.UTC))
        raise
    with Store(settings.store_path) as store:
        store.finish_run(run_id, "completed", counts, [str(p) for p in problems],
                         dt.datetime.now(dt.UTC))
    create_markdown_artifact(
        key="daily-digest",
        markdown=headlines_markdown(day, groups, {a.id: a for a in chosen}),
        description=f"Headlines of the digest for {day.isoformat()}",
    )
    result = pipeline.RunResult(day, published, counts, tuple(problems))
    logger.info("Digest for %s: %s", day.isoformat(), result.summary_line())
    return {
        "day": day.isoformat(),
        "html": str(published.html),
        "text": str(published.text),
        "index": str(published.index),
        "counts": counts.__dict__,
        "problems": [str(p) for p in problems],
        "summary": result.summary_line(),
    }


def read_all_feeds(settings: Config, now: dt.datetime) -> list[FeedRead]:
    """Run a read-feed task per feed; the limiter caps how many fetch at once, and per host."""
    jobs = plan_feeds(settings)
    if not jobs:
        return []
    limiter = HostLimiter(settings.fetch.workers, settings.fetch.per_host)
    with make_client(settings.fetch) as client:
        futures = [read_feed.submit(job, settings, now, client, limiter) for job in jobs]
        return [future.result() for future in futures]


def headlines_markdown(day: dt.date, groups: list[Theme], articles: dict[str, Article]) -> str:
    """Return the digest's themes and headlines as Markdown, for the Prefect UI."""
    lines = [f"# Digest for {day.isoformat()}", ""]
    if not groups:
        lines.append("No new articles.")
    for theme in groups:
        lines += [f"## {_md(theme.label)} ({len(theme.article_ids)})", ""]
        for article_id in theme.article_ids:
            article = articles[article_id]
            lines.append(f"- {_md(article.title)} ({_md(article.source)})")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Escape Markdown's inline markup in feed-supplied text."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+!|<>" else c for c in text)
