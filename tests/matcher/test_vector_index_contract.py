"""The vector-index contract: the same cases over every backend (FAISS exact, Milvus Lite).

Milvus Lite runs embedded from one local folder shared by the module (a
collection per test), so its start-up cost (~2 s) is paid once.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from vector_helpers import exact, unit

from eval.bench.filtered import clustered_vectors
from matcher.index_versions import IndexIntegrityError
from matcher.vector_index import DimensionError, VectorIndex, load_vector_index, make_vector_index

MakeIndex = Callable[[int], VectorIndex]


@pytest.fixture(scope="module")
def milvus_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One Milvus Lite file for the module (skipped only where milvus-lite is not installed)."""
    if importlib.util.find_spec("milvus_lite") is None or importlib.util.find_spec("pymilvus") is None:
        pytest.skip("milvus-lite / pymilvus are not installed (pip install pymilvus milvus-lite)")
    return f"milvus-lite://{tmp_path_factory.mktemp('milvus') / 'vectors.db'}"


@pytest.fixture(params=["faiss", "milvus-lite"])
def make_index(request: pytest.FixtureRequest) -> Iterator[MakeIndex]:
    """A factory of empty indexes of one backend (Milvus collections are dropped afterwards)."""
    made: list[VectorIndex] = []

    def make(dim: int) -> VectorIndex:
        if request.param == "faiss":
            index = make_vector_index("faiss", dim=dim, model_id="contract", kind="flat")
        else:
            uri = request.getfixturevalue("milvus_uri")
            index = make_vector_index("milvus", dim=dim, model_id="contract", uri=uri)
        made.append(index)
        return index

    yield make
    for index in made:
        drop = getattr(index, "drop", None)
        if drop is not None:
            drop()


def test_filtered_search_equals_exact_filtered_search(make_index: MakeIndex):
    vectors = clustered_vectors(2000, 32, n_clusters=40, seed=0)
    ids = np.arange(2000, dtype=np.int64) * 7 + 3
    index = make_index(32)
    index.add(ids, vectors)
    assert isinstance(index, VectorIndex) and len(index) == 2000
    queries = clustered_vectors(10, 32, n_clusters=40, seed=1)
    rng = np.random.default_rng(2)
    assert np.array_equal(index.search(queries, 5).ids, exact(queries, vectors, ids, ids, 5))
    for share in (0.5, 0.05, 0.005):
        allowed = rng.choice(ids, int(2000 * share), replace=False)
        result = index.search(queries, 5, allowed_ids=allowed)
        assert np.isin(result.ids, allowed).all()
        np.testing.assert_array_equal(result.ids, exact(queries, vectors, ids, allowed, 5))
        best = np.max(queries @ vectors[np.isin(ids, allowed)].T, axis=1)
        np.testing.assert_allclose(result.scores[:, 0], best, atol=1e-4)  # inner product, best first
        assert (np.diff(result.scores, axis=1) <= 1e-6).all()


def test_fewer_hits_than_k_are_padded(make_index: MakeIndex):
    index = make_index(8)
    assert len(index) == 0
    empty = index.search(unit(2, 8), 3)
    assert empty.ids.tolist() == [[-1, -1, -1]] * 2 and (empty.scores < -1).all()  # below any cosine
    vectors = unit(4, 8, seed=3)
    index.add([10, 11, 12, 13], vectors)
    result = index.search(vectors[:1], 3, allowed_ids=[11, 999])
    assert result.ids[0].tolist() == [11, -1, -1] and (result.scores[0, 1:] < -1).all()
    assert result.ids.dtype == np.int64 and result.scores.dtype == np.float32
    assert index.search(vectors[:1], 2, allowed_ids=[]).ids.tolist() == [[-1, -1]]


def test_wrong_shapes_and_duplicate_ids_are_rejected(make_index: MakeIndex):
    index = make_index(8)
    with pytest.raises(DimensionError, match="dimension 10, the index expects 8"):
        index.add([1, 2], unit(2, 10))
    with pytest.raises(DimensionError, match=r"2-D array of shape \(n, 8\)"):
        index.add([1], unit(1, 8)[0])
    with pytest.raises(DimensionError, match="NaN"):
        index.add([1], np.full((1, 8), np.nan, dtype=np.float32))
    with pytest.raises(ValueError, match="2 ids for 1 vectors"):
        index.add([1, 2], unit(1, 8))
    index.add([1], unit(1, 8))
    with pytest.raises(DimensionError, match="query vectors have dimension 4"):
        index.search(unit(1, 4), 1)
    with pytest.raises(ValueError, match="already in the vector index"):
        index.add([1], unit(1, 8))
    with pytest.raises(ValueError, match="k must be positive"):
        index.search(unit(1, 8), 0)
    assert len(index) == 1 and 1 in index and 2 not in index


def test_add_and_remove_are_seen_by_the_next_search(make_index: MakeIndex):
    vectors = unit(50, 16)
    index = make_index(16)
    index.add(np.arange(50), vectors)
    assert index.search(vectors[7:8], 1).ids[0, 0] == 7
    assert index.remove([7, 999]) == 1
    assert 7 not in index and len(index) == 49
    assert 7 not in index.search(vectors[7:8], 5).ids[0]
    index.add([1000], vectors[7:8])
    assert index.search(vectors[7:8], 1).ids[0, 0] == 1000
    assert index.search(vectors[7:8], 3, allowed_ids=[7]).ids[0].tolist() == [-1, -1, -1]


def test_save_and_load_give_the_same_answers(make_index: MakeIndex, tmp_path: Path):
    vectors = unit(100, 16)
    index = make_index(16)
    index.add(np.arange(100) + 10, vectors)
    index.save(tmp_path / "v")
    loaded = load_vector_index(tmp_path / "v")
    assert (loaded.dim, len(loaded), loaded.model_id) == (16, 100, "contract")
    np.testing.assert_array_equal(loaded.search(vectors[:3], 4).ids, index.search(vectors[:3], 4).ids)
    (tmp_path / "v" / "manifest.json").write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(IndexIntegrityError):
        load_vector_index(tmp_path / "v")


def test_milvus_uris_are_checked(milvus_uri: str):
    from matcher.vector_index.milvus_index import MilvusConfigError, parse_uri

    assert parse_uri("milvus-lite:///tmp/x/vectors.db") == ("/tmp/x/vectors.db", True)
    assert parse_uri("tcp://milvus.internal:19530") == ("http://milvus.internal:19530", False)
    with pytest.raises(MilvusConfigError, match="unknown Milvus URI scheme"):
        parse_uri("redis://x")
    with pytest.raises(MilvusConfigError, match="needs a uri"):
        make_vector_index("milvus", dim=4, model_id="x")
    name = f"dim_{uuid.uuid4().hex[:8]}"
    first = make_vector_index("milvus", dim=4, model_id="x", uri=milvus_uri)
    from matcher.vector_index.milvus_index import MilvusIndex

    made = MilvusIndex(uri=milvus_uri, dim=4, model_id="x", collection=name)
    with pytest.raises(DimensionError, match="dimension 4, the index expects 8"):
        MilvusIndex(uri=milvus_uri, dim=8, model_id="x", collection=name)
    made.drop()
    first.drop()  # type: ignore[attr-defined]
