"""POLICYMATCH_STORE_URL puts the whole CLI on a PostgreSQL store instead of the SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from corpus.store import open_store


def test_cli_ingest_goes_to_the_database_named_by_store_url(pg_database: str, tmp_path: Path) -> None:
    profiles = tmp_path / "enterprises.jsonl"
    profiles.write_text(
        json.dumps(
            {
                "id": "url-1",
                "name": "台州测试机械有限公司",
                "region_code": "331002",
                "industry_code": "C3670",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    env = {**os.environ, "POLICYMATCH_DATA_DIR": str(tmp_path / "var"), "POLICYMATCH_STORE_URL": pg_database}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "ingest", "enterprises", str(profiles)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    store = open_store(pg_database)
    try:
        assert store.get_enterprise("url-1") is not None
    finally:
        store.close()
    assert not (tmp_path / "var" / "policymatch.sqlite3").exists()
