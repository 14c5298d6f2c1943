"""A small served data directory (demo store + index + a registered model folder), built once per session."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

TODAY = dt.date(2025, 6, 1)
N_POLICIES = 3
N_ENTERPRISES = 60


def build_served_dir(data_dir: Path, encoder) -> None:  # type: ignore[no-untyped-def]
    """Load a tiny demo corpus into ``data_dir`` and build its first index version."""
    from corpus.store import open_store
    from matcher.demo import load_demo
    from matcher.service import Matcher
    from models.registry import ModelRegistry

    store = open_store(data_dir / "policymatch.sqlite3")
    try:
        load_demo(store, seed=99, n_policies=N_POLICIES, n_enterprises=N_ENTERPRISES)
        matcher = Matcher.open(data_dir, store, encoder, today=TODAY)
        matcher.close()
    finally:
        store.close()
    # A small model folder in the data directory's registry: backups must carry (and verify) it.
    src = data_dir.parent / "tiny-model-src"
    src.mkdir(exist_ok=True)
    (src / "config.json").write_text('{"hidden_size": 4}', encoding="utf-8")
    (src / "weights.bin").write_bytes(bytes(range(256)) * 64)
    registry = ModelRegistry(data_dir / "models")
    version = registry.register(src, parent=None, source="reliability test", metrics=None)
    registry.activate(version.version)
    shutil.rmtree(src)


@pytest.fixture(scope="session")
def served_template(tmp_path_factory, encoder) -> Path:  # type: ignore[no-untyped-def]
    """A pristine served data directory; copy it (``served_dir``) before changing anything."""
    data_dir = tmp_path_factory.mktemp("served") / "data"
    data_dir.mkdir()
    build_served_dir(data_dir, encoder)
    return data_dir


@pytest.fixture
def served_dir(served_template: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the served data directory for one test."""
    target = tmp_path / "data"
    shutil.copytree(served_template, target)
    yield target


def open_matcher(data_dir: Path, encoder, **kwargs):  # type: ignore[no-untyped-def]
    """Open the store and the matching service of ``data_dir``; returns (store, matcher)."""
    from corpus.store import open_store
    from matcher.service import Matcher

    store = open_store(data_dir / "policymatch.sqlite3")
    return store, Matcher.open(data_dir, store, encoder, today=TODAY, **kwargs)


def unlimited_services(served_template: Path, data_dir: Path, encoder):  # type: ignore[no-untyped-def]
    """Services over a private copy of the served data directory, with no rate limit (the store is ``.store``)."""
    from api.limits import Limits
    from api.services import Services
    from api.settings import Settings

    shutil.copytree(served_template, data_dir)
    store, matcher = open_matcher(data_dir, encoder, build_index=False)
    return Services(
        settings=Settings(data_dir=data_dir),
        store=store,
        matcher=matcher,
        limits=Limits(rate_per_minute=1_000_000, burst=1_000_000),
    )


def match_snapshot(matcher, enterprise_ids) -> list:  # type: ignore[no-untyped-def]
    """Everything a client sees of 智能匹配 and 精准推送 for some enterprises and every policy (no versions)."""
    from corpus.conditions import LEVELS

    out = []
    for eid in enterprise_ids:
        response = matcher.match(enterprise_id=eid, levels=LEVELS, top_k=50)
        out.append([(r.item_id, r.level, round(float(r.score), 5)) for r in response.results])
    for item in sorted(matcher.store.iter_items(), key=lambda i: i.id):
        page = matcher.targets(item.policy_id, item.id, levels=LEVELS, limit=500)
        out.append([(r.enterprise_id, r.item_id, r.level) for r in page.rows])
    return out
