"""The Prefect flow and the `digest` command over the `digest` library."""

from __future__ import annotations

import os


def without_telemetry() -> None:
    """Have Prefect send no usage data, unless its settings say otherwise (done when this
    package is imported, so before any of its modules imports Prefect).

    Prefect 3.8 reports usage from two places: its server (off with
    PREFECT_SERVER_ANALYTICS_ENABLED=false; offline, it also logs an error
    for each report it cannot send), and the client, which in a terminal
    prints a notice on first use and queues events for a background thread
    to send (off with DO_NOT_TRACK=1, the cross-tool convention Prefect
    honours). A digest that runs offline sends neither; a value someone set
    is kept.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


without_telemetry()
