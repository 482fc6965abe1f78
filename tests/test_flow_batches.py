from __future__ import annotations

import json
from pathlib import Path

from digest_flows.daily import FLOW_BATCH_SCALE, flow_batch_size


def test_the_flow_makes_bigger_batches_but_leaves_no_core_without_one() -> None:
    assert FLOW_BATCH_SCALE == 2
    # A big day: batches of twice batch_size (2,087 articles: 5 batches, not 9).
    assert flow_batch_size(250, 2087, 2) == 500
    # A day of a few batches: each of the 2 cores still gets one, no smaller than before.
    assert flow_batch_size(250, 700, 2) == 350
    assert flow_batch_size(250, 400, 2) == 250
    # More cores: as many batches as cores where batch_size made that many.
    assert flow_batch_size(250, 2087, 8) == 261
    assert flow_batch_size(250, 100, 8) == 250
    assert flow_batch_size(250, 0, 1) == 250


def test_prefect_leaves_the_flows_result_unwalked_and_it_reads_through() -> None:
    # Prefect looks for futures in a flow's return value, dataclasses field by
    # field: the result is one object to it, and reads as the run's RunResult.
    from datetime import date
    from pathlib import Path

    from prefect.states import Completed
    from prefect.utilities.collections import visit_collection

    from digest.models import Digest, DigestCounts
    from digest.pipeline import Published, RunResult
    from digest_flows.daily import FlowResult

    counts = DigestCounts(read=3, new=3, articles=3, stories=3)
    digest = Digest(day=date(2026, 11, 20), title="Daily digest", sections=(), counts=counts)
    run = RunResult(date(2026, 11, 20), Published(Path("d.html"), Path("d.txt"),
                                                  Path("index.html"), Path("e.html"), digest),
                    counts)
    result = FlowResult(run)
    seen: list[object] = []
    visit_collection(Completed(data=result), visit_fn=seen.append, return_data=False)
    assert result in seen
    assert not any(isinstance(v, (RunResult, Published, Digest, DigestCounts)) for v in seen)
    assert visit_collection(run, visit_fn=seen.append, return_data=False) is None
    assert digest in seen  # a RunResult itself would be walked down to its digest
    assert (result.day, result.published, result.counts, result.problems, result.delivery) == (
        run.day, run.published, run.counts, run.problems, run.delivery)
    assert result.summary_line() == run.summary_line()


def test_the_flow_records_its_parameters_as_prefect_does_without_importing_fastapi() -> None:
    # Prefect's own method encodes parameters with FastAPI's encoder: the
    # flow's plain parameters come out the same without importing FastAPI.
    import subprocess
    import sys

    script = """
import datetime as dt, json, sys
from pathlib import Path
from prefect import Flow
from digest_flows.daily import daily_digest
cases = [
    {"date": dt.date(2026, 11, 20), "config": "/srv/digest.toml", "resend": False,
     "retry_send": True},
    {"date": None, "config": None, "resend": True, "retry_send": False},
    {"date": dt.datetime(2026, 11, 20, 6, 30, tzinfo=dt.UTC), "config": "digest.toml"},
]
ours = [daily_digest.serialize_parameters(case) for case in cases]
fastapi_before = "fastapi" in sys.modules
# Any other value: Prefect's own method, and so its encoder.
other = daily_digest.serialize_parameters({"config": Path("/srv/digest.toml"), "n": [1.5]})
prefects = [Flow.serialize_parameters(daily_digest, case) for case in cases]
print(json.dumps([ours, prefects, fastapi_before, other]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    ours, prefects, fastapi_before, other = json.loads(done.stdout.splitlines()[-1])
    assert ours == prefects
    assert ours[0] == {"date": "2026-11-20", "config": "/srv/digest.toml", "resend": False,
                       "retry_send": True}
    assert ours[2]["date"] == "2026-11-20T06:30:00+00:00"
    assert fastapi_before is False
    assert other == {"config": "/srv/digest.toml", "n": [1.5]}


def test_prefect_in_a_terminal_says_nothing_of_usage_data_and_keeps_a_users_choice(
        tmp_path: Path) -> None:
    # Prefect's client, on first use in a terminal, prints a notice and queues
    # usage reports; importing the flow turns that off, unless DO_NOT_TRACK is set.
    import os
    import pty
    import subprocess
    import sys

    script = ("import os, digest_flows.daily; print('DNT', os.environ['DO_NOT_TRACK'], "
              "os.environ['PREFECT_SERVER_ANALYTICS_ENABLED'])")
    for preset, expected in ((None, "DNT 1 false"), ("0", "DNT 0 false")):
        env = {k: v for k, v in os.environ.items()
               if k not in ("DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED", "CI")}
        env["PREFECT_HOME"] = str(tmp_path / f"home-{preset}")  # a first use
        if preset is not None:
            env["DO_NOT_TRACK"] = preset
        leader, follower = pty.openpty()
        subprocess.run([sys.executable, "-c", script], stdin=follower, stdout=follower,
                       stderr=follower, env=env, timeout=120, check=True)
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed
                break
            if not chunk:
                break
            output += chunk
        os.close(leader)
        text = output.decode(errors="replace")
        assert expected in text
        if preset is None:
            assert "usage data" not in text, text
