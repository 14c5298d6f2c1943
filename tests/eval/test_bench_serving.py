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


def test_served_model_is_the_registrys_active_version(tmp_path: Path) -> None:
    from eval.bench.serving import served_model

    (tmp_path / "v2" / "onnx").mkdir(parents=True)
    (tmp_path / "ACTIVE").write_text('{"version": "v2", "history": ["v1"]}', encoding="utf-8")
    assert served_model(tmp_path, "missing") == tmp_path / "v2"


def test_served_model_without_a_pointer_is_the_folder_itself_and_needs_an_onnx_export(tmp_path: Path) -> None:
    import pytest

    from eval.bench.serving import served_model

    with pytest.raises(SystemExit, match="no model here"):
        served_model(tmp_path, "no model here")
    (tmp_path / "onnx").mkdir()
    assert served_model(tmp_path, "no model here") == tmp_path
