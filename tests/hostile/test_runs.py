"""Whole runs under attack: four at once, and one killed while the mail server confirms."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from mailserver import running_inbox

from digest.config import Config

# End to end (a Prefect server, processes, installs): `make test-all`, not `make test`.
pytestmark = pytest.mark.slow

RUN = ("from digest_flows.cli import main; raise SystemExit(main())",)


def _run(config: Config, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    return subprocess.Popen(
        [sys.executable, "-c", *RUN, "run", "--without-prefect", "--date", "2026-11-20",
         "--config", str(config.origin), *extra],
        cwd=Path(str(config.origin)).parent, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _integrity(config: Config) -> None:
    with sqlite3.connect(config.store_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT content_hash) FROM articles"
                          ).fetchone() == (3, 3)


def test_four_runs_at_once_send_one_email_per_recipient(
    seeds_dir: Path, make_config: Callable[..., Config],
) -> None:
    with running_inbox() as inbox:
        config = make_config(seeds_dir, extra=(
            '[email]\nto = ["ann@example.org", "bob@example.org"]\n'
            f'from = "digest@example.org"\nsmtp_host = "127.0.0.1"\n'
            f'smtp_port = {inbox.port}\nsecurity = "none"\n'))
        inbox.delay = 0.3
        runs = [_run(config) for _ in range(4)]
        outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0, 0], outputs
    assert sorted(rcpts[0] for rcpts, _ in inbox.messages) == [
        "ann@example.org", "bob@example.org"]
    _integrity(config)


def _kill_once(config: Config, reached: Callable[[], bool]) -> None:
    """Start a run and SIGKILL it once the mail server saw what `reached` looks for."""
    run = _run(config)
    deadline = time.monotonic() + 120
    while not reached() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reached(), "the run never reached the mail server"
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)


def test_a_run_killed_while_the_server_confirms_is_not_sent_twice(
    seeds_dir: Path, make_config: Callable[..., Config],
) -> None:
    with running_inbox() as inbox:
        config = make_config(seeds_dir, extra=inbox.email_config())
        inbox.confirm_delay = 30.0  # the server has the message and takes its time to say so
        _kill_once(config, lambda: bool(inbox.messages))
        inbox.confirm_delay = 0.0
        rerun = _run(config)
        output = rerun.communicate(timeout=300)[0]
    assert rerun.returncode == 0, output
    assert len(inbox.messages) == 1  # not sent again
    assert "may have arrived" in output and "--resend" in output
    _integrity(config)


def test_a_run_killed_before_it_handed_the_message_over_is_sent_by_the_next(
    seeds_dir: Path, make_config: Callable[..., Config],
) -> None:
    with running_inbox() as inbox:
        config = make_config(seeds_dir, extra=inbox.email_config())
        inbox.rcpt_delay = 30.0  # the run is connected and has not sent the message yet
        _kill_once(config, lambda: inbox.rcpts_seen > 0)
        inbox.rcpt_delay = 0.0
        rerun = _run(config)
        output = rerun.communicate(timeout=300)[0]
    assert rerun.returncode == 0, output
    assert len(inbox.messages) == 1  # the killed run never handed it over
    assert "may have arrived" not in output
    _integrity(config)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(p) for p in text.split()}
    return found


def test_a_terminated_run_stops_its_temporary_prefect_server(
    seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    config = make_config(seeds_dir)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DIGEST_") and k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    run = subprocess.Popen(
        [sys.executable, "-c", *RUN, "run", "--date", "2026-11-20", "--config",
         str(config.origin)], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    children: set[int] = set()
    deadline = time.monotonic() + 120
    while not children and run.poll() is None and time.monotonic() < deadline:
        children = _children(run.pid)
        time.sleep(0.2)
    if not children:  # the run finished before a server showed up: nothing to test
        run.communicate(timeout=120)
        return
    time.sleep(1.0)
    run.send_signal(signal.SIGTERM)
    run.communicate(timeout=120)
    time.sleep(2.0)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
             and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
    assert alive == [], "the temporary Prefect server outlived its run"


def test_runs_killed_at_any_moment_leave_no_duplicates_and_send_once(
    seeds_dir: Path, make_config: Callable[..., Config],
) -> None:
    with running_inbox() as inbox:
        config = make_config(seeds_dir, extra=inbox.email_config())
        inbox.confirm_delay = 0.5
        for seconds in (0.5, 1.5, 2.5, 3.5, 5.0):  # start-up, reading, grouping, sending...
            run = _run(config)
            time.sleep(seconds)
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=30)
            _integrity_if_stored(config)
        final = _run(config)
        output = final.communicate(timeout=300)[0]
    assert final.returncode == 0, output
    assert len(inbox.messages) == 1  # sent once, whichever step the kills hit
    _integrity(config)


def _integrity_if_stored(config: Config) -> None:
    if not Path(config.store_path).exists():
        return
    with sqlite3.connect(config.store_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_hand_run_whose_mail_server_is_down_tries_once_and_says_so_in_a_line(
    seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    from mailserver import free_port

    config = make_config(seeds_dir, extra=(
        f'[email]\nto = ["ann@example.org"]\nsmtp_host = "127.0.0.1"\n'
        f'smtp_port = {free_port()}\nsecurity = "none"\ntimeout = 2.0\n'))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DIGEST_") and k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", *RUN, "run", "--date", "2026-11-20", "--config",
         str(config.origin)], cwd=tmp_path, env=env, text=True, capture_output=True,
        timeout=300)
    elapsed = time.monotonic() - start
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("DeliveryError: ")]
    assert len(errors) == 1 and "the digest is written" in errors[0]
    assert elapsed < 120  # one attempt, not retries after 10 s, 1 min and 5 min
