"""Delivery timings: `digest run` from a cold start, and `digest trigger` to a Completed run.

    .venv/bin/python bench/delivery.py [--runs 3] [--triggers 5]

Everything runs in a throwaway folder with its own PREFECT_HOME, on a copy
of seeds/:

1. `digest run` cold: a new process and an empty store each time (nothing
   cached), with Prefect (no server configured: the flow starts a temporary
   local one) and with `--without-prefect`.
2. A Prefect server (`prefect server start`) and `digest serve` are started;
   then `digest trigger --date D` runs once per day D, each a new process
   that waits for the run to end. Timed from launching the command to its
   exit, which the command only reaches once the run is Completed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, seeds: Path) -> Path:
    config = folder / "digest.toml"
    config.write_text(f'[sources]\nfolders = ["{seeds}"]\n'
                      f'[store]\npath = "{folder / "data" / "digest.db"}"\n'
                      f'[output]\ndir = "{folder / "out"}"\n', encoding="utf-8")
    return config


def timed(command: list[str], env: dict[str, str], what: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds


def wait_until(check: object, what: str, limit: float = 120.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        try:
            if check():  # type: ignore[operator]
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what}: not ready after {limit:.0f} s")


def api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def start_server(stack: ExitStack, root: Path, env: dict[str, str], port: int) -> None:
    """Start `prefect server start` on `port`, stopped with `stack`; return once it answers
    at `api_url(port)`. Its log goes to root/server.log."""
    api = api_url(port)
    # Open for as long as the server runs: closed by `stack`, after it stops.
    logs = stack.enter_context(open(root / "server.log", "w"))  # noqa: SIM115
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host",
                               "127.0.0.1", "--port", str(port)],
                              env=env, stdout=logs, stderr=subprocess.STDOUT)
    stack.callback(server.wait)
    stack.callback(server.terminate)
    wait_until(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200,
               "prefect server")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold `digest run`s of each kind")
    parser.add_argument("--triggers", type=int, default=5, help="triggered runs")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="digest-bench-delivery-"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DIGEST_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(root / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    seeds = root / "seeds"
    shutil.copytree(REPO / "seeds", seeds)
    rows: list[tuple[str, list[float]]] = []

    for label, extra in (("`digest run` (Prefect, no server), cold", []),
                         ("`digest run --without-prefect`, cold", ["--without-prefect"])):
        times = []
        for attempt in range(args.runs):
            folder = root / f"run-{len(extra)}-{attempt}"
            folder.mkdir()
            config = write_config(folder, seeds)
            times.append(timed([str(BIN / "digest"), "run", "--config", str(config), *extra],
                               env, label))
        rows.append((label, times))

    port = free_port()
    api = api_url(port)
    served = {**env, "PREFECT_API_URL": api}
    folder = root / "served"
    folder.mkdir()
    config = write_config(folder, seeds)
    with ExitStack() as stack:
        start = time.perf_counter()
        start_server(stack, root, env, port)
        server_up = time.perf_counter() - start
        serve_log = stack.enter_context(open(root / "serve.log", "w"))
        start = time.perf_counter()
        runner = subprocess.Popen([str(BIN / "digest"), "serve", "--config", str(config)],
                                  env=served, stdout=serve_log, stderr=subprocess.STDOUT)
        stack.callback(runner.wait)
        stack.callback(runner.terminate)
        wait_until(lambda: httpx.get(f"{api}/deployments/name/daily-digest/daily",
                                     timeout=2).status_code == 200, "digest serve")
        serve_up = time.perf_counter() - start
        time.sleep(3)  # the deployment is registered a moment before the runner polls
        triggers = []
        for offset in range(args.triggers):
            day = date(2026, 11, 1) + timedelta(days=offset)
            triggers.append(timed([str(BIN / "digest"), "trigger", "--date", day.isoformat()],
                                  served, f"digest trigger --date {day}"))
        rows.append(("`digest trigger` to Completed (server and `digest serve` up)", triggers))

    print(f"prefect server start: ready in {server_up:.1f} s; "
          f"digest serve: deployment registered in {serve_up:.1f} s")
    print()
    print("| what | runs | median s | min s | max s |")
    print("|---|---:|---:|---:|---:|")
    for label, times in rows:
        print(f"| {label} | {len(times)} | {statistics.median(times):.2f} | {min(times):.2f} "
              f"| {max(times):.2f} |")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
