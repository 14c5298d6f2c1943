import numpy as np
import pytest
from vector_helpers import exact, unit

from eval.bench.filtered import clustered_vectors
from matcher.index_versions import IndexIntegrityError
from matcher.vector_index import VectorIndex, load_vector_index, make_vector_index
from matcher.vector_index.faiss_index import FaissIndex


@pytest.mark.parametrize(
    "kind, storage, cutover",
    [("flat", "float32", 2000), ("ivf", "float32", 2000), ("ivf", "float32", 0), ("ivf", "float16", 0)],
)
def test_filtered_search_equals_exact_filtered_search(kind, storage, cutover):
    # Embedding-like vectors (topical clusters); queries are near documents, as real queries are.
    vectors = clustered_vectors(4000, 32, n_clusters=40, seed=0)
    ids = np.arange(4000, dtype=np.int64) * 7 + 3
    index = FaissIndex.build(
        ids, vectors, model_id="test", kind=kind, storage=storage, nlist=64, nprobe=4, exact_cutover=cutover
    )
    assert isinstance(index, VectorIndex) and len(index) == 4000
    queries = clustered_vectors(20, 32, n_clusters=40, seed=0)
    rng = np.random.default_rng(2)
    for share in (0.5, 0.1, 0.01):
        allowed = rng.choice(ids, int(4000 * share), replace=False)
        found = index.search(queries, 5, allowed_ids=allowed).ids
        assert np.isin(found, allowed).all()
        truth = exact(queries, vectors, ids, allowed, 5)
        recall = np.mean([len(set(f) & set(t)) / 5 for f, t in zip(found, truth, strict=True)])
        assert recall >= (0.99 if storage == "float32" else 0.95)


def test_save_load_manifest_and_checksum_refusal(tmp_path):
    vectors = unit(100, 16)
    index = FaissIndex.build(np.arange(100) + 10, vectors, model_id="e5-test", kind="ivf", nlist=8)
    index.save(tmp_path / "v")
    loaded = load_vector_index(tmp_path / "v")
    assert (loaded.dim, len(loaded), loaded.model_id) == (16, 100, "e5-test")
    np.testing.assert_array_equal(loaded.search(vectors[:3], 4).ids, index.search(vectors[:3], 4).ids)
    with open(tmp_path / "v" / "index.faiss", "r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(IndexIntegrityError, match="index.faiss: checksum mismatch"):
        load_vector_index(tmp_path / "v")


def test_factory_names_valid_backends():
    with pytest.raises(ValueError, match="valid: faiss"):
        make_vector_index("annoy", dim=4, model_id="x")


@pytest.mark.parametrize("kind", ["flat", "ivf"])
def test_large_filters_take_the_bitmap_path_and_stay_exact(kind):
    from matcher.vector_index.faiss_index import BITMAP_MIN_ALLOWED

    vectors = clustered_vectors(3 * BITMAP_MIN_ALLOWED, 32, n_clusters=40, seed=3)
    ids = np.random.default_rng(3).permutation(10 * len(vectors))[: len(vectors)].astype(np.int64)
    index = FaissIndex.build(ids, vectors, model_id="test", kind=kind, nlist=64, nprobe=8)
    queries = clustered_vectors(10, 32, n_clusters=40, seed=3)
    allowed = np.concatenate([ids[: 2 * BITMAP_MIN_ALLOWED], [-5, 10**9]])  # unknown ids are ignored
    found = index.search(queries, 10, allowed_ids=allowed).ids
    assert np.isin(found, ids[: 2 * BITMAP_MIN_ALLOWED]).all()
    truth = exact(queries, vectors, ids, ids[: 2 * BITMAP_MIN_ALLOWED], 10)
    assert np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)]) >= 0.99
    index.remove(ids[:10])
    assert not np.isin(index.search(queries, 10, allowed_ids=allowed).ids, ids[:10]).any()
