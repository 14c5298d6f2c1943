"""Shared fixtures: the real model, built once per machine and reused across test runs."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# Bootstrapped models are cached here between runs (gitignored); the bootstrap is idempotent.
MODEL_CACHE = REPO / ".cache" / "test-models"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout; tests that need its real data skip without it."""
    if not SHARED.exists():
        pytest.skip("../shared is not beside this checkout")
    return SHARED


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """A model registry holding the bootstrapped multilingual-e5-small as its active version."""
    from models.bootstrap import ensure_default_model

    ensure_default_model(MODEL_CACHE)
    return MODEL_CACHE


@pytest.fixture(scope="session")
def encoder(models_dir: Path):  # type: ignore[no-untyped-def]
    """The serving encoder (ONNX int8 of the active model)."""
    from models.factory import make_encoder

    return make_encoder("onnx-int8", "active", models_dir)
