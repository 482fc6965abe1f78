"""The warm forkserver the flow's pool forks its workers from (`[run] task_runner = "auto"`).

The flow's process runs Prefect's threads (its API client, its log shipper),
and forking a process with threads running is unsafe, so the pool's workers
are forked from a forkserver: a fresh single-threaded process that imports
the stages and loads their models once (`digest_flows.warm`). Starting it
costs this process nothing (it warms up beside it), so `digest run` starts
it before importing Prefect, and the flow again (a no-op when running).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from multiprocessing import forkserver

from digest.config import RunConfig
from digest.processes import watch_parent


def wanted(settings: RunConfig) -> bool:
    """Whether the run spreads its batches over a pool ("auto" on more than one core)."""
    return settings.task_runner == "auto" and cores(settings) > 1


def cores(settings: RunConfig) -> int:
    return settings.workers or os.cpu_count() or 1


def start() -> None:
    """Start the warm forkserver, if it is not running already (it warms up meanwhile)."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(["digest_flows.warm"])
    forkserver.ensure_running()


def pool_maker(stack: ExitStack, workers: int) -> Callable[[], Executor]:
    """Start the forkserver; return what makes a pool of `workers` forked from it, closed
    with `stack`. The pool is made only when a map has more than one batch."""
    start()
    context = multiprocessing.get_context("forkserver")

    def make() -> Executor:
        return stack.enter_context(ProcessPoolExecutor(
            workers, mp_context=context, initializer=watch_parent, initargs=(os.getpid(),)))

    return make
