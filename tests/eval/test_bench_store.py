"""``bench store`` on a small set: real SQLite file, real profiles, sane figures."""

from eval.bench import store as bench


def test_store_benchmark_runs_on_a_small_set():
    result = bench.run(300, batch_size=128)
    assert result.n_enterprises == 300 and result.upsert_per_s > 0 and result.file_mb > 0
    assert "profiles/s" in bench.to_markdown(result, "test machine")
