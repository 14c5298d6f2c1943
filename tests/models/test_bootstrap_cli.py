"""The bootstrap's idempotence and lock, and the `policymatch models` / `bench encode` commands."""

from __future__ import annotations

import json
import threading

import pytest

from api.cli import main
from api.settings import get_settings
from models.bootstrap import SOURCE_PREFIX, bootstrap_source, ensure_default_model
from models.registry import ModelRegistry


def test_second_bootstrap_only_verifies(models_dir):
    registry = ModelRegistry(models_dir)
    before = [(v.version, v.created) for v in registry.versions()]
    path = ensure_default_model(models_dir, progress=False)
    assert path == registry.active().path
    assert [(v.version, v.created) for v in registry.versions()] == before
    built = [v for v in registry.versions() if v.source == bootstrap_source()]
    assert len(built) == 1 and built[0].source.startswith(SOURCE_PREFIX)
    assert built[0].dimension == 384 and built[0].model_id == "intfloat/multilingual-e5-small"
    files = {f.path for f in built[0].files}
    assert {
        "model.safetensors",
        "tokenizer.json",
        "onnx/model.onnx",
        "onnx/model_int8.onnx",
        "modules.json",
    } <= files


def test_concurrent_bootstraps_wait_for_each_other(models_dir):
    results: list = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_default_model(models_dir, progress=False)))
    ]
    threads.append(
        threading.Thread(target=lambda: results.append(ensure_default_model(models_dir, progress=False)))
    )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2 and results[0] == results[1]


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def small_model(path, payload: bytes):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"hidden_size": 8}))
    (path / "modules.json").write_text("[]")
    (path / "model.safetensors").write_bytes(payload)
    return path


def test_models_commands(data_dir, tmp_path, capsys):
    registry = ModelRegistry(data_dir / "models")
    registry.register(small_model(tmp_path / "a", b"a" * 64), parent=None, source="first")
    registry.register(small_model(tmp_path / "b", b"b" * 64), parent="v1", source="second")
    assert main(["models", "list"]) == 0
    assert "no model versions" not in capsys.readouterr().out
    assert main(["model", "activate", "v1"]) == 0
    assert main(["models", "activate", "v2"]) == 0
    assert "active model: v2" in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("*")]
    assert len(lines) == 1 and "v2" in lines[0]
    assert main(["models", "verify"]) == 0
    assert "checksums OK" in capsys.readouterr().out
    assert main(["models", "rollback"]) == 0
    assert registry.active_version() == "v1"
    (registry.root / "v2" / "model.safetensors").write_bytes(b"x" * 64)
    assert main(["models", "verify", "v2"]) == 2
    error = capsys.readouterr().err
    assert "model.safetensors" in error and "Traceback" not in error
    assert main(["models", "activate", "v9"]) == 2
    assert "v9" in capsys.readouterr().err
    assert main(["models", "list", "--json"]) == 0
    assert [m["version"] for m in json.loads(capsys.readouterr().out)] == ["v1", "v2"]


def test_bench_encode_writes_json_and_its_markdown_section(data_dir, models_dir, tmp_path):
    data_dir.mkdir(parents=True)
    (data_dir / "models").symlink_to(models_dir.resolve(), target_is_directory=True)
    out = tmp_path / "encode.json"
    markdown = tmp_path / "benchmarks.md"
    markdown.write_text("# Benchmarks\n\n<!-- BEGIN other -->\nkept\n<!-- END other -->\n")
    args = ["bench", "encode", "--backends", "onnx-int8", "--no-recall", "--n-short", "4"]
    args += ["--n-long", "2", "--n-profile", "2", "--latency-samples", "2"]
    assert main([*args, "--json-out", str(out), "--markdown", str(markdown)]) == 0
    payload = json.loads(out.read_text())
    assert {(r["backend"], r["kind"]) for r in payload["speed"]} == {
        ("onnx-int8", k) for k in ("short", "long", "profile")
    }
    assert all(
        r["texts_per_second"] > 0 and r["latency_p99_ms"] >= r["latency_p50_ms"] for r in payload["speed"]
    )
    text = markdown.read_text()
    assert "<!-- BEGIN encode -->" in text and "kept" in text and payload["machine"] in text
    assert main(["bench", "encode", "--backends", "bogus"]) == 2


def test_bench_markdown_states_speedup_and_recall_gap(tmp_path):
    from argparse import Namespace

    from eval.bench.encode import _markdown

    def speed(backend, kind, rate):
        return {
            "backend": backend,
            "kind": kind,
            "n_texts": 4,
            "mean_chars": 30.0,
            "texts_per_second": rate,
            "latency_p50_ms": 5.0,
            "latency_p99_ms": 9.0,
        }

    payload = {
        "machine": "test machine",
        "when": "now",
        "batch_size": 32,
        "model_ids": {"onnx-int8": "m@v1:onnx-int8"},
        "speed": [speed("onnx-int8", "short", 40.0), speed("sentence-transformers", "short", 10.0)],
        "recall": [
            {
                "backend": b,
                "max_length": 512,
                "recall_at_10": r,
                "n_queries": 3,
                "n_docs": 5,
                "seconds": 1,
                "set": "s",
            }
            for b, r in (("onnx", 0.80), ("onnx-int8", 0.79))
        ],
        "recall_note": "",
    }
    text = _markdown(payload, Namespace(json_out=tmp_path / "e.json"))
    assert "×4.0 sentence" in text and "-1.0 points at max_length 512" in text
    assert "| onnx-int8 | sentence | 4 | 30 | 40.0 | 4.00 |" in text
