"""Vectors the vector-index tests share: random unit vectors and the exact filtered top-k to compare with."""

from __future__ import annotations

from typing import Any

import numpy as np


def unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """``n`` random unit vectors of ``dim`` dimensions (float32), the same for the same seed."""
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact(queries: np.ndarray, vectors: np.ndarray, ids: np.ndarray, allowed: Any, k: int) -> np.ndarray:
    """The exact top-``k`` ids by inner product among ``allowed``, ties in id order (the reference answer)."""
    mask = np.isin(ids, allowed)
    scores = queries @ vectors[mask].T
    return ids[mask][np.argsort(-scores, axis=1, kind="stable")[:, :k]]
