"""SQLite-specific tests of the store (file settings, migrations of a file, the factory).

The behaviour every backend shares is in test_store_contract.py, run over SQLite and PostgreSQL.
"""

import sqlite3
from pathlib import Path

import pytest

from corpus.store import StoreError, open_store
from corpus.store.fingerprint import item_fingerprint
from corpus.store.migrations import LATEST_VERSION, MIGRATIONS, statements


@pytest.fixture(params=["sqlite"])
def store(request, tmp_path: Path):
    opened = open_store(tmp_path / "store.sqlite3")
    yield opened
    opened.close()


def rows(path: Path, sql: str):
    """Read the file with a separate, plain sqlite3 connection: what is really on disk."""
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_sqlite_file_settings(store):
    assert store.schema_version() == LATEST_VERSION
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_migrations_from_an_empty_file(tmp_path: Path):
    path = tmp_path / "empty.sqlite3"
    path.touch()  # a zero-byte file, as a fresh disk or a failed copy leaves it
    store = open_store(path)
    assert store.schema_version() == LATEST_VERSION
    tables = {r[0] for r in rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "policies",
        "policy_versions",
        "items",
        "conditions",
        "enterprises",
        "enterprise_snapshots",
        "feedback",
        "audit_log",
        "api_keys",
        "stale_edits",
    } <= tables
    store.close()


def test_migration_from_version_1_keeps_data(tmp_path: Path):
    path = tmp_path / "v1.sqlite3"
    with sqlite3.connect(path) as conn:
        for statement in statements(MIGRATIONS[0].sql):
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO feedback (enterprise_id, item_id, kind, created_at) VALUES ('e1', 'p#1', 'useful', 't')"
        )
    store = open_store(f"sqlite:///{path}")
    assert store.schema_version() == LATEST_VERSION
    assert [f.kind for f in store.iter_feedback()] == ["useful"]
    indexes = {r[0] for r in rows(path, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "enterprises_region" in indexes
    store.close()


def test_item_fingerprint_ignores_wrapping_width_and_numbering():
    same = [
        ("对营业收入 100万元\n以上的企业", "对营业收入１００万元以上的企业"),
        ("二、对营业收入100万元以上", "三、对营业收入100万元以上"),  # renumbered by an inserted paragraph
        ("（一）1.对企业给予奖励", "（二）2、对企业给予奖励"),
        ("第三条 对企业给予奖励", "第十二条对企业给予奖励"),
        ("①对企业给予奖励", "(4)对企业给予奖励"),
    ]
    for one, other in same:
        assert item_fingerprint(one) == item_fingerprint(other), (one, other)
    different = [
        ("对营业收入100万元以上", "对营业收入200万元以上"),
        ("1.5倍补助", "2.5倍补助"),  # a number, not an enumerator
        ("三、", "四、"),  # nothing but the enumerator: it is the text
    ]
    for one, other in different:
        assert item_fingerprint(one) != item_fingerprint(other), (one, other)


def test_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this code supports"):
        open_store(path)


def test_factory_names_valid_schemes(tmp_path: Path):
    with pytest.raises(StoreError, match="unknown store scheme 'mysql'.*valid schemes: sqlite, postgresql"):
        open_store("mysql://x")
    store = open_store(str(tmp_path / "sub" / "plain.sqlite3"))  # folders are created
    assert store.schema_version() == LATEST_VERSION
    store.close()


def test_closed_store_refuses(tmp_path: Path):
    store = open_store(tmp_path / "c.sqlite3")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count_items()


_CLOSE_UNDER_A_STATEMENT = """
import sys, threading, time
from corpus.store import StoreError, open_store

store = open_store(sys.argv[1])
failed, done = [], threading.Event()


def poll():
    conn = store._conn()
    try:
        while True:  # statements of ~0.1 s each, as a change feed polls
            conn.execute(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) "
                "SELECT count(*) FROM c"
            )
    except StoreError as exc:
        failed.append(str(exc))
    finally:
        done.set()


threading.Thread(target=poll, daemon=True).start()
time.sleep(0.3)
store.close()
assert done.wait(30), "the polling thread never ended"
print(failed[0])
"""


def test_closing_the_store_under_another_threads_statement_fails_it_cleanly(tmp_path: Path) -> None:
    import subprocess
    import sys

    # Run apart: before the fix this crashed the interpreter (SIGSEGV), which would take the test run with it.
    done = subprocess.run(
        [sys.executable, "-c", _CLOSE_UNDER_A_STATEMENT, str(tmp_path / "closing.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "closed" in done.stdout
