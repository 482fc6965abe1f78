"""What Prefect costs on a real day: `digest run` with and without Prefect on the BBC articles.

    .venv/bin/python bench/prefect_overhead.py ../shared/data [--runs 3] [--task-runner auto]
        [--before WORKTREE] [--no-temporary] [--batch-size N]

The five BBC category folders (2,225 articles) as one cold day: every run is
a new `digest run` process with an empty store, in a throwaway folder with
its own PREFECT_HOME, and one model cache for all (`[store] cache_dir`: the
untimed first runs make it). Alternated, `--runs` times each:

- `--without-prefect`: the pipeline in the process (`[run] task_runner` as
  given: the default "auto" forks a pool on every core);
- Prefect with a running server (`prefect server start`, PREFECT_API_URL set);
- Prefect with no server configured: the flow starts a temporary one.

Wall time of each command, and for Prefect the flow body (from the flow
run's "Beginning flow run" to its "Finished in state" log line, `-v`).
`--before` adds, alternated with the rest, the run with a server of the
code in another checkout (a worktree of an earlier commit, put first on
PYTHONPATH: run this from outside the repository); `--no-temporary` leaves
out the runs without a server; `--batch-size` sets `[run] batch_size` (the
flow's batches are up to twice that).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from delivery import api_url, free_port, start_server

BIN = Path(sys.executable).parent
BBC = Path("bbc_news_summary") / "BBC News Summary" / "News Articles"
_STAMP = re.compile(r"^(\d\d:\d\d:\d\d\.\d+) \|.*(Beginning flow run|Finished in state)")


def write_config(folder: Path, sources: list[Path], task_runner: str,
                 batch_size: int | None = None, models: Path | None = None) -> Path:
    config = folder / "digest.toml"
    names = ", ".join(f'"{s}"' for s in sources)
    batch = f"batch_size = {batch_size}\n" if batch_size else ""
    cache = f'cache_dir = "{models}"\n' if models else ""
    config.write_text(f"[sources]\nfolders = [{names}]\n"
                      f'[store]\npath = "{folder / "data" / "digest.db"}"\n{cache}'
                      f'[output]\ndir = "{folder / "out"}"\n'
                      f'[run]\ntask_runner = "{task_runner}"\n{batch}', encoding="utf-8")
    return config


def run(command: list[str], env: dict[str, str]) -> tuple[float, float | None]:
    """Run `command`; return its wall seconds and the flow body's seconds (if it logged it)."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n"
                         f"{done.stderr[-2000:]}")
    moments = [datetime.strptime(m.group(1), "%H:%M:%S.%f")
               for m in map(_STAMP.match, (done.stdout + done.stderr).splitlines()) if m]
    body = (moments[-1] - moments[0]).total_seconds() if len(moments) >= 2 else None
    return wall, body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--task-runner", default="auto")
    parser.add_argument("--before", type=Path, help="another checkout, run with the server")
    parser.add_argument("--no-temporary", action="store_true")
    parser.add_argument("--batch-size", type=int, help="[run] batch_size (default: the config's)")
    args = parser.parse_args()
    sources = sorted(p for p in (args.data / BBC).iterdir() if p.is_dir())
    root = Path(tempfile.mkdtemp(prefix="digest-bench-prefect-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "PREFECT_"))}
    env.update(PREFECT_HOME=str(root / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    port = free_port()
    server = {**env, "PREFECT_API_URL": api_url(port)}
    kinds = {"without Prefect": env, "Prefect, server running": server}
    if args.before:
        kinds[f"Prefect, server running, {args.before.name}"] = {
            **server, "PYTHONPATH": str(args.before.resolve())}
    if not args.no_temporary:
        kinds["Prefect, no server (temporary one)"] = env
    walls: dict[str, list[float]] = {k: [] for k in kinds}
    bodies: dict[str, list[float]] = {k: [] for k in kinds}
    with ExitStack() as stack:
        start_server(stack, root, env, port)
        # One untimed run of each kind: PREFECT_HOME's first use, the server's first flow.
        for attempt in range(args.runs + 1):
            for number, (kind, kind_env) in enumerate(kinds.items()):
                folder = root / f"run-{attempt}-{number}"
                folder.mkdir()
                # The decoded models are shared, as a daily run finds them from the day
                # before (the untimed runs make them).
                config = write_config(folder, sources, args.task_runner, args.batch_size,
                                      root / "model-cache")
                extra = ["--without-prefect"] if kind == "without Prefect" else ["-v"]
                wall, body = run([str(BIN / "digest"), "run", "--config", str(config), *extra],
                                 kind_env)
                if attempt:
                    walls[kind].append(wall)
                    if body is not None:
                        bodies[kind].append(body)
    base = statistics.median(walls["without Prefect"])
    print(f"BBC 2,225 articles, cold, [run] task_runner = \"{args.task_runner}\", "
          f"median of {args.runs}\n")
    print("| `digest run` | wall s (range) | x without Prefect | flow body s "
          "| body x without Prefect |")
    print("|---|---:|---:|---:|---:|")
    for kind in kinds:
        wall = statistics.median(walls[kind])
        spread = f"{min(walls[kind]):.2f}-{max(walls[kind]):.2f}"
        body = f"{statistics.median(bodies[kind]):.2f}" if bodies[kind] else ""
        body_ratio = f"{statistics.median(bodies[kind]) / base:.2f}" if bodies[kind] else ""
        print(f"| {kind} | {wall:.2f} ({spread}) | {wall / base:.2f} | {body} | {body_ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
