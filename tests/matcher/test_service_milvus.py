"""The ``Matcher`` with its item vectors in Milvus Lite: in-place changes survive a restart, nothing is left over.

Real parts: SQLite store, the served ONNX encoder, Milvus Lite in ``tmp_path``. A
built item's text is edited after the build (so the version's id map and the
collection disagree at the next start); the reopened matcher must hold exactly
the vectors of the store's current texts, and a failed build must leave no
collection behind.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from corpus.store import open_store
from matcher.service import Matcher
from matcher.vector_index import parse_vector_url

SEED = 20241


@dataclasses.dataclass(frozen=True)
class Extraction:
    """What the store reads of an extraction."""

    conditions: tuple[Any, ...]
    tags: dict[str, Any]


@pytest.fixture
def milvus_url(tmp_path: Path) -> str:
    """A Milvus Lite file of this test."""
    if importlib.util.find_spec("milvus_lite") is None or importlib.util.find_spec("pymilvus") is None:
        pytest.skip("milvus-lite / pymilvus are not installed")
    return f"milvus-lite://{tmp_path / 'milvus' / 'vectors.db'}"


def demo_store(path: Path) -> Any:
    """A store holding a few demo policies (true conditions) and a few enterprises."""
    from corpus.demo import generate
    from corpus.schemas import validate_profile
    from matcher.demo import store_items_with_true_conditions

    corpus = generate(SEED, 3, 10)
    store = open_store(path)
    store_items_with_true_conditions(store, corpus)
    store.upsert_enterprises([validate_profile(p) for p in corpus.iter_enterprises(10)])
    return store


def edit_item_text(store: Any, policy_id: str, item_id: str, suffix: str) -> None:
    """Store a new version of the policy with one item's text extended (same conditions)."""
    stored = store.get_policy(policy_id)
    items = [
        dataclasses.replace(item, text=item.text + suffix) if item.id == item_id else item
        for item in stored.items
    ]
    extractions = [Extraction(tuple(store.item_conditions(item.id)), {}) for item in stored.items]
    store.upsert_policy(stored.document, items, extractions)


def held_vectors(matcher: Matcher) -> tuple[set[int], set[int]]:
    """(ids in the collection, ids the retriever's map expects)."""
    retriever = matcher.index.retriever
    expected = set(retriever.chunk_ids(retriever.ids).tolist())
    return set(retriever.vectors.ids().tolist()), expected


def test_an_item_edited_after_the_build_is_served_with_its_new_text_after_a_restart(
    tmp_path: Path, encoder: Any, milvus_url: str, caplog: pytest.LogCaptureFixture
):
    from matcher.retrieval import chunk_text

    backend = parse_vector_url(milvus_url)
    store = demo_store(tmp_path / "store.sqlite3")
    try:
        matcher = Matcher.open(tmp_path, store, encoder, vectors=backend)
        built = matcher.index_version
        item = matcher.catalog.items[0]
        present, expected = held_vectors(matcher)
        assert present == expected and present

        edit_item_text(store, item.policy_id, item.id, "对参与数字化车间改造的企业另给予补助。")
        matcher.policy_changed(item.policy_id)
        new_text = matcher.catalog.item(item.id).indexed_text
        assert matcher.index_version == f"{built}+1"
        matcher.close()

        caplog.set_level("INFO", logger="matcher.item_index")
        reopened = Matcher.open(tmp_path, store, encoder, vectors=backend)
        assert reopened.index_version.split("+")[0] == built  # the same version, not a rebuild
        assert "1 documents changed since the build" in caplog.text
        present, expected = held_vectors(reopened)
        assert present == expected  # no vector of the first process's change is left over
        retriever = reopened.index.retriever
        got = retriever.vectors.reconstruct(retriever.chunk_ids([item.id]))
        config = retriever.config  # the chunking the index was built with
        want = encoder.encode_passages(
            chunk_text(new_text, config.chunk_chars, config.max_chunks, config.chunk_stride)
        )
        assert got.shape == want.shape and np.allclose(got, want, atol=1e-5)
        assert reopened.match(enterprise_id=next(iter(store.iter_enterprises())).id).results
        reopened.close()
    finally:
        store.close()


class _FailingEncoder:
    """The real encoder, except that passages fail: an index build that breaks half-way."""

    def __init__(self, real: Any) -> None:
        self.real, self.dim, self.model_id = real, real.dim, real.model_id

    def encode_queries(self, texts: list[str], batch_size: int = 64) -> Any:
        return self.real.encode_queries(texts, batch_size=batch_size)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> Any:
        raise OSError("encoder went away")


class _WrongWidthEncoder(_FailingEncoder):
    """Passages come back one number short: the encoder succeeds and the insert into the collection fails."""

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> Any:
        return np.zeros((len(texts), self.dim - 1), dtype=np.float32)


def _collections(milvus_url: str) -> list[str]:
    from pymilvus import MilvusClient

    path = Path(milvus_url.removeprefix("milvus-lite://"))
    if not path.exists():
        return []  # nothing ever opened the file: no collection
    client = MilvusClient(str(path))
    try:
        return list(client.list_collections())
    finally:
        client.close()


@pytest.mark.parametrize("broken", [_FailingEncoder, _WrongWidthEncoder])
def test_a_failed_build_leaves_no_collection_and_current_unchanged(
    tmp_path: Path, encoder: Any, milvus_url: str, broken: type
):
    from matcher.index_versions import IndexVersions

    store = demo_store(tmp_path / "store.sqlite3")
    try:
        # The encoder failing (before any collection exists: passages are encoded first, outside the
        # write lock) or the insert failing inside the build (its new collection is dropped).
        with pytest.raises(Exception) as raised:
            Matcher.open(tmp_path, store, broken(encoder), vectors=parse_vector_url(milvus_url))
        if broken is _FailingEncoder:
            assert "encoder went away" in str(raised.value)
        else:  # the build got as far as Milvus: its collection was made, then dropped
            assert Path(milvus_url.removeprefix("milvus-lite://")).exists()
        assert IndexVersions(tmp_path).current_name() is None
        assert _collections(milvus_url) == []
    finally:
        store.close()


def test_an_unreachable_milvus_server_is_said_in_one_sentence(tmp_path: Path, encoder: Any):
    from matcher.vector_index.milvus_index import MilvusUnavailable

    store = open_store(tmp_path / "store.sqlite3")
    try:
        with pytest.raises(MilvusUnavailable, match=r"^cannot connect to Milvus at http://127\.0\.0\.1:1: "):
            Matcher.open(tmp_path, store, encoder, vectors=parse_vector_url("http://127.0.0.1:1"))
    finally:
        store.close()
