"""``bench scale`` on a tiny size: every step runs on the real encoder, store and matcher and reports sane figures."""

import argparse

import pytest

from eval.bench.scale import ScaleRun, run_size
from eval.bench.scale_report import scale_markdown


@pytest.mark.slow
def test_one_small_size_measures_every_step(encoder):
    args = argparse.Namespace(
        items=60, queries=5, seed=20241, no_http=True, load_seconds=1, models_dir=None, no_write=True
    )
    run = run_size(300, args, encoder, lambda message: None)
    assert isinstance(run, ScaleRun) and run.n_enterprises == 300 and 0 < run.n_items <= 60
    assert 0 < run.distinct_texts <= 300 and run.embed_per_s > 0 and run.item_encode_per_s > 0
    assert 0 < run.stored_p50_ms <= run.stored_p99_ms and 0 < run.adhoc_p50_ms <= run.adhoc_p99_ms
    assert run.list_rows >= 0 and run.whole_list_ms > 0 and run.http == ()
    report = scale_markdown([run], "test machine", args)
    assert "| 300 | goal |" in report and "extrapolated" in report and "test machine" in report
