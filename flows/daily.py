"""The `daily-digest` Prefect flow: one task per stage (and per source) over digest.pipeline."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

# Offline, Prefect's server otherwise logs telemetry errors.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from digest import mail, pipeline
from digest.config import Config, SourcesConfig, load_config
from digest.errors import DigestError
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
def read_source(folder: str, settings: SourcesConfig) -> IngestResult:
    return pipeline.read_source(folder, settings)


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


@task(name="group-stories", cache_policy=NO_CACHE)
def group_stories(
    articles: list[Article], config: Config, day: dt.date
) -> pipeline.StoryGroups:
    with Store(config.store_path) as store:
        return pipeline.stories(store, articles, day, config)


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
    problems: list[SourceProblem], now: dt.datetime, grouped: pipeline.StoryGroups,
) -> pipeline.Published:
    with Store(config.store_path) as store:
        return pipeline.publish(store, config, day, groups, articles, summaries, counts,
                                problems, now, grouped)


# SMTP failures are usually passing (a restarting relay, a greylisting server):
# retried after 10 s, 1 min and 5 min before the run fails.
SEND_RETRY_DELAYS = [10, 60, 300]


@task(name="send-email", retries=len(SEND_RETRY_DELAYS), retry_delay_seconds=SEND_RETRY_DELAYS,
      cache_policy=NO_CACHE)
def send_email(
    config: Config, published: pipeline.Published, now: dt.datetime, resend: bool
) -> mail.Delivery:
    with Store(config.store_path) as store:
        return pipeline.deliver(store, config, published, now, smtp_password(config), resend)


def smtp_password(config: Config) -> str | None:
    """Return the SMTP password: from the Prefect Secret block when one is named, else the env."""
    name = config.email.password_secret
    if name:
        from prefect.blocks.system import Secret

        try:
            return str(Secret.load(name).get())
        except ValueError as exc:  # no such block
            reason = " ".join(str(exc).split())
            raise DigestError(f"{config.origin}: [email] password_secret '{name}': cannot "
                              f"load the Prefect Secret block ({reason})") from None
    return mail.env_password()


def run_name() -> str:
    """Name flow runs after the digest's date: daily-digest-2026-11-24."""
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    day = parameters.get("date")
    if not day:
        try:
            day = pipeline.today(load_config(parameters.get("config")))
        except DigestError:
            day = dt.date.today()
    return f"daily-digest-{day}"


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """on_failure hook: email the configured admin address with the error."""
    parameters = flow_run.parameters or {}
    try:
        settings = load_config(parameters.get("config"))
        day = parameters.get("date")
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        error = state.message or "the run failed"
        sent = mail.send_failure_notice(settings.email, smtp_password(settings), day, error,
                                        dt.datetime.now(dt.UTC))
    except Exception as exc:  # a failing notice must not hide the run's own failure
        get_run_logger().error("could not send the failure notice: %s", exc)
        return
    if sent:
        get_run_logger().info("failure notice sent to %s", settings.email.admin)


@flow(name="daily-digest", flow_run_name=run_name, on_failure=[notify_failure])
def daily_digest(
    date: dt.date | None = None, config: str | None = None, resend: bool = False,
    retry_send: bool = True,
) -> dict[str, Any]:
    """Read the sources, drop duplicates, summarize, group by theme, write and email the digest.

    `date` defaults to today in the configured time zone; `resend` emails the
    digest again to recipients who already had it. `retry_send` false (a run
    by hand, someone is waiting) tries the SMTP server once instead of three
    more times over six minutes.
    """
    logger = get_run_logger()
    settings = load_config(config)
    day = date or pipeline.today(settings)
    now = dt.datetime.now(dt.UTC)
    with Store(settings.store_path) as store:
        run_id = store.start_run(day, now)
    counts = DigestCounts()
    try:
        results = [f.result() for f in read_source.map(list(settings.sources.folders),
                                                           unmapped(settings.sources))]
        reads = read_all_feeds(settings, now)
        record_sources(settings, results, reads, now)
        results += [read.result for read in reads]
        pipeline.check_sources(results)
        problems = [p for r in results for p in r.problems]
        for problem in problems:
            logger.warning("%s", problem)
        articles = clean([a for r in results for a in r.articles], settings)
        deduped = drop_duplicates(settings, articles)
        new, chosen = store_articles(settings, deduped, day, now)
        grouped = group_stories(chosen, settings, day)
        representatives = list(grouped.representatives)
        summaries = summarize(settings, representatives, now)
        groups = group_themes(representatives, settings)
        counts = DigestCounts(read=len(articles), new=new, duplicates=len(deduped.duplicates),
                              articles=len(chosen), themes=len(groups), sources=len(results),
                              stories=len(representatives))
        published = publish(settings, day, groups, chosen, summaries, counts, problems, now,
                            grouped)
        publish_artifacts(settings, day, groups, chosen, grouped.coverage)
        sender = send_email if retry_send else send_email.with_options(retries=0)
        delivery = sender(settings, published, now, resend)
    except Exception as exc:
        with Store(settings.store_path) as store:
            store.finish_run(run_id, "failed", counts, [f"{type(exc).__name__}: {exc}"],
                             dt.datetime.now(dt.UTC))
        raise
    with Store(settings.store_path) as store:
        store.finish_run(run_id, "completed", counts, [str(p) for p in problems],
                         dt.datetime.now(dt.UTC))
    result = pipeline.RunResult(day, published, counts, tuple(problems), delivery)
    logger.info("Digest for %s: %s", day.isoformat(), result.summary_line())
    return {
        "day": day.isoformat(),
        "html": str(published.html),
        "text": str(published.text),
        "index": str(published.index),
        "counts": counts.__dict__,
        "problems": [str(p) for p in problems],
        "summary": result.summary_line(),
        "email_html": str(published.email_html),
        "eml": str(delivery.eml),
        "sent_to": list(delivery.sent_to),
        "email_note": delivery.note,
    }


def publish_artifacts(
    settings: Config, day: dt.date, groups: list[Theme], chosen: list[Article],
    coverage: dict[str, tuple[str, ...]],
) -> None:
    """Publish the headlines (markdown) and each source's status (table) to the Prefect UI."""
    create_markdown_artifact(
        key="daily-digest",
        markdown=headlines_markdown(day, groups, {a.id: a for a in chosen}, coverage),
        description=f"Headlines of the digest for {day.isoformat()}",
    )
    with Store(settings.store_path) as store:
        rows = [{"source": r["name"], "kind": r["kind"], "articles": r["articles"],
                 "problems": r["problems"], "last success": r["last_success"] or "never",
                 "last error": r["last_error"] or ""} for r in store.sources()]
    create_table_artifact(key="digest-sources", table=rows,
                          description=f"Sources read for the digest of {day.isoformat()}")


def read_all_feeds(settings: Config, now: dt.datetime) -> list[FeedRead]:
    """Run a read-feed task per feed; the limiter caps how many fetch at once, and per host."""
    jobs = plan_feeds(settings)
    if not jobs:
        return []
    limiter = HostLimiter(settings.fetch.workers, settings.fetch.per_host)
    with make_client(settings.fetch) as client:
        futures = [read_feed.submit(job, settings, now, client, limiter) for job in jobs]
        return [future.result() for future in futures]


def headlines_markdown(
    day: dt.date, groups: list[Theme], articles: dict[str, Article],
    coverage: dict[str, tuple[str, ...]] | None = None,
) -> str:
    """Return the digest's themes and headlines as Markdown, for the Prefect UI."""
    coverage = coverage or {}
    lines = [f"# Digest for {day.isoformat()}", ""]
    if not groups:
        lines.append("No new articles.")
    for theme in groups:
        lines += [f"## {_md(theme.label)} ({len(theme.article_ids)})", ""]
        for article_id in theme.article_ids:
            article = articles[article_id]
            others = sorted({articles[i].source for i in coverage.get(article_id, ())}
                            - {article.source})
            also = f"; also {', '.join(_md(o) for o in others)}" if others else ""
            lines.append(f"- {_md(article.title)} ({_md(article.source)}{also})")
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Escape Markdown's inline markup in feed-supplied text."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+!|<>" else c for c in text)


DEPLOYMENT_NAME = "daily"
DEPLOYMENT = f"daily-digest/{DEPLOYMENT_NAME}"


def deployment(config: str | None = None) -> Any:
    """Return the `daily-digest/daily` deployment on the configured cron and time zone.

    The deployment runs with the given config file (as an absolute path, so
    runs do not depend on the directory the server was started in).
    """
    from pathlib import Path

    from prefect.schedules import Cron

    settings = load_config(config)
    parameters = {"config": str(Path(config).resolve())} if config else {}
    return daily_digest.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(settings.schedule.cron, timezone=settings.schedule_timezone)],
        parameters=parameters,
        description=f"{settings.digest.title}: every day at '{settings.schedule.cron}' "
                    f"({settings.schedule_timezone})",
        tags=["news-digest"],
    )


# How often `digest serve` asks the server for runs to start. Prefect's default
# (10 s) would be most of the wait between `digest trigger` and the run.
SERVE_POLL_SECONDS = 2.0


def serve_deployment(config: str | None = None) -> None:
    """Register the deployment and run its scheduled and manual runs until stopped.

    One run at a time: a manual trigger during the scheduled run waits for it.
    Stopping (Ctrl-C) pauses the deployment's schedule; serving again resumes it.
    """
    from prefect import serve

    serve(deployment(config), limit=1, query_seconds=SERVE_POLL_SECONDS)


def trigger(parameters: dict[str, Any], wait: bool = True) -> Any:
    """Start a run of `daily-digest/daily` on the running server; wait for it when asked."""
    from prefect.deployments import run_deployment

    return run_deployment(DEPLOYMENT, parameters=parameters, timeout=None if wait else 0,
                          poll_interval=1, as_subflow=False)
