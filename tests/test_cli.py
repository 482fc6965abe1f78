from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from digest.config import Config
from digest_flows.cli import main


def test_run_prints_where_the_digest_is_and_a_summary(
    articles_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_config(articles_dir)
    code = main(["run", "--without-prefect", "--date", "2026-11-20",
                 "--config", str(tmp_path / "digest.toml")])
    out = capsys.readouterr().out
    assert code == 0
    assert f"Digest for 2026-11-20: {tmp_path}/out/2026-11-20/digest.html" in out
    assert "7 articles read, 6 new, 1 duplicate dropped, 6 in the digest as 6 stories in " in out
    assert (tmp_path / "out" / "2026-11-20" / "digest.txt").exists()


def test_config_errors_print_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[summary]\nalgorithm = "magic"\n', encoding="utf-8")
    assert main(["run", "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ConfigError: {bad}: [summary] algorithm 'magic' is unknown")
    assert err.count("\n") == 1


def test_bad_date_is_rejected_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--date", "20-11-2026"])
    assert exit_info.value.code == 2
    assert "'20-11-2026' is not a date (use YYYY-MM-DD)" in capsys.readouterr().err


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "digest run --date 2026-11-20" in capsys.readouterr().out


def test_preview_writes_pages_and_email_but_sends_nothing(
    articles_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # An SMTP host nobody listens on: a send would fail the command.
    make_config(articles_dir, extra='[email]\nto = ["ann@example.org"]\n'
                                   'smtp_host = "127.0.0.1"\nsmtp_port = 9\n')
    code = main(["preview", "--date", "2026-11-20", "--config", str(tmp_path / "digest.toml")])
    out = capsys.readouterr().out
    folder = tmp_path / "out" / "2026-11-20"
    assert code == 0
    assert f"web page:   {folder / 'digest.html'}" in out
    assert f"email HTML: {folder / 'email.html'}" in out
    assert (folder / "email.html").exists() and (folder / "digest.eml").exists()


def test_trigger_without_a_server_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: None}):
        assert main(["trigger", "--date", "2026-11-20"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("DigestError: no Prefect server to trigger a run on: set "
                          "PREFECT_API_URL")
    assert err.count("\n") == 1


def test_imports_are_made_without_collections_and_then_left_out_of_them() -> None:
    import gc

    from digest_flows.cli import _imports_left_alone

    frozen = gc.get_freeze_count()
    try:
        with _imports_left_alone():
            assert not gc.isenabled()
            made = [[n] for n in range(1000)]  # what an import would leave behind
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(made)
        gc.disable()
        with _imports_left_alone():  # a collector already off stays off
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_run_by_hand_sends_heartbeats_only_where_they_serve() -> None:
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )
    from prefect.settings.models.flows import FlowsSettings

    from digest_flows.cli import _without_heartbeats

    server = "http://127.0.0.1:4200/api"
    default = FlowsSettings.model_fields["heartbeat_frequency"].default
    assert default is not None
    # As Prefect has it unless told otherwise (the flow tests' server turns them off).
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: default}):
        with temporary_settings({PREFECT_API_URL: server}), _without_heartbeats():
            assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None  # someone watches it
        assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == default  # only for the run
        chosen = {PREFECT_API_URL: server, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: 60}
        with temporary_settings(chosen), _without_heartbeats():
            assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == 60
        # Without a server they stay: the temporary one needs the wait for them (docstring).
        with temporary_settings({PREFECT_API_URL: None}), _without_heartbeats():
            assert PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() == default


def test_trigger_rejects_a_param_without_a_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trigger", "--param", "resend"]) == 1
    assert "--param 'resend': use KEY=VALUE" in capsys.readouterr().err


def test_search_finds_stored_articles_with_a_snippet_a_link_and_their_digest(
    articles_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from digest.pipeline import run_in_process

    config = make_config(articles_dir)
    run_in_process(config, date(2026, 11, 20), send=False)
    capsys.readouterr()
    toml = str(tmp_path / "digest.toml")
    assert main(["search", "chess", "--config", toml]) == 0
    out = capsys.readouterr().out
    assert "Teenager wins national chess championship" in out
    assert "[chess]" in out.lower() and "in the digest of 2026-11-20" in out
    assert main(["search", "chess", "--json", "--limit", "1", "--config", toml]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    hit = json.loads(line)
    assert hit["digest"] == "2026-11-20" and Path(hit["link"]).exists()
    assert "chess" in Path(hit["link"]).read_text().lower()
    # FTS syntax in a query is read as words, not an error.
    assert main(["search", 'chess AND "', "--config", toml]) == 0
    assert main(["search", "chess", "--source", "nowhere", "--config", toml]) == 0
    assert "No stored article matches 'chess'." in capsys.readouterr().out


@pytest.mark.slow
def test_run_prints_its_summary_and_each_problem_once_and_quiet_prints_nothing(
    seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    make_config(seeds_dir, tmp_path / "gone")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-c", "from digest_flows.cli import main; raise SystemExit(main())",
               "run", "--date", "2026-11-20", "--config", str(tmp_path / "digest.toml")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    problem = [line for line in lines if "does not exist or is not a folder" in line]
    assert len(problem) == 1, lines
    assert len(lines) == 5, lines  # the problem, then the four lines of the summary
    assert "3 articles read" in done.stdout
    quiet = subprocess.run([*command, "-q"], capture_output=True, text=True, env=env,
                           timeout=300)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == "", quiet.stderr


def test_sources_add_checks_the_feed_and_pause_resume_ungone_and_remove_manage_it(
    articles_dir: Path, make_config: Callable[..., Config], tmp_path: Path, server: HTTPServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from digest.store import Store

    atom = (Path(__file__).parent / "fixtures" / "feeds" / "atom.xml").read_bytes()
    server.expect_request("/atom").respond_with_data(atom, content_type="application/atom+xml")
    server.expect_request("/missing").respond_with_data("", status=404)
    config = make_config(articles_dir)
    toml = str(tmp_path / "digest.toml")
    url = server.url_for("/atom")
    assert main(["sources", "add", url, "--config", toml]) == 0
    added = capsys.readouterr().out
    assert added.startswith(f"Added {url}: '") and "2 items" in added
    assert main(["sources", "add", url, "--config", toml]) == 1
    assert "already a source" in capsys.readouterr().err
    assert main(["sources", "add", server.url_for("/missing"), "--config", toml]) == 1
    refused = capsys.readouterr().err.strip().splitlines()[-1]
    assert refused.startswith("SourceError: ") and "404" in refused
    assert refused.endswith("(--no-check adds it anyway)")
    assert main(["sources", "add", server.url_for("/missing"), "--no-check", "--name",
                 "Later", "--config", toml]) == 0
    capsys.readouterr()
    assert main(["sources", "list", "--config", toml]) == 0
    listing = capsys.readouterr().out
    assert "Later" in listing and "command" in listing
    assert main(["sources", "pause", "Later", "--config", toml]) == 0
    assert "paused" in capsys.readouterr().out
    with Store(config.store_path) as store:
        later = {s.name: s for s in store.feed_states([])}["Later"]
        assert later.paused
        store.set_feed(later, gone=True)
    from digest.pipeline import run_in_process

    run_in_process(config, send=False)  # a paused feed is not read
    assert not [r for r, _ in server.log if r.path == "/missing" and r.method == "GET"][1:]
    for change in ("resume", "ungone"):
        assert main(["sources", change, "Later", "--config", toml]) == 0
    with Store(config.store_path) as store:
        later = {s.name: s for s in store.feed_states([])}["Later"]
        assert not later.paused and not later.gone
    assert main(["sources", "remove", server.url_for("/missing"), "--config", toml]) == 0
    capsys.readouterr()
    assert main(["sources", "pause", "Later", "--config", toml]) == 1
    assert "Later: no such feed" in capsys.readouterr().err


def test_on_a_terminal_a_run_shows_its_progress_on_one_line(
    articles_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    import os
    import pty
    import subprocess
    import sys

    make_config(articles_dir)
    terminal, seen_by_run = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-c", "from digest_flows.cli import main; raise SystemExit(main())",
         "run", "--without-prefect", "--date", "2026-11-20", "--config",
         str(tmp_path / "digest.toml")],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=seen_by_run, text=True,
        timeout=300)
    os.close(seen_by_run)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    assert done.returncode == 0 and "7 articles read" in done.stdout  # stdout: a pipe
    assert b"starting" in shown or b"reading 1 folder" in shown or b"summarizing" in shown
    # On a pipe (as in cron or CI) nothing but the problems and the summary.
    piped = subprocess.run(
        [sys.executable, "-c", "from digest_flows.cli import main; raise SystemExit(main())",
         "run", "--without-prefect", "--date", "2026-11-20", "--config",
         str(tmp_path / "digest.toml")], capture_output=True, text=True, timeout=300)
    assert "reading 1 folder" not in piped.stderr and "starting" not in piped.stderr


def test_the_digest_command_exits_with_the_status_of_main(
    seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    # `digest` is `console`: main, then an exit that spares the interpreter a
    # last collection of the run's objects (gc.freeze); output and status stay.
    import os
    import subprocess
    import sys

    make_config(seeds_dir)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    script = ("import sys; sys.argv[0] = 'digest'; from digest_flows.cli import console; "
              "console()")

    def digest(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                              text=True, env=env, timeout=300)

    done = digest("run", "--without-prefect", "--date", "2026-11-20",
                  "--config", str(tmp_path / "digest.toml"))
    assert done.returncode == 0, done.stderr
    assert "3 articles read" in done.stdout
    assert digest().returncode == 2  # no command: the help, and main's status
    missing = digest("sources", "list", "--config", str(tmp_path / "missing.toml"))
    assert missing.returncode == 1 and "missing.toml" in missing.stderr
