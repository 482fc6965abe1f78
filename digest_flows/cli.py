"""The `digest` command: parse arguments, load config, run, print."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from digest import __version__
from digest.config import load_config
from digest.errors import DigestError

EPILOG_RUN = """examples:
  digest run                         today's digest from config/digest.toml
  digest run --date 2026-11-20       the digest for a given day
  digest run --config my.toml        another config file
  digest run --without-prefect       the same pipeline in-process, no Prefect
"""

EPILOG_TRIGGER = """examples:
  digest trigger                        today's digest, now
  digest trigger --date 2026-11-20      rebuild (and send, if unsent) an earlier day
  digest trigger --param resend=true    send today's digest again
"""

EPILOG_SEARCH = """examples:
  digest search ferry                         every stored article about ferries, best first
  digest search '"air defence" ukraine'       a phrase and a word
  digest search budget --since 2026-11-01 --source BBC --limit 5
  digest search ferry --json                  one JSON object per line
"""

EPILOG_SOURCES = """examples:
  digest sources list                    status of every folder and feed
  digest sources add https://example.org/feed.xml --name Example
  digest sources pause Example           stop reading it (resume: read it again)
  digest sources remove Example          forget a feed added by import or by add
  digest sources ungone Example          read again a feed once marked gone
  digest sources import-opml feeds.opml  add the feeds another reader exported
  digest sources export-opml out.opml    write every feed as OPML
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    # SIGTERM ends the command like Ctrl-C does: cleanly, so what it started
    # (the temporary Prefect server of `digest run`) is stopped with it.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        handler: Any = args.handler
        return int(handler(args))
    except DigestError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def console() -> NoReturn:
    """The `digest` command: `main`, then exit with its status.

    The objects a run leaves are not walked by the collector on the way out:
    tearing the interpreter down collects the whole heap, which after a
    Prefect run of a 2,000-article day took 0.6-0.8 s of the run's wall time
    (bench/README.md). `gc.freeze` leaves them to plain reference counting.
    """
    status = main()
    gc.freeze()
    sys.exit(status)


def _without_our_tracebacks(record: logging.LogRecord) -> bool:
    """Drop the traceback from a log record of one of our own (one-line) errors."""
    if record.exc_info and isinstance(record.exc_info[1], DigestError):
        record.exc_info = None
        record.exc_text = None
    return True


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest", description="Turn news into a daily digest you actually read."
    )
    parser.add_argument("--version", action="version", version=f"news-digest {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="make the day's digest now", description="Make the day's digest now.",
        epilog=EPILOG_RUN, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--date", type=_day, help="day of the digest, YYYY-MM-DD (default: today "
                     "in the configured time zone)")
    run.add_argument("--config", help="config file (default: config/digest.toml)")
    run.add_argument("--without-prefect", action="store_true",
                     help="run the stages in this process without a Prefect flow")
    run.add_argument("--resend", action="store_true",
                     help="email the digest again to recipients who already had it")
    loudness = run.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true",
                          help="also show the run's log (every task) on the terminal")
    loudness.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    run.set_defaults(handler=_run)
    preview = commands.add_parser(
        "preview", help="render the day's digest and email without sending",
        description="Make the day's digest (web page, text and email) without sending it, "
                    "and print where the files are.")
    preview.add_argument("--date", type=_day, help="day of the digest (default: today)")
    preview.add_argument("--config", help="config file (default: config/digest.toml)")
    preview.add_argument("--open", action="store_true", help="open both pages in a browser")
    preview.add_argument(
        "--screenshots", action="store_true",
        help="save screenshots at 1200 and 390 px with headless Chromium and check the layout")
    preview.set_defaults(handler=_preview)
    serve = commands.add_parser(
        "serve", help="run the daily schedule (and manual triggers) until stopped",
        description="Register the deployment daily-digest/daily with the [schedule] cron and "
                    "time zone and run its scheduled and triggered runs. Stopping it (Ctrl-C) "
                    "pauses the deployment's schedule; serving again resumes it.")
    serve.add_argument("--config", help="config file (default: config/digest.toml)")
    serve.set_defaults(handler=_serve)
    trigger = commands.add_parser(
        "trigger", help="start a run of the served deployment now",
        description="Start a run of daily-digest/daily on the running Prefect server (what "
                    "`prefect deployment run 'daily-digest/daily'` does) and wait for it.",
        epilog=EPILOG_TRIGGER, formatter_class=argparse.RawDescriptionHelpFormatter)
    trigger.add_argument("--date", type=_day, help="backfill the digest of a past day")
    trigger.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                         help="another flow parameter (JSON values: resend=true)")
    trigger.add_argument("--no-wait", action="store_true", help="return once the run is created")
    trigger.add_argument("--pickup-timeout", type=float, default=60.0, metavar="SECONDS",
                         help="give up when nothing takes the run this long (default 60)")
    trigger.add_argument("--deployment", default="daily-digest/daily",
                         help="which deployment: daily-digest/daily (`digest serve`, the "
                              "default) or daily-digest/pool (prefect.yaml, a work pool)")
    trigger.set_defaults(handler=_trigger)
    search = commands.add_parser(
        "search", help="find stored articles (full text, best first)",
        description="Search every stored article's title and text. All words must occur; "
                    "\"quoted words\" together. Ranked by relevance (bm25).",
        epilog=EPILOG_SEARCH, formatter_class=argparse.RawDescriptionHelpFormatter)
    search.add_argument("query", help="words to find")
    search.add_argument("--since", type=_day, help="only articles published on or after DATE")
    search.add_argument("--source", help="only this source (its name, as listed)")
    search.add_argument("--limit", type=int, default=20, help="at most N results (default 20)")
    search.add_argument("--json", action="store_true", help="one JSON object per result")
    search.add_argument("--config", help="config file (default: config/digest.toml)")
    search.set_defaults(handler=_search)
    _add_sources_commands(commands)
    _add_eval_commands(commands)
    return parser


EPILOG_EVAL = """input: JSON Lines, one article per line: id, title, text, optional published
(ISO 8601), source, url, and optional gold fields reference (a summary), story
(an event id) and theme (a label).

examples:
  digest eval summaries bbc.jsonl --out summaries.jsonl --sentences 3
  digest eval grouping events.jsonl --out groups.jsonl
"""


def _add_eval_commands(commands: Any) -> None:
    evaluate = commands.add_parser(
        "eval", help="measure summaries and grouping on data of your own",
        description="Run the summarizer or the story and theme grouping on a JSON Lines file, "
                    "write the predictions, and score them where gold fields are present.",
        epilog=EPILOG_EVAL, formatter_class=argparse.RawDescriptionHelpFormatter)
    kinds = evaluate.add_subparsers(title="what", metavar="WHAT")
    summaries = kinds.add_parser(
        "summaries", help="summaries, with ROUGE against `reference` (ours, Lead-3, LexRank)")
    summaries.add_argument("input", type=Path, help="JSON Lines articles")
    summaries.add_argument("--out", type=Path, required=True, help="where to write predictions")
    summaries.add_argument("--sentences", type=int, default=3, help="summary length (default 3)")
    summaries.add_argument("--algorithm", default="news", help="summarizer (default: news)")
    summaries.add_argument("--language", default="auto", help="language (default: auto)")
    summaries.set_defaults(handler=_eval_summaries)
    grouping = kinds.add_parser(
        "grouping", help="stories and themes, with B-cubed and NMI/ARI against gold labels")
    grouping.add_argument("input", type=Path, help="JSON Lines articles")
    grouping.add_argument("--out", type=Path, required=True, help="where to write predictions")
    grouping.add_argument("--config", help="config whose [stories] settings to use")
    grouping.set_defaults(handler=_eval_grouping)
    evaluate.set_defaults(handler=lambda args: evaluate.print_help() or 2)


def _eval_summaries(args: argparse.Namespace) -> int:
    from digest.config import ALGORITHMS, LANGUAGES
    from digest.eval.evaluate import evaluate_summaries, read_records, table, write_jsonl

    if args.algorithm not in ALGORITHMS:
        raise DigestError(f"--algorithm '{args.algorithm}' is unknown (choose one of: "
                          f"{', '.join(sorted(ALGORITHMS))})")
    if args.language not in (*LANGUAGES, "auto"):
        raise DigestError(f"--language '{args.language}' is not supported")
    if args.sentences < 1:
        raise DigestError("--sentences must be at least 1")
    records = read_records(args.input)
    baselines = tuple(b for b in ("lead", "lexrank") if b != args.algorithm)
    predictions, results = evaluate_summaries(records, args.sentences, args.algorithm,
                                              args.language, baselines)
    ours = predictions[args.algorithm]
    count = write_jsonl(args.out, ({"id": r.id, "summary": s}
                                   for r, s in zip(records, ours, strict=True)))
    print(f"{count} summaries ({args.algorithm}, {args.sentences} sentences) written to "
          f"{args.out}")
    if results:
        scored = sum(1 for r in records if r.reference)
        names = {"lead": f"Lead-{args.sentences}", "lexrank": "sumy LexRank"}
        rows = [(names.get(m, m), r["rouge1"], r["rouge2"], r["rougeL"]) for m, r in results]
        print(f"\nROUGE F1 on the {scored} articles with a reference (rouge-score, stemmed):\n")
        print(table(rows, ("summarizer", "ROUGE-1", "ROUGE-2", "ROUGE-L")))
    return 0


def _eval_grouping(args: argparse.Namespace) -> int:
    from digest.eval.evaluate import (
        group_records,
        grouping_scores,
        read_records,
        table,
        write_jsonl,
    )

    config = load_config(args.config) if args.config else None
    records = read_records(args.input)
    stories = config.stories if config else None
    grouping = group_records(records, *((stories.similarity, stories.window_hours)
                                        if stories else ()))
    count = write_jsonl(args.out, ({"id": r.id, "story": grouping.story[r.id],
                                    "theme": grouping.theme[r.id],
                                    "theme_label": grouping.theme_label[r.id]}
                                   for r in records))
    print(f"{count} articles: {len(set(grouping.story.values()))} stories in "
          f"{len(set(grouping.theme.values()))} themes, written to {args.out}")
    rows = grouping_scores(records, grouping)
    if rows:
        print()
        print(table(rows, ("grouping", "articles", "groups", "scores")))
    return 0


def _add_sources_commands(commands: Any) -> None:
    sources = commands.add_parser(
        "sources", help="list, import or export the sources",
        description="List the sources with their status, or import/export feeds as OPML.",
        epilog=EPILOG_SOURCES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = sources.add_subparsers(title="actions", metavar="ACTION")
    listing = actions.add_parser("list", help="each source with its status")
    listing.set_defaults(handler=_sources_list)
    importing = actions.add_parser("import-opml", help="add the feeds of an OPML file")
    importing.add_argument("file", help="OPML file exported from another feed reader")
    importing.set_defaults(handler=_sources_import)
    exporting = actions.add_parser("export-opml", help="write every feed as OPML")
    exporting.add_argument("file", nargs="?", help="where to write (default: standard output)")
    exporting.set_defaults(handler=_sources_export)
    adding = actions.add_parser("add", help="add a feed (checked once: fetched and parsed)")
    adding.add_argument("url", help="the feed's address (http:// or https://)")
    adding.add_argument("--name", default="", help="its name (default: the feed's own title)")
    adding.add_argument("--full-text", action="store_true",
                        help="fetch the article page of items that are stubs")
    adding.add_argument("--category", default="", help="a folder to file it under (OPML)")
    adding.add_argument("--no-check", action="store_true", help="add it without fetching it")
    adding.set_defaults(handler=_sources_add)
    changes = []
    for name, text in (("remove", "forget a feed added by import or by `add`"),
                       ("pause", "stop reading a feed, keeping it"),
                       ("resume", "read a paused feed again"),
                       ("ungone", "read again a feed once marked gone (HTTP 410)")):
        change = actions.add_parser(name, help=text)
        change.add_argument("feed", help="the feed's name or address, as `sources list` shows")
        change.set_defaults(handler=_sources_change, change=name)
        changes.append(change)
    for action in (listing, importing, exporting, adding, *changes):
        action.add_argument("--config", help="config file (default: config/digest.toml)")
    sources.set_defaults(handler=_sources_list, config=None)


def _day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (use YYYY-MM-DD)") from None
    # A day's window reaches days beyond it on both sides: keep clear of the calendar's ends.
    if not dt.date(1900, 1, 1) <= day <= dt.date(9998, 12, 31):
        raise argparse.ArgumentTypeError(f"'{text}' is out of range (1900-01-01 to 9998-12-31)")
    return day


def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    level = logging.INFO if args.verbose else logging.ERROR if args.quiet else logging.WARNING
    if args.without_prefect:
        with _imports_left_alone():
            from digest.pipeline import run_in_process

        logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
        with _progress_on_terminal(quiet=args.quiet or args.verbose):
            result = run_in_process(config, args.date, resend=args.resend)
    else:
        # The terminal shows the problems (and with -v every task's log); the
        # Prefect server (its UI) still gets the whole log through its own handler.
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = logging.getLevelName(level)
        from digest_flows import forkserver

        if forkserver.wanted(config.run):  # it warms up while Prefect is imported
            forkserver.start()
        with _imports_left_alone():
            from digest_flows.daily import daily_digest

        # Errors of ours are one line each: Prefect logs them without a traceback.
        for name in ("prefect.task_runs", "prefect.flow_runs"):
            logging.getLogger(name).addFilter(_without_our_tracebacks)
        # By hand: one SMTP attempt, and a one-line error saying where the files are.
        with _progress_on_terminal(quiet=args.quiet or args.verbose), _without_heartbeats():
            result = daily_digest(date=args.date, config=args.config, resend=args.resend,
                                  retry_send=False).run
    if args.quiet:
        return 0
    published, delivery = result.published, result.delivery
    print(f"Digest for {result.day}: {published.html}")
    print(f"  text: {published.text} · all digests: {published.index}")
    print(f"  {result.summary_line()}")
    if delivery and delivery.sent_to:
        print(f"  email: sent to {', '.join(delivery.sent_to)}")
    else:
        print(f"  email: {(delivery.note or delivery.eml) if delivery else 'not sent'}")
    return 0


@contextlib.contextmanager
def _imports_left_alone() -> Iterator[None]:
    """Import with the garbage collector off, then keep what was imported out of its walks.

    Importing Prefect makes about 190,000 objects that live as long as the
    process and hold next to no garbage (62 objects found); the collector
    walked them all twice during the import and again early in the flow,
    0.2-0.3 s of a run (bench/README.md, "Prefect's import and the
    collector"). `gc.freeze` moves them to the permanent generation. The
    pipeline's own imports, smaller, are treated the same.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _without_heartbeats() -> Iterator[None]:
    """Send no flow-run heartbeats from a run by hand to a running server, unless asked to.

    Heartbeats let a server mark a run whose process died as crashed; a run
    by hand dies in front of the person who started it. Prefect's heartbeat
    thread sleeps in whole seconds, and the flow waits for it to notice the
    end: up to 1 s of every run (bench/README.md). Scheduled runs (`digest
    serve`, a worker) keep them, and so does a run with Prefect's temporary
    server: that server stops as the process ends, and without that wait it
    is stopped while still recording the run's last task runs, which prints
    its errors.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )
    from prefect.settings.models.flows import FlowsSettings

    default = FlowsSettings.model_fields["heartbeat_frequency"].default
    # Kept when chosen (in the environment or a Prefect profile) or without a server.
    if PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() != default or not PREFECT_API_URL.value():
        yield
        return
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@contextlib.contextmanager
def _progress_on_terminal(quiet: bool) -> Iterator[None]:
    """Show how far the run is on one self-replacing line, when stderr is a terminal.

    The line is rich's status spinner (rich comes with Prefect); it is gone
    when the run ends. Not on a pipe or a log file, not with -q or -v.
    """
    if quiet or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status("starting", spinner="dots") as status:
        class _Line(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                status.update(record.getMessage())

        progress = logging.getLogger("digest.progress")
        line = _Line(logging.INFO)
        progress.addHandler(line)
        progress.setLevel(logging.INFO)
        try:
            yield
        finally:
            progress.removeHandler(line)


def _preview(args: argparse.Namespace) -> int:
    from digest.pipeline import run_in_process

    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
    result = run_in_process(load_config(args.config), args.date, send=False)
    published = result.published
    print(f"Preview of the digest for {result.day}: {result.summary_line()}")
    print(f"  web page:   {published.html}")
    print(f"  email HTML: {published.email_html}")
    print(f"  text:       {published.text}")
    print(f"  email:      {published.html.parent / 'digest.eml'} (not sent)")
    status = 0
    if args.screenshots:
        from digest.eval.browser import check_pages

        pages = (published.html, published.email_html)
        for check in check_pages(pages, published.html.parent / "screenshots"):
            print(f"  {check.width:>4} px:    {check.screenshot}")
            for problem in check.layout.problems():
                print(f"warning: {check.page.name}: {problem}")
                status = 1
    if args.open:
        import webbrowser

        for page in (published.html, published.email_html):
            webbrowser.open(page.resolve().as_uri())
    return status


def _serve(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    from digest_flows.daily import DEPLOYMENT, serve_deployment

    zone = config.schedule_timezone
    print(f"Serving {DEPLOYMENT}: '{config.schedule.cron}' in {zone}. Trigger a run with "
          "`digest trigger`. Ctrl-C stops serving and pauses the schedule.", flush=True)
    serve_deployment(args.config)
    return 0


def _trigger(args: argparse.Namespace) -> int:
    import json

    parameters: dict[str, Any] = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DigestError(f"--param {item!r}: use KEY=VALUE, e.g. --param resend=true")
        try:
            parameters[key] = json.loads(value)
        except json.JSONDecodeError:
            parameters[key] = value
    if args.date:
        parameters["date"] = args.date.isoformat()
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL

    from digest_flows.daily import trigger

    deployment = args.deployment

    server = PREFECT_API_URL.value()
    if not server:  # Prefect would start a throwaway server that has no deployment
        raise DigestError("no Prefect server to trigger a run on: set PREFECT_API_URL (e.g. "
                          "http://127.0.0.1:4200/api) to the server `digest serve` uses")
    try:
        run = trigger(parameters, wait=not args.no_wait, name=deployment,
                      pickup_seconds=args.pickup_timeout)
    except DigestError:
        raise
    except ObjectNotFound:
        raise DigestError(f"{server}: no deployment {deployment}; start `digest serve` "
                          "(or `prefect deploy --all` for daily-digest/pool) first") from None
    except Exception as exc:  # Prefect's errors: server unreachable, bad parameters
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DigestError(f"{server}: cannot start {deployment} ({reason})") from None
    state = run.state.name if run.state else "unknown"
    print(f"Flow run {run.name} ({run.id}): {state}")
    lines = (run.state.message or "").strip().splitlines() if run.state else []
    message = lines[0] if lines else ""  # the error's first line
    if args.no_wait:
        return 0
    if run.state and run.state.is_completed():
        if message:
            print(f"  {message}")
        return 0
    raise DigestError(f"{deployment}: run {run.name} ended {state}: "
                      f"{message or 'no reason given (see the Prefect UI)'}")


def _sources_list(args: argparse.Namespace) -> int:
    from digest.store import Store

    config = load_config(args.config)
    now = dt.datetime.now(dt.UTC)
    with Store(config.store_path) as store:
        folders = {row.location: row for row in store.sources() if row.kind == "folder"}
        states = store.feed_states([feed.state() for feed in config.sources.feeds])
        origins = store.feed_origins()
    configured = {f.url for f in config.sources.feeds}
    rows = [("SOURCE", "KIND", "FROM", "STATUS", "LAST FETCH", "LAST SUCCESS", "ITEMS",
             "ERRORS", "NEXT ATTEMPT")]
    notes: list[tuple[str, str]] = []
    for folder in config.sources.folders:
        row = folders.get(folder)
        if row is None:
            rows.append((folder, "folder", "config", "new", "-", "-", "-", "-", "-"))
            continue
        status = "ok" if row.last_success == row.last_read else "failing"
        rows.append((row.name, "folder", "config", status, _when(row.last_read),
                     _when(row.last_success), str(row.articles), str(row.problems), "-"))
        if row.last_error:
            notes.append((row.name, row.last_error))
    for state in states:
        origin = "config" if state.url in configured else origins.get(state.url, "config")
        rows.append((state.name, "feed", origin, state.status(now),
                     _when(state.last_fetch), _when(state.last_success), str(state.items),
                     str(state.consecutive_errors),
                     "never" if state.gone else _when(state.next_attempt, "next run")))
        notes.append((state.name, state.current_url))
        if state.last_error:
            notes.append((state.name, state.last_error))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for cells in rows:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    if notes:
        print()
        for name, note in notes:
            print(f"{name}: {note}")
    return 0


def _search(args: argparse.Namespace) -> int:
    import json

    from digest.store import Store

    config = load_config(args.config)
    if args.limit < 1:
        raise DigestError(f"--limit {args.limit}: give 1 or more")
    since = (dt.datetime.combine(args.since, dt.time.min, tzinfo=config.zone)
             if args.since else None)
    with Store(config.store_path) as store:
        hits = store.search(args.query, args.limit, since, args.source)
    for hit in hits:
        link = hit.url or _article_file(config.output_dir, hit.id, hit.day)
        if args.json:
            print(json.dumps({"id": hit.id, "title": hit.title, "source": hit.source,
                              "published": hit.published.isoformat(), "link": link,
                              "snippet": hit.snippet,
                              "digest": hit.day.isoformat() if hit.day else None},
                             ensure_ascii=False))
            continue
        when = hit.published.astimezone(config.zone).strftime("%Y-%m-%d")
        print(f"{when}  {hit.source}  {hit.title}")
        print(f"    {hit.snippet}")
        shown = f"in the digest of {hit.day}" if hit.day else "in no digest yet"
        print(f"    {link or '(no link)'} · {shown}")
    if not hits and not args.json:
        print(f"No stored article matches {args.query!r}.")
    return 0


def _article_file(output: Any, article_id: str, day: dt.date | None) -> str | None:
    """Return the page of an article without a web address, if a digest wrote one."""
    if day is None:
        return None
    from digest.publish.pages import article_page

    path = output / day.isoformat() / article_page(article_id)
    return str(path) if path.exists() else None


def _when(value: dt.datetime | str | None, empty: str = "-") -> str:
    if not value:
        return empty
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def _sources_add(args: argparse.Namespace) -> int:
    from digest.errors import SourceError
    from digest.models import FeedState
    from digest.store import Store
    from digest.text.keys import is_web_url

    config = load_config(args.config)
    url = args.url.strip()
    if not is_web_url(url):
        raise SourceError(f"{url}: not a feed address (use http:// or https://)")
    name, found = args.name, ""
    if not args.no_check:
        title, items = _check_feed(url, config)
        name = name or title
        found = f": '{title or url}', {items} items"
    state = FeedState(url=url, name=name or "", full_text=args.full_text,
                      category=args.category.strip("/ "))
    with Store(config.store_path) as store:
        if url in store.feed_origins() or url in {f.url for f in config.sources.feeds}:
            raise SourceError(f"{url}: already a source (see `digest sources list`)")
        store.add_feeds([state], origin="command")
    print(f"Added {url}{found}; it is read from the next run on.")
    return 0


def _check_feed(url: str, config: Any) -> tuple[str, int]:
    """Read `url` once as a run would; return its title and item count, or raise SourceError."""
    from digest.errors import SourceError
    from digest.ingest.feeds import read_feed
    from digest.ingest.fetch import HostLimiter, make_client
    from digest.models import FeedState, feed_name

    unnamed = FeedState(url=url, name=feed_name(url))
    with make_client(config.fetch) as client:
        read = read_feed(client, unnamed, config.fetch, dt.datetime.now(dt.UTC),
                         HostLimiter(1, 1))
    if read.result.failed:
        reason = "; ".join(p.message for p in read.result.problems) or "not read"
        raise SourceError(f"{url}: not added: {reason} (--no-check adds it anyway)")
    title = read.state.name if read.state.name != unnamed.name else ""
    return title, len(read.result.articles)


def _sources_change(args: argparse.Namespace) -> int:
    from digest.errors import SourceError
    from digest.store import Store

    config = load_config(args.config)
    configured = {f.url for f in config.sources.feeds}
    with Store(config.store_path) as store:
        states = store.feed_states([f.state() for f in config.sources.feeds])
        matches = [s for s in states if args.feed in (s.url, s.current_url)
                   or s.name.casefold() == args.feed.casefold()]
        if not matches:
            raise SourceError(f"{args.feed}: no such feed (see `digest sources list`)")
        if len(matches) > 1:
            raise SourceError(f"{args.feed}: several feeds have this name; give the address "
                              f"({', '.join(s.url for s in matches)})")
        (state,) = matches
        if args.change == "remove":
            if state.url in configured:
                raise SourceError(f"{state.name} ({state.url}) is in {config.origin}: remove "
                                  "it there (or pause it)")
            store.remove_feed(state.url)
            done = "removed (its stored articles stay)"
        elif args.change == "pause":
            store.set_feed(state, paused=True)
            done = "paused: not read until `digest sources resume`"
        elif args.change == "resume":
            store.set_feed(state, paused=False)
            done = "resumed: read from the next run on"
        else:
            store.set_feed(state, gone=False, consecutive_errors=0, next_attempt=None)
            done = "no longer gone: read from the next run on"
    print(f"{state.name} ({state.url}): {done}")
    return 0


def _sources_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from digest.errors import SourceError
    from digest.ingest.opml import read_opml
    from digest.store import Store

    config = load_config(args.config)
    try:
        content = Path(args.file).read_bytes()
    except OSError as exc:
        raise SourceError(f"{args.file}: cannot read ({exc.strerror})") from None
    found = read_opml(content, args.file)
    for problem in found.skipped:
        print(f"warning: {problem}", file=sys.stderr)
    with Store(config.store_path) as store:
        added = store.add_feeds(list(found.feeds), origin="opml")
    known = len(found.feeds) - added
    print(f"Imported {added} new feeds from {args.file} ({known} already known); "
          "they are read from the next run on.")
    return 0


def _sources_export(args: argparse.Namespace) -> int:
    from digest.ingest.opml import write_opml
    from digest.store import Store

    config = load_config(args.config)
    with Store(config.store_path) as store:
        states = store.feed_states([feed.state() for feed in config.sources.feeds])
    document = write_opml(states, config.digest.title, dt.datetime.now(dt.UTC))
    if args.file:
        from pathlib import Path

        Path(args.file).write_bytes(document)
        print(f"Wrote {len(states)} feeds to {args.file}")
    else:
        sys.stdout.write(document.decode("utf-8"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


