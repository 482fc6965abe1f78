from __future__ import annotations

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
