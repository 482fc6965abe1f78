"""The `daily-digest` Prefect flow: digest.pipeline's one description, its stages as tasks.

`run_digest` decides what runs and in what order; this module decides where:
each stage is a task run in the flow's process (the store is only touched
here), and the batch maps (reading folders, cleaning, summarizing) go to the
task runner named in `[run] task_runner`: threads, a process pool on every
core, or Dask (prefect-dask); "auto" makes them threads that hand their
batches to a pool forked from a warm forkserver (`digest_flows.forkserver`). Feeds wait on
the network: they always read on threads.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from contextlib import ExitStack
from typing import Any, ParamSpec, TypeVar

# This package has already turned Prefect's usage reports off (`digest_flows.without_telemetry`).
from prefect import Flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from digest import pipeline
from digest.config import Config, RunConfig, load_config
from digest.config import smtp_password as env_password
from digest.errors import DigestError
from digest.models import Digest, DigestCounts, SourceProblem
from digest.publish import mail
from digest.store import Store
from digest.text import modelcache
from digest_flows import forkserver

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

# The flow's batches are up to twice `[run] batch_size`: each task run costs it
# tens of milliseconds (its events, and a server recording them on the same
# machine), so fewer, bigger batches pay; 2x measured best of 1x-4x on a
# 2,000-article day (bench/README.md, Prefect's fixed cost).
FLOW_BATCH_SCALE = 2


def flow_batch_size(configured: int, count: int, cores: int) -> int:
    """Items in each of the flow's batches of `count` items: up to FLOW_BATCH_SCALE times
    `configured`, but never so big that a core gets no batch where `configured` gave it one."""
    even = -(-count // max(cores, 1))  # one batch per core
    return max(configured, min(configured * FLOW_BATCH_SCALE, even))


class PrefectRunner:
    """Run the pipeline's stages as Prefect tasks.

    A step is a task run in this process (with its retries); a store lookup
    (`recall`) runs in the flow's body. A map submits a task per item (a
    folder, a feed, a batch of articles) to the task runner, or to the thread
    runner for waiting work; with `[run] task_runner = "auto"` a map of
    batches is one task instead, whose batches go to the process pool (a
    task run costs the flow and its server tens of milliseconds, a batch on
    the pool almost nothing), while sources keep a task each. Our own caches
    live in the store, so tasks use NO_CACHE: hashing lists of articles would
    only cost.
    Every input is passed quoted: a task's inputs are days of articles, and
    Prefect would otherwise walk every object in them looking for futures
    (the stories step took 9 s instead of 0.8 s); no input is ever a future.
    """

    def __init__(self, heavy: TaskRunner, threads: TaskRunner,
                 pool: Callable[[], Executor] | None = None, cores: int = 1) -> None:
        self.heavy = heavy
        self.threads = threads
        self.cores = cores  # the workers the heavy maps spread over
        self.logger = get_run_logger()
        # `[run] task_runner = "auto"`: heavy tasks are threads that hand their
        # batch to this process pool (made when a map first has two batches).
        self._pool = pool
        self.executor: Executor | None = None

    def _executor_for(self, items: Sequence[Any]) -> Executor | None:
        """The pool this map's work goes to (made when a map first has two batches), if any."""
        if self.executor is None and self._pool is not None and len(items) > 1:
            self.executor, self._pool = self._pool(), None
        return self.executor

    def batch_size(self, configured: int, count: int) -> int:
        if self.executor is not None or self._pool is not None:
            return configured  # a task per stage: its batches cost the pool little
        return flow_batch_size(configured, count, self.cores)

    def step(self, name: str, fn: Callable[..., T], *args: Any,
             retries: Sequence[float] = ()) -> T:
        stage = task(fn, name=name, cache_policy=NO_CACHE, retries=len(retries),
                     retry_delay_seconds=list(retries) or 0)
        return stage(*map(quote, args))

    def recall(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        # A store lookup of milliseconds: a task run (and the server's record of
        # it) would cost more than the lookup.
        return fn(*args)

    def map(self, name: str, fn: Callable[..., T], items: Sequence[Any], *args: Any,
            io: bool = False, label: Callable[[Any], str] | None = None) -> list[T]:
        return self._submit_map(name, fn, items, args, io, label).result()

    def start_map(self, name: str, fn: Callable[..., T], items: Sequence[Any],
                  *args: Any) -> pipeline.Pending[list[T]]:
        return self._submit_map(name, fn, items, args)

    def _submit_map(self, name: str, fn: Callable[..., T], items: Sequence[Any],
                    args: Sequence[Any], io: bool = False,
                    label: Callable[[Any], str] | None = None) -> pipeline.Pending[list[T]]:
        executor = None if io else self._executor_for(items)
        if executor is not None and label is None:
            # Batches: one task for the stage, which spreads them over the pool.
            whole = task(spread_over, name=name, cache_policy=NO_CACHE)
            return self.heavy.submit(whole, _quoted(  # type: ignore[no-any-return]
                {"executor": executor, "fn": fn, "items": items, "args": args}, self.heavy))
        # Sources (named by `label`): a task each, its work on the pool if there is one.
        stage = task(on_executor(executor, fn), name=name, cache_policy=NO_CACHE)
        runner = self.threads if io else self.heavy
        signature = inspect.signature(fn)
        futures = []
        for item in items:
            run = stage.with_options(task_run_name=f"{name}-{label(item)}") if label else stage
            futures.append(runner.submit(run, _quoted(signature.bind(item, *args).arguments,
                                                      runner)))
        return pipeline.Gathered(futures)

    def start(self, name: str, fn: Callable[..., T], *args: Any) -> Any:
        executor = self._executor_for(())
        if executor is None:
            stage = task(fn, name=name, cache_policy=NO_CACHE)
            return self.heavy.submit(stage, _quoted(inspect.signature(fn).bind(*args).arguments,
                                                    self.heavy))
        # Handed to the pool now, from the flow's thread, so that it is queued
        # before what the flow submits next, as in the in-process run: the
        # sections before the summaries' batches. From the task's own thread
        # they raced, and when the batches won, the sections ran last, alone
        # on one core (two runs in five here: 0.4 s longer; bench/README.md,
        # "the eleventh session"). Its task waits for it.
        handed = executor.submit(fn, *args)
        return self.heavy.submit(task(wait_for, name=name, cache_policy=NO_CACHE),
                                 _quoted({"future": handed}, self.heavy))

    def warn(self, message: str) -> None:
        self.logger.warning("%s", message)

    def progress(self, message: str) -> None:
        self.logger.info("%s", message)
        pipeline.PROGRESS.info("%s", message)


def on_executor(executor: Executor | None, fn: Callable[..., T]) -> Callable[..., T]:
    """Return `fn` run on `executor` and waited for (a task's work handed to the pool), or
    `fn` itself without one."""
    if executor is None:
        return fn

    @functools.wraps(fn)
    def on_pool(*args: Any, **kwargs: Any) -> T:
        return executor.submit(fn, *args, **kwargs).result()

    return on_pool


def wait_for(future: Future[T]) -> T:
    """A task's work handed to the pool already: wait for it, and return its result."""
    return future.result()


def spread_over(executor: Executor, fn: Callable[..., T], items: Sequence[Any],
                args: Sequence[Any]) -> list[T]:
    """Run fn(item, *args) for every item on `executor`, all at once; the results in order."""
    return pipeline.Gathered([executor.submit(fn, item, *args) for item in items]).result()


def task_runner(settings: RunConfig) -> TaskRunner:
    """Return the task runner `[run] task_runner` names, for the heavy maps."""
    if settings.task_runner == "processes":
        return ProcessPoolTaskRunner(max_workers=settings.workers or os.cpu_count())
    if settings.task_runner == "dask":
        from prefect_dask import DaskTaskRunner

        if settings.dask_address:
            return DaskTaskRunner(address=settings.dask_address)
        return DaskTaskRunner(cluster_kwargs={
            "n_workers": settings.workers or os.cpu_count(), "threads_per_worker": 1,
            "processes": True, "dashboard_address": ":0"})
    if settings.task_runner == "auto":  # threads, handing their batches on to a pool
        return ThreadPoolTaskRunner(max_workers=max(forkserver.cores(settings) * 2, 4))
    return ThreadPoolTaskRunner(max_workers=settings.workers or None)


def _quoted(parameters: dict[str, Any], runner: TaskRunner) -> dict[str, Any]:
    """Return the parameters quoted for a task run on threads (Prefect then leaves them as
    they are); process and Dask runners take them as given (they serialise them anyway)."""
    if not isinstance(runner, ThreadPoolTaskRunner):
        return parameters
    return {name: quote(value) for name, value in parameters.items()}


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
    return env_password()


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


class FlowResult:
    """What `daily_digest` returns: the run's `pipeline.RunResult`, read through.

    A plain object, not a dataclass: Prefect walks a flow's return value
    (dataclasses field by field, lists, dicts) for futures to wait on, which
    took 0.09 s for the BBC day's digest and holds up the run's end; an object
    of another kind it leaves alone (bench/README.md, "The flow's return value").
    """

    __slots__ = ("run",)

    def __init__(self, run: pipeline.RunResult) -> None:
        self.run = run

    @property
    def day(self) -> dt.date:
        return self.run.day

    @property
    def published(self) -> pipeline.Published:
        return self.run.published

    @property
    def counts(self) -> DigestCounts:
        return self.run.counts

    @property
    def problems(self) -> tuple[SourceProblem, ...]:
        return self.run.problems

    @property
    def delivery(self) -> mail.Delivery | None:
        return self.run.delivery

    def summary_line(self) -> str:
        return self.run.summary_line()


class DigestFlow(Flow[P, R]):
    """A Prefect flow whose plain parameters are recorded without FastAPI.

    Prefect records a flow run's parameters through FastAPI's `jsonable_encoder`,
    whose import (FastAPI, Starlette) costs a run 0.09-0.14 s before its first
    line, for four parameters that are dates, strings, booleans or None
    (bench/README.md, "Prefect's start"). Those are written as that encoder
    writes them; any other value goes to Prefect's own method.
    """

    def serialize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        plain: dict[str, Any] = {}
        for key, value in parameters.items():
            if value is None or isinstance(value, str | bool | int):
                plain[key] = value
            elif isinstance(value, dt.date):  # a datetime too: ISO 8601, as the encoder
                plain[key] = value.isoformat()
            else:
                return super().serialize_parameters(parameters)
        return plain


@functools.partial(DigestFlow, name="daily-digest", flow_run_name=run_name,
                   on_failure=[notify_failure])
def daily_digest(
    date: dt.date | None = None, config: str | None = None, resend: bool = False,
    retry_send: bool = True,
) -> FlowResult:
    """Read the sources, drop duplicates, group stories, summarize, write and email the digest.

    `date` defaults to today in the configured time zone; `resend` emails the
    digest again to recipients who already had it. `retry_send` false (a run
    by hand, someone is waiting) tries the SMTP server once instead of three
    more times over six minutes.
    """
    settings = load_config(config)
    day = date or pipeline.today(settings)
    modelcache.use(settings.cache_dir)
    with ExitStack() as stack:
        heavy = stack.enter_context(task_runner(settings.run))
        threads = stack.enter_context(ThreadPoolTaskRunner(max_workers=settings.fetch.workers))
        cores = forkserver.cores(settings.run)
        pool = forkserver.pool_maker(stack, cores) if forkserver.wanted(settings.run) else None
        runner = PrefectRunner(heavy, threads, pool, cores)
        result = pipeline.run_digest(settings, day, runner,
                                     resend=resend, retry_send=retry_send,
                                     password=lambda: smtp_password(settings))
    publish_artifacts(settings, result.published.digest, result.summary_line())
    get_run_logger().info("Digest for %s: %s", day.isoformat(), result.summary_line())
    # The run's final state says where the digest is and what it holds, so a
    # trigger from another process can print it (its return value stays here).
    return Completed(message=f"Digest for {day}: {result.published.html} · "
                             f"{result.summary_line()}", data=FlowResult(result))


def publish_artifacts(settings: Config, digest: Digest, summary: str = "") -> None:
    """Publish the headlines (markdown) and each source's status (table) to the Prefect UI."""
    day = digest.day.isoformat()
    markdown = headlines_markdown(digest).replace("\n\n", f"\n\n{_md(summary)}\n\n", 1)
    create_markdown_artifact(key="daily-digest", markdown=markdown,
                             description=f"Headlines of the digest for {day}")
    with Store(settings.store_path) as store:
        rows = [{"source": r.name, "kind": r.kind, "articles": r.articles,
                 "problems": r.problems, "last success": r.last_success or "never",
                 "last error": r.last_error or ""} for r in store.sources()]
    create_table_artifact(key="digest-sources", table=rows,
                          description=f"Sources read for the digest of {day}")


def headlines_markdown(digest: Digest) -> str:
    """Return the digest's sections and headlines as Markdown, for the Prefect UI."""
    lines = [f"# Digest for {digest.day.isoformat()}", ""]
    if not digest.sections:
        lines.append("No new articles.")
    for section in digest.sections:
        lines += [f"## {_md(section.label)} ({len(section.entries)})", ""]
        for entry in section.entries:
            others = entry.other_sources
            also = f"; also {', '.join(_md(o) for o in others)}" if others else ""
            lines.append(f"- {_md(entry.title)} ({_md(entry.source)}{also})")
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


# The deployment prefect.yaml registers for a work pool: a name of its own,
# so that `prefect deploy --all` and `digest serve` never replace each other.
POOL_DEPLOYMENT = "daily-digest/pool"


def trigger(parameters: dict[str, Any], wait: bool = True, name: str = DEPLOYMENT,
            pickup_seconds: float = 60.0) -> Any:
    """Start a run of deployment `name` on the running server; wait for it when asked.

    When nothing takes the run (no `digest serve`, no worker) within
    `pickup_seconds`, raise DigestError instead of waiting for ever.
    """
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import DeploymentStatus
    from prefect.deployments import run_deployment

    if wait:
        with get_client(sync_client=True) as client:
            deployed = client.read_deployment_by_name(name)
        # Prefect marks a deployment ready while something polls for its runs.
        if deployed.status != DeploymentStatus.READY:
            runner = (f"a worker of pool '{deployed.work_pool_name}'"
                      if deployed.work_pool_name else "`digest serve`")
            raise DigestError(f"{name}: nothing runs it now (start {runner}); "
                              "`digest trigger --no-wait` leaves a run scheduled for later")
    run = run_deployment(name, parameters=parameters, timeout=0, as_subflow=False)
    if not wait:
        return run
    waiting_since = time.monotonic()
    with get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(run.id)
            state = run.state
            if state is not None and state.is_final():
                return run
            if (state is None or state.is_scheduled() or state.is_pending()) and \
                    time.monotonic() - waiting_since > pickup_seconds:
                raise DigestError(
                    f"{name}: nothing took run {run.name} in {pickup_seconds:g} s: is "
                    "`digest serve` (or a worker of its pool) running? The run stays "
                    "scheduled and starts when one is.")
            if state is not None and state.is_running():
                waiting_since = time.monotonic()
            time.sleep(1.0)
