"""The static (model2vec) encoder distilled from the served e5: built from the real teacher, loaded, searched.

The full build runs the teacher over all 250k tokens (minutes); here it runs over the tokens of
the shipped policy sentences and the test's own texts only, which is the same code on fewer rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.encoder import Encoder
from models.static_model import StaticEncoder, build_static_model, layout_vectors, sif_weights, token_vectors

QUERIES = {
    "高新技术企业认定奖励": "国家高新技术企业",
    "稳岗返还失业保险费": "稳岗",
    "引进顶尖人才安家补贴": "安家补贴",
    "出口信用保险保费补贴": "出口信用保险",
}


@pytest.fixture(scope="module")
def teacher_dir(models_dir: Path) -> Path:
    from models.registry import ModelRegistry

    return ModelRegistry(models_dir).active().path


@pytest.fixture(scope="module")
def static_encoder(tmp_path_factory, teacher_dir: Path, policy_sentences: list[str]) -> StaticEncoder:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(teacher_dir / "tokenizer.json"))
    texts = [*policy_sentences, *QUERIES]
    ids = np.unique(np.concatenate([tokenizer.encode(t).ids for t in texts]))
    vectors = token_vectors(teacher_dir, only=ids)
    out = tmp_path_factory.mktemp("static") / "static-teacher"
    build_static_model(teacher_dir, out, layout="teacher", teacher_space="e5@v1", vectors=vectors)
    return StaticEncoder(out)


def test_the_static_model_keeps_the_encoder_contract(static_encoder: StaticEncoder) -> None:
    """384 float32 unit rows per text in the input order; nothing in, nothing out; its space is its own."""
    assert isinstance(static_encoder, Encoder)
    assert static_encoder.dim == 384
    assert static_encoder.space == "e5@v1/static-teacher"
    texts = ["稳岗返还失业保险费", "高新技术企业认定奖励"]
    vectors = static_encoder.encode_passages(texts)
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(static_encoder.encode_queries(texts[::-1])[::-1], vectors, atol=1e-6)
    assert static_encoder.encode_queries([]).shape == (0, 384)


def test_nearest_policy_sentences_are_the_sensible_ones(
    static_encoder: StaticEncoder, policy_sentences: list[str]
) -> None:
    """Each own-written query finds, among the shipped sentences, one on its subject in its top 3."""
    docs = static_encoder.encode_passages(policy_sentences)
    for query, subject in QUERIES.items():
        scores = docs @ static_encoder.encode_queries([query])[0]
        top = [policy_sentences[i] for i in np.argsort(-scores)[:3]]
        assert any(subject in sentence for sentence in top), (query, top)


def test_token_vectors_are_the_teachers_own(teacher_dir: Path) -> None:
    """A token's static vector is the teacher's vector of that token alone (<s> t </s>), unit length."""
    from models.onnx_encoder import OnnxEncoder

    teacher = OnnxEncoder(teacher_dir)
    token = teacher.tokenizer.token_to_id("▁policy")
    assert token is not None
    assert teacher.tokenizer.encode("policy").ids == [0, token, 2]  # one token between <s> and </s>
    vectors = token_vectors(teacher_dir, only=np.array([token]))
    expected = teacher.encode(["policy"])[0]
    np.testing.assert_allclose(vectors[token], expected, atol=1e-5)
    assert not vectors[token - 1].any()


def test_layouts_weigh_frequent_tokens_down_and_centre() -> None:
    """SIF weights grow with the token's rank; the centred layout has a zero mean, the teacher one keeps its axes."""
    weights = sif_weights(1000)
    assert np.all(np.diff(weights) > 0) and 0 < weights[0] < weights[-1] < 1
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(1000, 8)).astype(np.float32) + 3.0
    teacher = layout_vectors(vectors, "teacher")
    np.testing.assert_allclose(teacher, vectors * weights[:, None], rtol=1e-6)
    centred = layout_vectors(vectors, "centred")
    assert np.abs((centred / weights[:, None]).mean(axis=0)).max() < 1e-4
    with pytest.raises(ValueError, match="valid choices: teacher, centred"):
        layout_vectors(vectors, "sideways")
