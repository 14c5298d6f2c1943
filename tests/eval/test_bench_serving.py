"""The served-process helpers the benchmarks and the reliability runs share."""

from __future__ import annotations

from pathlib import Path

from eval.bench.serving import data_dir_or_scratch


def test_a_given_data_dir_is_used_as_it_is(tmp_path: Path) -> None:
    data_dir, scratch = data_dir_or_scratch(tmp_path / "data", "policymatch-test-")
    assert data_dir == tmp_path / "data" and scratch is None


def test_no_data_dir_gets_a_scratch_folder_that_cleans_up() -> None:
    data_dir, scratch = data_dir_or_scratch(None, "policymatch-test-")
    assert scratch is not None
    assert data_dir.name == "data" and data_dir.parent.name.startswith("policymatch-test-")
    data_dir.mkdir()
    (data_dir / "x").write_text("1")
    scratch.cleanup()
    assert not data_dir.parent.exists()
