"""``policymatch backup`` / ``restore``: a restore into an empty data directory serves identical results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.backup import BackupError, backup, restore, verify_backup
from matcher.index_versions import IndexVersions
from models.registry import ModelRegistry

from .conftest import match_snapshot, open_matcher
from .helpers import run_cli


def _enterprise_ids(data_dir: Path) -> list[str]:
    from corpus.store import open_store

    store = open_store(data_dir / "policymatch.sqlite3")
    try:
        return sorted(p.id for p in store.iter_enterprises())[:8]
    finally:
        store.close()


@pytest.mark.slow
def test_backup_then_restore_into_empty_dir_gives_identical_matches(
    served_dir: Path, tmp_path: Path, encoder
):
    ids = _enterprise_ids(served_dir)
    store, matcher = open_matcher(served_dir, encoder, build_index=False)
    before = match_snapshot(matcher, ids)
    index_before = matcher.index_version
    assert sum(len(part) for part in before) > 20, "the snapshot holds real matches and target rows"
    store.close()

    dest = tmp_path / "backup"
    done = run_cli(served_dir, "backup", str(dest))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((dest / "BACKUP.json").read_text(encoding="utf-8"))
    names = {f["path"] for f in manifest["files"]}
    assert "policymatch.sqlite3" in names
    assert any(n.startswith("indexes/") for n in names) and any(n.startswith("models/") for n in names)
    assert not any("-wal" in n or ".building-" in n for n in names)

    restored = tmp_path / "restored"
    restored.mkdir()  # empty folder is allowed
    done = run_cli(restored, "restore", str(dest))
    assert done.returncode == 0, done.stderr
    assert IndexVersions(restored).current().version == index_before  # verified by checksum
    registry = ModelRegistry(restored / "models")
    registry.verify(registry.active().version)

    store, matcher = open_matcher(restored, encoder, build_index=False)
    try:
        assert matcher.index_version == index_before, "the restored index is served, not rebuilt"
        assert match_snapshot(matcher, ids) == before
    finally:
        store.close()


def test_restore_refuses_corrupted_or_truncated_backup_and_nonempty_target(
    served_template: Path, tmp_path: Path
):
    dest = tmp_path / "backup"
    made = backup(served_template, dest)
    assert verify_backup(dest).files == made.files
    index_file = next(f.path for f in made.files if f.path.endswith("index.faiss"))

    with pytest.raises(BackupError, match="must be a new or empty folder"):
        restore(dest, served_template)
    with pytest.raises(BackupError, match="must be a new or empty folder"):
        backup(served_template, served_template)

    data = bytearray((dest / index_file).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (dest / index_file).write_bytes(bytes(data))
    target = tmp_path / "restored"
    with pytest.raises(BackupError, match=r"index\.faiss: checksum mismatch"):
        restore(dest, target)
    assert not target.exists(), "a refused restore writes nothing"

    store_file = dest / "policymatch.sqlite3"
    store_file.write_bytes(store_file.read_bytes()[:-4096])
    with pytest.raises(BackupError, match=r"policymatch\.sqlite3: .*truncated"):
        restore(dest, target)
    done = run_cli(target, "restore", str(dest))
    assert done.returncode == 2 and "truncated" in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.glob(".restoring-*"))


def test_online_backup_while_an_ingest_writes_is_a_consistent_snapshot(tmp_path: Path):
    import sqlite3
    import subprocess

    from .helpers import REPO, cli_command, cli_env

    source = tmp_path / "profiles.jsonl"
    batch, total = 250, 20_000
    with source.open("w", encoding="utf-8") as out:
        for i in range(total):
            out.write(
                json.dumps({"id": f"B{i:06d}", "name": f"备份测试企业{i}", "employees": i % 300}) + "\n"
            )
    data_dir = tmp_path / "data"
    first = run_cli(data_dir, "ingest", "enterprises", str(source), "--batch-size", str(total))
    assert first.returncode == 0, first.stderr
    # Rewrite every profile while backing up: each backup must hold one committed state of each batch.
    with source.open("w", encoding="utf-8") as out:
        for i in range(total):
            out.write(
                json.dumps({"id": f"B{i:06d}", "name": f"备份测试企业{i}", "employees": i % 300 + 1}) + "\n"
            )
    args = ("ingest", "enterprises", str(source), "--batch-size", str(batch), "--quiet")
    proc = subprocess.Popen(cli_command(*args), cwd=REPO, env=cli_env(data_dir), stdout=subprocess.PIPE)
    taken = []
    try:
        while proc.poll() is None and len(taken) < 25:
            dest = tmp_path / f"backup{len(taken)}"
            backup(data_dir, dest)
            taken.append(dest)
    finally:
        proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert taken, "the ingest finished before any backup started"
    seen: list[int] = []
    for n, dest in enumerate(taken):
        restored = tmp_path / f"restored{n}"
        restore(dest, restored)
        with sqlite3.connect(restored / "policymatch.sqlite3") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT count(*) FROM enterprises").fetchone()[0] == total
            updated = conn.execute(
                "SELECT count(*) FROM enterprises WHERE json_extract(profile, '$.employees') = "
                "(CAST(substr(id, 2) AS INTEGER) % 300) + 1"
            ).fetchone()[0]
        assert updated % batch == 0, f"backup {n} caught a batch half-written ({updated} rows updated)"
        seen.append(updated)
    assert any(0 < n < total for n in seen), f"no backup was taken mid-ingest: {seen}"
