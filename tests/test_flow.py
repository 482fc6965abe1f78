"""The Prefect flow, against a throwaway Prefect server (one per test session)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from digest.config import Config
from digest.store import Store


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

    from flows.daily import daily_digest

    config = make_config(seeds_dir)
    state = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"),
                         return_state=True)
    assert state.is_completed()
    outcome = state.result()
    assert outcome["day"] == "2026-11-20"
    assert outcome["counts"] == {"read": 3, "new": 3, "duplicates": 0, "articles": 3,
                                 "themes": 1, "sources": 1}
    html = Path(outcome["html"]).read_text(encoding="utf-8")
    assert "Pentagon Chief Urges Air Defense Aid for Ukraine Ahead of Winter" in html
    assert "More From Author" not in html
    assert Path(outcome["text"]).exists() and Path(outcome["index"]).exists()
    with Store(config.store_path) as store:
        assert store.count("articles") == 3
        assert store.db.execute("SELECT status FROM runs").fetchall() == [("completed",)]
    with get_client(sync_client=True) as client:
        artifact = client.read_latest_artifacts()
        markdown = next(a for a in artifact if a.key == "daily-digest").data
    assert "# Digest for 2026-11-20" in markdown
    assert "Pentagon Chief Urges Air Defense Aid" in markdown


def test_flow_rerun_adds_no_rows(
    prefect_server: None, seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
) -> None:
    from flows.daily import daily_digest

    config = make_config(seeds_dir)
    first = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"))
    second = daily_digest(date=date(2026, 11, 20), config=str(tmp_path / "digest.toml"))
    assert second["counts"]["new"] == 0
    assert Path(second["html"]).read_text() == Path(first["html"]).read_text()
    with Store(config.store_path) as store:
        assert store.count("articles") == 3
        assert store.count("summaries") == 3


def test_a_failed_run_is_recorded_as_failed(
    prefect_server: None, seeds_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import flows.daily
    from flows.daily import daily_digest

    # The same task without its retry delays: the failure is permanent anyway.
    monkeypatch.setattr(flows.daily, "publish", flows.daily.publish.with_options(retries=0))
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
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.daily import daily_digest

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
    assert outcome["counts"]["new"] == 2 and outcome["counts"]["sources"] == 2
    assert any("Gone Daily" in p and "polling stopped" in p for p in outcome["problems"])
    with Store(config.store_path) as store:
        assert store.count("articles") == 2
        gone = {s.name: s for s in store.feed_states(config.sources.feeds)}["Gone Daily"]
        assert gone.gone
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    names = sorted(r.name for r in runs if r.name.startswith("read-feed"))
    # An unnamed feed is called after its host until its first fetch gives its title.
    assert names == ["read-feed-127.0.0.1", "read-feed-Gone Daily"]
