"""A short soak (the full one is ``python -m tests.reliability.soak``): zero 5xx and zero lost writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .soak import render, run_soak


@pytest.mark.slow
def test_short_soak_with_an_index_switch(tmp_path: Path, models_dir: Path):
    result = run_soak(duration_s=12, workers=6, n_policies=3, n_enterprises=200, data_dir=tmp_path / "data")
    summary = render(result)
    assert result.server_errors == 0, summary
    assert not sum(result.transport_errors.values()), summary
    assert result.acknowledged_writes > 0 and result.lost_writes == 0, summary
    assert len(result.index_versions) >= 2, f"the index switch was not seen: {summary}"
    assert result.statuses.get("match", {}).get(200, 0) > 0, summary
