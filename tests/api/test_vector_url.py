"""The service with its item vectors in Milvus Lite, configured by ``POLICYMATCH_VECTOR_URL``.

Real parts only: the HTTP app opened by its factory from settings read from the
environment (as ``policymatch serve`` does), the SQLite store, the served ONNX
encoder, Milvus Lite in a file under ``tmp_path``. The same small demo corpus
(true conditions, a few dozen enterprises) is served once with FAISS and once
with Milvus Lite: the answers must be the same, and the Milvus service must see
an incremental change at once, reopen its collection after a restart and drop
old collections only after a newer version took over.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from matcher.vector_index import VectorBackend, VectorConfigError, parse_vector_url

SEED = 20241
N_POLICIES = 6
N_ENTERPRISES = 30
NEW_POLICY = {
    "id": "cn-shuzihua-2025",
    "title": "中小企业数字化转型补助办法",
    "text": "对开展数字化转型、上线工业互联网平台的中小企业，给予一次性补助5万元。",
}


def needs_milvus() -> None:
    """Skip where milvus-lite / pymilvus are not installed (they are dependencies, so normally never)."""
    if importlib.util.find_spec("milvus_lite") is None or importlib.util.find_spec("pymilvus") is None:
        pytest.skip("milvus-lite / pymilvus are not installed")


def test_vector_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert parse_vector_url(None) == VectorBackend()
    assert parse_vector_url("") == parse_vector_url(" FAISS ") == VectorBackend("faiss")
    lite = parse_vector_url(f"milvus-lite://{tmp_path}/v/vectors.db")
    assert (lite.name, lite.uri) == ("milvus", f"milvus-lite://{tmp_path}/v/vectors.db")
    # A relative file is resolved once, here, so a restart from another folder opens the same file.
    assert parse_vector_url("var/vectors.db").uri == f"milvus-lite://{tmp_path.resolve()}/var/vectors.db"
    assert parse_vector_url("milvus-lite://var/vectors.db") == parse_vector_url("var/vectors.db")
    server = parse_vector_url("http://milvus.internal:19530", token="root:Milvus")
    assert (server.name, server.uri) == ("milvus", "http://milvus.internal:19530")
    assert parse_vector_url("tcp://milvus.internal:19530") == server
    assert "root:Milvus" not in repr(server) and "token" not in server.describe()
    for bad in ("postgresql://x/y", "milvus-lite://", "vectors.sqlite3", "s3://bucket/vectors.db"):
        with pytest.raises(VectorConfigError, match=r"vector URL .* names no backend: use faiss") as caught:
            parse_vector_url(bad)
        assert "\n" not in str(caught.value)


def test_settings_read_the_vector_url_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    assert Settings().vector_url == "faiss"
    monkeypatch.setenv("POLICYMATCH_VECTOR_URL", "http://milvus.internal:19530")
    monkeypatch.setenv("POLICYMATCH_VECTOR_TOKEN", "root:Milvus")
    settings = Settings()
    assert (settings.vector_url, settings.vector_token) == ("http://milvus.internal:19530", "root:Milvus")


def test_a_bad_vector_url_stops_the_app_before_it_opens_anything(tmp_path: Path):
    from api.services import open_services

    settings = Settings(data_dir=tmp_path / "data", vector_url="redis://cache:6379")
    with pytest.raises(VectorConfigError, match="names no backend"):
        open_services(settings, prepare=False)
    assert not (tmp_path / "data").exists()


# ---- the service on FAISS and on Milvus Lite -----------------------------------------------------


def seed_data_dir(data_dir: Path, models_dir: Path) -> None:
    """A data directory holding the small demo corpus (true conditions) and the test model registry."""
    from corpus.demo import generate
    from corpus.schemas import validate_profile
    from corpus.store import open_store
    from matcher.demo import store_items_with_true_conditions

    data_dir.mkdir(parents=True)
    (data_dir / "models").symlink_to(models_dir, target_is_directory=True)
    # The plain demo: v1 conditions every store keeps (the realistic one needs the v2 stores).
    corpus = generate(SEED, N_POLICIES, N_ENTERPRISES, style="plain")
    store = open_store(data_dir / "policymatch.sqlite3")
    try:
        store_items_with_true_conditions(store, corpus)
        store.upsert_enterprises([validate_profile(p) for p in corpus.iter_enterprises(N_ENTERPRISES)])
    finally:
        store.close()


def settings_from_env(data_dir: Path, vector_url: str | None) -> Settings:
    """Settings read from the environment, as the doors read them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLICYMATCH_DATA_DIR", str(data_dir))
        if vector_url is None:
            patch.delenv("POLICYMATCH_VECTOR_URL", raising=False)
        else:
            patch.setenv("POLICYMATCH_VECTOR_URL", vector_url)
        return Settings()


@contextmanager
def serve(settings: Settings) -> Iterator[TestClient]:
    """The real app built by its factory (it opens model, store, index and vectors itself), from loopback."""
    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
        yield client


def matcher_of(client: TestClient) -> Any:
    """The Matcher the running app serves from."""
    return client.app.state.services.matcher  # type: ignore[attr-defined]


def answers(client: TestClient, ids: list[str]) -> dict[str, list[tuple[str, str, float, float]]]:
    """智能匹配 of each stored enterprise: (item id, level, score, dense part) of its top results."""
    out = {}
    for enterprise_id in ids:
        response = client.post("/v1/match", json={"enterprise_id": enterprise_id, "top_k": 100})
        assert response.status_code == 200, response.text
        out[enterprise_id] = [
            (r["item_id"], r["level"], r["score"], r["score_breakdown"]["dense"])
            for r in response.json()["results"]
        ]
    return out


def assert_same_answers(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Same items at the same levels in the same order; scores and dense parts equal to float32 rounding."""
    assert got.keys() == want.keys()
    for enterprise_id, rows in want.items():
        assert [r[:2] for r in got[enterprise_id]] == [r[:2] for r in rows], enterprise_id
        assert [r[2:] for r in got[enterprise_id]] == [pytest.approx(r[2:], abs=1e-5) for r in rows]


def enterprise_ids(client: TestClient) -> list[str]:
    """The stored enterprises, as the API lists them."""
    response = client.get("/v1/enterprises", params={"limit": N_ENTERPRISES})
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


def current_version(data_dir: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """CURRENT's name, its VERSION.json and its vector manifest."""
    root = data_dir / "indexes"
    name = (root / "CURRENT").read_text(encoding="utf-8").strip()
    version = json.loads((root / name / "VERSION.json").read_text(encoding="utf-8"))
    vectors = json.loads((root / name / "items" / "vectors" / "manifest.json").read_text(encoding="utf-8"))
    return name, version, vectors


def collections(db_file: Path) -> set[str]:
    """The collections a Milvus Lite file holds (read with a client of its own)."""
    from pymilvus import MilvusClient

    client = MilvusClient(str(db_file))
    try:
        return set(client.list_collections())
    finally:
        client.close()


@pytest.fixture(scope="module")
def faiss_answers(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> dict[str, Any]:
    """What the default (FAISS) service answers on the demo corpus."""
    data_dir = tmp_path_factory.mktemp("faiss") / "data"
    seed_data_dir(data_dir, models_dir)
    with serve(settings_from_env(data_dir, None)) as client:
        got = answers(client, enterprise_ids(client))
    # A real comparison: every enterprise has results, and the vectors take part in the scores.
    assert len(got) == N_ENTERPRISES and all(got.values())
    assert sum(row[3] > 0 for rows in got.values() for row in rows) > N_ENTERPRISES
    name, version, vectors = current_version(data_dir)
    assert vectors["backend"] == "faiss" and version["meta"]["vectors"]["backend"] == "faiss"
    assert (data_dir / "indexes" / name / "items" / "vectors" / "index.faiss").is_file()
    return got


@pytest.mark.slow
def test_milvus_service_answers_as_faiss_sees_changes_and_reopens(
    tmp_path: Path, models_dir: Path, faiss_answers: dict[str, Any]
):
    needs_milvus()
    data_dir = tmp_path / "data"
    seed_data_dir(data_dir, models_dir)
    db_file = tmp_path / "milvus" / "vectors.db"
    settings = settings_from_env(data_dir, f"milvus-lite://{db_file}")

    with serve(settings) as client:
        ids = enterprise_ids(client)
        assert_same_answers(answers(client, ids), faiss_answers)
        name, version, manifest = current_version(data_dir)
        assert manifest["backend"] == "milvus" and manifest["uri"] == f"milvus-lite://{db_file}"
        assert version["meta"]["vectors"] == {
            "backend": "milvus",
            "uri": f"milvus-lite://{db_file}",
            "collection": manifest["collection"],
        }
        # The vectors live in Milvus, not in the version folder.
        assert not list((data_dir / "indexes" / name).rglob("*.faiss"))
        assert collections(db_file) == {manifest["collection"]}
        vectors = matcher_of(client).index.retriever.vectors
        n_built = len(vectors)
        assert n_built == manifest["count"] > 0

        # An incremental change goes into the same collection and the next query sees it.
        posted = client.post("/v1/policies", json=NEW_POLICY)
        assert posted.status_code == 201, posted.text
        new_items = [item["id"] for item in posted.json()["items"]]
        assert new_items and len(vectors) > n_built
        after = answers(client, ids[:5])
        for enterprise_id in ids[:5]:
            assert set(new_items) <= {row[0] for row in after[enterprise_id]}, enterprise_id
        served_index = matcher_of(client).index_version
        assert served_index.startswith(name + "+")

    # Restart: the same version and collection are reopened (no rebuild), changes included.
    with serve(settings) as client:
        assert current_version(data_dir)[0] == name
        reopened = matcher_of(client)
        assert reopened.index_version.split("+")[0] == name
        assert reopened.index.retriever.vectors.collection == manifest["collection"]
        assert_same_answers(answers(client, ids[:5]), after)
        assert len(reopened.index.retriever.vectors) == len(vectors)

    assert collections(db_file) == {manifest["collection"]}


@pytest.mark.slow
def test_milvus_rebuilds_switch_collections_and_drop_old_ones_after(tmp_path: Path, models_dir: Path):
    needs_milvus()
    data_dir = tmp_path / "data"
    seed_data_dir(data_dir, models_dir)
    db_file = tmp_path / "vectors.db"
    settings = settings_from_env(data_dir, str(db_file))  # a plain path ending in .db is Milvus Lite

    with serve(settings) as client:
        first = current_version(data_dir)[2]["collection"]
        before = answers(client, enterprise_ids(client)[:3])
        rebuilt = client.post("/v1/index/rebuild")
        assert rebuilt.status_code == 200, rebuilt.text
        second = current_version(data_dir)[2]["collection"]
        # A new version has its own collection; the previous one stays until a later version is pruned.
        assert second != first and collections(db_file) == {first, second}
        assert client.post("/v1/index/rebuild").status_code == 200
        third = current_version(data_dir)[2]["collection"]
        assert collections(db_file) == {second, third}
        assert_same_answers(answers(client, list(before)), before)

    # Configured back to FAISS: the Milvus version is not served, a FAISS version is built and switched to.
    with serve(settings_from_env(data_dir, "faiss")) as client:
        assert_same_answers(answers(client, list(before)), before)
    assert current_version(data_dir)[2]["backend"] == "faiss"
    assert collections(db_file) == {third}  # the pruned Milvus version took its collection along
