"""The Prefect flow, against a throwaway Prefect server (one per test session)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from mailserver import Inbox, running_inbox
from pytest_httpserver import HTTPServer

from digest import pipeline
from digest.config import Config
from digest.errors import DigestError
from digest.models import DigestCounts
from digest.store import Store

# End to end (a Prefect server, processes, installs): `make test-all`, not `make test`.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # A sync flow call otherwise spends about a second on heartbeats.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), prefect_test_harness():
        yield


def test_flow_writes_the_digest_and_records_the_run(
    prefect_server: None, seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    from prefect.client.orchestration import get_client

    from digest_flows.daily import daily_digest

    config = make_config(seeds_dir)
    state = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"),
                         return_state=True)
    assert state.is_completed()
    # What `digest trigger` prints from another process: where the digest is, what it has.
    assert state.message.startswith("Digest for 2026-11-20: ")
    assert "3 articles read" in state.message and "digest.html" in state.message
    outcome = state.result()
    assert outcome.day == date(2026, 11, 20)
    assert outcome.counts == DigestCounts(read=3, new=3, duplicates=0, articles=3, themes=1,
                                          sources=1, stories=3)
    html = outcome.published.html.read_text(encoding="utf-8")
    assert "Pentagon Chief Urges Air Defense Aid for Ukraine Ahead of Winter" in html
    assert "More From Author" not in html
    assert outcome.published.text.exists() and outcome.published.index.exists()
    with Store(config.store_path) as store:
        assert store.db["articles"].count == 3
        assert store.db.execute("SELECT status FROM runs").fetchall() == [("completed",)]
    with get_client(sync_client=True) as client:
        artifact = client.read_latest_artifacts()
        markdown = next(a for a in artifact if a.key == "daily-digest").data
    assert "# Digest for 2026-11-20" in markdown
    assert "3 articles read, 3 new, 0 duplicates dropped" in markdown  # the run's counts
    assert "Pentagon Chief Urges Air Defense Aid" in markdown


def test_flow_rerun_adds_no_rows(
    prefect_server: None, seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    from digest_flows.daily import daily_digest

    config = make_config(seeds_dir)
    first = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"))
    second = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"))
    assert second.counts.new == 0
    assert second.published.html.read_text() == first.published.html.read_text()
    with Store(config.store_path) as store:
        assert store.db["articles"].count == 3
        assert store.db["summaries"].count == 3  # one per story: the seeds are three events


def test_a_failed_run_is_recorded_as_failed(
    prefect_server: None, seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digest_flows.daily import daily_digest

    # The same step without its retry delays: the failure is permanent anyway.
    monkeypatch.setattr(pipeline, "FILE_RETRY_DELAYS", ())
    config = make_config(seeds_dir)
    blocker = config.output_dir
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the output folder should be")
    state = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"),
                         return_state=True)
    assert state.is_failed()
    with Store(config.store_path) as store:
        status, errors = store.db.execute("SELECT status, errors FROM runs").fetchone()
    assert status == "failed"
    assert "DeliveryError" in errors


def test_flow_reads_each_feed_in_its_own_task(
    prefect_server: None, make_config: Callable[..., Config], tmp_path: Path,
    server: HTTPServer,
) -> None:
    from digest_flows.daily import daily_digest

    feeds = Path(__file__).parent / "fixtures" / "feeds"
    server.expect_request("/atom").respond_with_data(
        (feeds / "atom.xml").read_bytes(), content_type="application/atom+xml")
    server.expect_request("/gone").respond_with_data("", status=410)
    config = make_config(extra=(
        f'[[sources.feeds]]\nurl = "{server.url_for("/atom")}"\n'
        f'[[sources.feeds]]\nurl = "{server.url_for("/gone")}"\nname = "Gone Daily"\n'))
    state = daily_digest(date=date(2026, 11, 23), config=str(tmp_path / "digest.toml"),
                         return_state=True)
    assert state.is_completed()
    outcome = state.result()
    assert outcome.counts.new == 2 and outcome.counts.sources == 2
    assert any("Gone Daily" in str(p) and "polling stopped" in str(p) for p in outcome.problems)
    with Store(config.store_path) as store:
        assert store.db["articles"].count == 2
        states = store.feed_states([f.state() for f in config.sources.feeds])
        gone = {s.name: s for s in states}["Gone Daily"]
        assert gone.gone
    runs = _task_runs(state.state_details.flow_run_id, "read-feed",
                      lambda found: len(found) == 2)
    names = sorted(r.name for r in runs)
    # An unnamed feed is called after its host until its first fetch gives its title.
    assert names == ["read-feed-127.0.0.1", "read-feed-Gone Daily"]


def _task_runs(flow_run_id: Any, prefix: str, enough: Callable[[list[Any]], bool]) -> list[Any]:
    """The flow run's task runs named `prefix`..., once `enough` says so or after 30 s.

    The server records task runs from the client's events, a moment after the flow ends.
    """
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + 30
    while True:
        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[flow_run_id])))
        found = [r for r in runs if r.name.startswith(prefix)]
        if enough(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with running_inbox() as running:
        yield running


def test_flow_names_its_run_after_the_date_and_publishes_a_source_table(
    prefect_server: None, seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    from prefect.client.orchestration import get_client

    from digest_flows.daily import daily_digest

    make_config(seeds_dir)
    state = daily_digest(date=date(2026, 11, 21), config=str(tmp_path / "digest.toml"),
                         return_state=True)
    assert state.is_completed()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        artifacts = client.read_artifacts()
    assert run.name == "daily-digest-2026-11-21"
    table = next(a for a in artifacts if a.key == "digest-sources"
                 and a.flow_run_id == run.id)
    rows = table.data if isinstance(table.data, list) else json.loads(str(table.data))
    assert [(r["source"], r["kind"], r["articles"]) for r in rows] == [("seeds", "folder", 3)]


def test_flow_retries_a_refused_send_and_mails_once(
    prefect_server: None, seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digest_flows.daily import daily_digest

    monkeypatch.setattr(pipeline, "SEND_RETRY_DELAYS", (0.0, 0.0, 0.0))
    inbox.refuse = 1  # the first attempt gets "451 try again later"
    make_config(seeds_dir, extra=inbox.email_config())
    first = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"))
    assert first.delivery.sent_to == ("ann@example.org",)
    again = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"))
    assert again.delivery.sent_to == () and "already sent" in again.delivery.note
    (rcpts, message), = inbox.messages
    assert rcpts == ["ann@example.org"]
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Daily digest 2026-11-20: 3 stories in 1 section"


def test_a_send_that_keeps_failing_fails_the_run_and_tells_the_admin(
    prefect_server: None, seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from digest_flows.daily import daily_digest

    monkeypatch.setattr(pipeline, "SEND_RETRY_DELAYS", (0.0,))
    inbox.refuse = 2  # both attempts; the admin notice afterwards goes through
    config = make_config(seeds_dir, extra=inbox.email_config(extra='admin = "ops@example.org"\n'))
    state = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"),
                         return_state=True)
    assert state.is_failed()
    assert "server said 451 4.3.0 Try again later" in (state.message or "")
    folder = config.output_dir / "2026-11-20"
    assert {p.name for p in folder.iterdir()} >= {"digest.html", "digest.txt", "email.html",
                                                  "digest.eml"}
    (rcpts, notice), = inbox.messages
    assert rcpts == ["ops@example.org"]
    assert notice["Subject"] == "news-digest: the run for 2026-11-20 failed"
    assert "451 4.3.0 Try again later" in notice.get_body().get_content()
    with Store(config.store_path) as store:
        assert store.delivered(date(2026, 11, 20)) == set()
        assert store.db.execute("SELECT status FROM runs").fetchall() == [("failed",)]
    # The next run sends what the failed one could not.
    rerun = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"))
    assert rerun.delivery.sent_to == ("ann@example.org",)
    assert len(inbox.messages) == 2


SCHEDULE = '[schedule]\ncron = "30 6 * * 1-5"\ntimezone = "Europe/Berlin"\n'


def test_deployment_carries_the_configured_cron_and_time_zone(
    make_config: Callable[..., Config], seeds_dir: Path, tmp_path: Path,
) -> None:
    from digest_flows.daily import deployment

    make_config(seeds_dir, extra=SCHEDULE)
    built = deployment(str(tmp_path / "digest.toml"))
    assert built.name == "daily" and built.flow_name == "daily-digest"
    (schedule,) = built.schedules
    assert schedule.schedule.cron == "30 6 * * 1-5"
    assert schedule.schedule.timezone == "Europe/Berlin"
    assert built.parameters == {"config": str((tmp_path / "digest.toml").resolve())}


def test_deployment_registers_on_the_server_and_can_be_triggered(
    prefect_server: None, make_config: Callable[..., Config], seeds_dir: Path, tmp_path: Path,
) -> None:
    from prefect.client.orchestration import get_client

    from digest_flows.daily import DEPLOYMENT, deployment, trigger

    make_config(seeds_dir, extra=SCHEDULE)
    deployment_id = deployment(str(tmp_path / "digest.toml")).apply()
    with get_client(sync_client=True) as client:
        registered = client.read_deployment_by_name(DEPLOYMENT)
    assert registered.id == deployment_id
    (schedule,) = registered.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 6 * * 1-5",
                                                                    "Europe/Berlin")
    # Without a worker serving it, a trigger only creates the run: check what it carries.
    run = trigger({"date": "2026-11-19"}, wait=False)
    assert run.deployment_id == deployment_id
    assert run.parameters["date"] == "2026-11-19"
    assert run.parameters["config"] == str((tmp_path / "digest.toml").resolve())
    # Waiting for it: nothing serves it, so the trigger says so at once instead of hanging.
    with pytest.raises(DigestError, match=r"daily-digest/daily: nothing runs it now \(start "
                                          r"`digest serve`\)"):
        trigger({"date": "2026-11-19"}, wait=True, pickup_seconds=2)


def test_prefect_yaml_deploys_to_a_process_work_pool(prefect_server: None) -> None:
    import os
    import subprocess
    import sys

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.settings import PREFECT_API_URL

    from digest_flows.daily import DEPLOYMENT, POOL_DEPLOYMENT

    repo = Path(__file__).parent.parent
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="digest", type="process"))
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    done = subprocess.run([sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    with get_client(sync_client=True) as client:
        deployed = client.read_deployment_by_name(POOL_DEPLOYMENT)
    assert deployed.work_pool_name == "digest"
    assert POOL_DEPLOYMENT != DEPLOYMENT  # `digest serve`'s is another one
    assert deployed.entrypoint == "digest_flows.daily:daily_digest"
    assert deployed.parameters == {}
    (schedule,) = deployed.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("0 7 * * *", "UTC")
    # The same time as the shipped config's [schedule], which `digest serve` uses.
    assert (Config().schedule.cron, Config().digest.timezone) == ("0 7 * * *", "UTC")
    assert not deployed.pull_steps  # nothing tied to a folder: the package is installed


def test_the_smtp_password_comes_from_a_secret_block_or_the_environment(
    prefect_server: None, make_config: Callable[..., Config], seeds_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.blocks.system import Secret

    from digest_flows.daily import smtp_password

    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "from-env")
    assert smtp_password(make_config(seeds_dir)) == "from-env"
    Secret(value="from-block").save("digest-smtp", overwrite=True)
    config = make_config(seeds_dir, extra='[email]\npassword_secret = "digest-smtp"\n')
    assert smtp_password(config) == "from-block"
    missing = make_config(seeds_dir, extra='[email]\npassword_secret = "no-such-block"\n')
    with pytest.raises(DigestError, match=r"password_secret 'no-such-block': cannot load"):
        smtp_password(missing)


# "auto": threads handing their batches to a pool forked from a warm forkserver.
@pytest.mark.parametrize("task_runner", ["auto", "processes", "dask"])
def test_the_flow_on_a_process_pool_or_a_dask_cluster_makes_the_same_digest(
    prefect_server: None, articles_dir: Path, seeds_dir: Path, tmp_path: Path,
    task_runner: str,
) -> None:
    from digest.config import load_config
    from digest.pipeline import run_in_process
    from digest_flows.daily import daily_digest, flow_batch_size

    def configure(name: str, run: str) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(
            f'[sources]\nfolders = ["{articles_dir}", "{seeds_dir}"]\n'
            f'[store]\npath = "{tmp_path / name}/digest.db"\n'
            f'[output]\ndir = "{tmp_path / name}/out"\n[run]\n{run}', encoding="utf-8")
        return path

    day = date(2026, 11, 20)
    # Batches of two articles: several cleaning and summarizing tasks to spread.
    alone = run_in_process(load_config(configure("alone", "batch_size = 2\n"), env={}), day)
    spread = daily_digest(date=day, config=str(configure(
        task_runner, f'task_runner = "{task_runner}"\nworkers = 2\nbatch_size = 2\n')),
        return_state=True)
    assert spread.is_completed()
    result = spread.result()
    for page in ("html", "text", "email_html"):
        assert (getattr(result.published, page).read_bytes()
                == getattr(alone.published, page).read_bytes()), page
    assert result.counts == alone.counts and result.counts.stories >= 8
    # The server records task runs from the client's events, a moment after the flow ends.
    if task_runner == "auto":  # one task for the stage, its batches of 2 on the pool
        batches = 1
    else:
        per_batch = flow_batch_size(2, result.counts.read, 2)  # bigger than batch_size
        assert per_batch > 2
        batches = -(-result.counts.read // per_batch)

    def all_done(found: list[Any]) -> bool:
        return len(found) == batches and all(r.state and r.state.is_completed() for r in found)

    cleaning = _task_runs(spread.state_details.flow_run_id, "clean", all_done)
    assert len(cleaning) == batches
    assert all_done(cleaning)
    # Each folder is still a task of its own, named after it.
    folders = _task_runs(spread.state_details.flow_run_id, "read-folder",
                         lambda found: len(found) == 2)
    assert sorted(r.name for r in folders) == [
        f"read-folder-{articles_dir.name}", f"read-folder-{seeds_dir.name}"]


def test_trigger_on_a_served_deployment_prints_where_the_digest_is(
    prefect_server: None, make_config: Callable[..., Config], seeds_dir: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os
    import subprocess
    import sys
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import DeploymentStatus
    from prefect.settings import PREFECT_API_URL

    from digest_flows.cli import main
    from digest_flows.daily import DEPLOYMENT

    make_config(seeds_dir)
    config = str(tmp_path / "digest.toml")
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    serving = subprocess.Popen(
        [sys.executable, "-c", "from digest_flows.cli import main; raise SystemExit(main())",
         "serve", "--config", config], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with get_client(sync_client=True) as client:
                try:
                    ready = client.read_deployment_by_name(DEPLOYMENT).status
                except Exception:
                    ready = None
            if ready == DeploymentStatus.READY:
                break
            time.sleep(1)
        assert ready == DeploymentStatus.READY
        capsys.readouterr()
        assert main(["trigger", "--date", "2026-11-20"]) == 0
        out = capsys.readouterr().out
        assert ": Completed" in out
        assert f"Digest for 2026-11-20: {tmp_path / 'out' / '2026-11-20' / 'digest.html'}" in out
        assert "3 articles read" in out
    finally:
        serving.terminate()
        serving.wait(timeout=60)
