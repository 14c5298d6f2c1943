"""Disk full while writing (a small tmpfs made by the test): the write fails cleanly, nothing committed is lost."""

from __future__ import annotations

import errno
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.backup import BackupError, backup
from corpus.store import open_store
from matcher.index_versions import IndexVersions

from .conftest import match_snapshot, open_matcher
from .helpers import run_cli


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for this test (skips where mounting is not permitted)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path, leave_bytes: int) -> Path:
    """Fill ``disk`` with one file until only about ``leave_bytes`` stay free; returns that file."""
    filler = disk / "filler.bin"
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as out:
        try:
            out.write(b"\0" * max(free - leave_bytes, 0))
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def _write_profiles(path: Path, start: int, n: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(start, start + n):
            record = {"id": f"F{i:06d}", "name": f"填满磁盘测试企业{i}", "business_scope": "软件开发" * 40}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def test_ingest_on_a_full_disk_fails_cleanly_and_keeps_committed_rows(small_disk: Path, tmp_path: Path):
    data_dir = small_disk / "data"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    _write_profiles(first, 0, 200)
    _write_profiles(second, 200, 20_000)
    done = run_cli(data_dir, "ingest", "enterprises", str(first), "--batch-size", "100", "--quiet")
    assert done.returncode == 0, done.stderr
    fill(small_disk, 64 * 1024)

    done = run_cli(data_dir, "ingest", "enterprises", str(second), "--batch-size", "500", "--quiet")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode != 0, "a full disk is reported as a failure"
    assert "full" in (done.stdout + done.stderr)

    store = open_store(data_dir / "policymatch.sqlite3")
    try:
        ids = sorted(p.id for p in store.iter_enterprises())
    finally:
        store.close()
    assert ids[:200] == [f"F{i:06d}" for i in range(200)], "every committed row survives"
    assert (len(ids) - 200) % 500 == 0, "only whole batches of the failing ingest were kept"
    with sqlite3.connect(data_dir / "policymatch.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_index_build_and_backup_on_a_full_disk_leave_the_last_version(
    small_disk: Path, served_template: Path, tmp_path: Path, encoder
):
    data_dir = small_disk / "data"
    shutil.copytree(served_template, data_dir)
    store, matcher = open_matcher(data_dir, encoder, build_index=False)
    try:
        ids = sorted(p.id for p in store.iter_enterprises())[:3]
        expected, version = match_snapshot(matcher, ids), matcher.index_version
        filler = fill(small_disk, 16 * 1024)
        with pytest.raises(OSError) as raised:
            matcher.rebuild_index()
        assert raised.value.errno == errno.ENOSPC
        versions = IndexVersions(data_dir)
        assert versions.current().version == version and versions.versions() == [version]
        assert not list(versions.root.glob(".building-*")), "the failed build removed its folder"
        assert matcher.index_version == version and match_snapshot(matcher, ids) == expected

        with pytest.raises((OSError, BackupError), match="(No space|disk is full)"):
            backup(data_dir, small_disk / "backup")
        assert not (small_disk / "backup").exists() and not list(small_disk.glob(".backup-*"))

        filler.unlink()  # space again: the next build succeeds
        assert matcher.rebuild_index() != version
        assert match_snapshot(matcher, ids) == expected
    finally:
        store.close()
