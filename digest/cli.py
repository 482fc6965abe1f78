"""The `digest` command: parse arguments, load config, run, print."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from digest import __version__
from digest.config import load_config
from digest.errors import DigestError

EPILOG_RUN = """examples:
  digest run                         today's digest from config/digest.toml
  digest run --date 2026-11-20       the digest for a given day
  digest run --config my.toml        another config file
  digest run --without-prefect       the same pipeline in-process, no Prefect
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        handler: Any = args.handler
        return int(handler(args))
    except DigestError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


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
    run.set_defaults(handler=_run)
    return parser


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (use YYYY-MM-DD)") from None


def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.without_prefect:
        from digest.pipeline import run_pipeline

        logging.basicConfig(level=logging.WARNING, format="warning: %(message)s")
        result = run_pipeline(config, args.date)
        html, text, index = result.published.html, result.published.text, result.published.index
        day, summary = result.day.isoformat(), result.summary_line()
    else:
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        from flows.daily import daily_digest

        outcome = daily_digest(date=args.date, config=args.config)
        html, text, index = outcome["html"], outcome["text"], outcome["index"]
        day, summary = outcome["day"], outcome["summary"]
    print(f"Digest for {day}: {html}")
    print(f"  text: {text} · all digests: {index}")
    print(f"  {summary}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


