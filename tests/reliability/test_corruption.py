"""Flipped or truncated index, model and store files are refused by name; the service never serves them."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from corpus.store import open_store
from corpus.store.base import StoreError
from matcher.index_versions import IndexIntegrityError, IndexVersions
from models.registry import ModelIntegrityError, ModelRegistry

from .conftest import match_snapshot, open_matcher
from .helpers import run_cli


def flip_byte(path: Path, where: float = 0.5) -> None:
    """Invert one byte of ``path`` at the relative position ``where``."""
    data = bytearray(path.read_bytes())
    data[min(int(len(data) * where), len(data) - 1)] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path, keep: float = 0.5) -> None:
    """Cut ``path`` to a fraction of its size."""
    os.truncate(path, int(path.stat().st_size * keep))


def copy_current_version(data_dir: Path, *, activate: bool) -> str:
    """Publish a second complete version holding the current one's files (what a second build leaves)."""
    versions = IndexVersions(data_dir)
    current = versions.current()
    with versions.build(
        model_id=current.model_id,
        corpus_snapshot=current.corpus_snapshot,
        meta=current.meta,
        activate=activate,
    ) as folder:
        for name in current.checksums:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(current.path / name, folder / name)
    return versions.versions()[-1]


def _ids(store) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.id for p in store.iter_enterprises())[:5]


@pytest.mark.parametrize(
    "damage",
    ["flip:items/vectors/index.faiss", "truncate:items/lexical/bm25.npz", "flip:items/retriever.json"],
)
def test_damaged_current_index_falls_back_to_last_good_version(served_dir: Path, encoder, caplog, damage):
    store, matcher = open_matcher(served_dir, encoder, build_index=False)
    good_version, ids = matcher.index_version, _ids(store)
    expected = match_snapshot(matcher, ids)
    store.close()
    newest = copy_current_version(served_dir, activate=True)
    assert IndexVersions(served_dir).current_name() == newest != good_version

    kind, name = damage.split(":")
    (flip_byte if kind == "flip" else truncate)(served_dir / "indexes" / newest / name)
    with pytest.raises(IndexIntegrityError, match=rf"{name.split('/')[-1]}: checksum mismatch"):
        IndexVersions(served_dir).current()

    with caplog.at_level(logging.WARNING, logger="matcher.item_index"):
        store, matcher = open_matcher(served_dir, encoder, build_index=False)
    try:
        assert matcher.index_version == good_version, "the damaged version is never loaded"
        assert any(newest in r.getMessage() and "checksum mismatch" in r.getMessage() for r in caplog.records)
        assert match_snapshot(matcher, ids) == expected
    finally:
        store.close()


def test_damaged_only_version_is_not_served_and_the_next_build_replaces_it(served_dir: Path, encoder):
    only = IndexVersions(served_dir).current_name()
    flip_byte(served_dir / "indexes" / only / "items/vectors/index.faiss")
    store, matcher = open_matcher(served_dir, encoder, build_index=False)
    try:
        assert matcher.index_version == "none"
        # Opening with builds allowed (what `serve` does) replaces the damaged version with a verified one.
        rebuilt = matcher.rebuild_index()
        assert rebuilt != only and IndexVersions(served_dir).current().version == rebuilt
    finally:
        store.close()


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_model_file_is_refused_by_name(served_template: Path, tmp_path: Path, damage):
    models = tmp_path / "models"
    shutil.copytree(served_template / "models", models)
    registry = ModelRegistry(models)
    version = registry.active()
    registry.verify(version.version)
    target = version.path / "weights.bin"
    (flip_byte if damage == "flip" else truncate)(target)
    with pytest.raises(ModelIntegrityError, match="weights.bin"):
        registry.verify(version.version)


@pytest.mark.parametrize("damage", ["header", "truncate"])
def test_damaged_store_is_refused_by_name(served_template: Path, tmp_path: Path, damage):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = data_dir / "policymatch.sqlite3"
    shutil.copy2(served_template / "policymatch.sqlite3", db)
    if damage == "header":
        data = bytearray(db.read_bytes())
        data[:16] = b"garbage-garbage!"
        db.write_bytes(bytes(data))
    else:
        truncate(db, 0.4)
    with pytest.raises(StoreError, match=r"policymatch\.sqlite3: the SQLite store is damaged"):
        open_store(db)
    done = run_cli(data_dir, "ingest", "enterprises", str(tmp_path / "none.jsonl"), "--quiet")
    assert done.returncode == 2
    assert "the SQLite store is damaged" in done.stderr and "Traceback" not in done.stderr
