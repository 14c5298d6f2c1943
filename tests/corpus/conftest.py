"""A throwaway PostgreSQL cluster for the store contract tests, started once per session.

Debian's ``postgresql`` package (``make system-deps`` installs it) puts ``initdb`` and
``pg_ctl`` under ``/usr/lib/postgresql/<major>/bin``. The fixture initialises a cluster
in a fresh temporary folder, starts it on a free loopback port (trust authentication,
nothing listens beyond 127.0.0.1) and stops it and removes the folder at the end.
PostgreSQL refuses to run as root, so under root the cluster belongs to the
``postgres`` system user and every command runs through ``runuser``. Tests that need
it are skipped, with the reason, only when the binaries cannot be found.

``target`` and ``store`` run a test on each backend: a SQLite file, then a fresh PostgreSQL database.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eval.bench.serving import free_port

PG_USER = "postgres"


@dataclass(frozen=True)
class PgCluster:
    """A running cluster: where it lives and how to reach it as its superuser."""

    folder: Path
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        """Connection URL of one database of the cluster."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"


def pg_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` holding initdb, else the folder of ``initdb`` on PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]), reverse=True
    )
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _run(command: list[str], as_user: str | None) -> subprocess.CompletedProcess[str]:
    if as_user is not None:
        command = ["runuser", "-u", as_user, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """Start a PostgreSQL cluster for the session (skip when Debian's postgresql is not installed)."""
    bin_dir = pg_bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip("PostgreSQL binaries not found (install Debian's postgresql: make system-deps)")
    as_user = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root and runuser is missing: cannot start PostgreSQL as another user")
        try:
            import pwd

            owner = pwd.getpwnam(PG_USER)
        except KeyError:
            pytest.skip(f"running as root and there is no {PG_USER!r} user to own the PostgreSQL cluster")
        as_user = PG_USER
    folder = Path(tempfile.mkdtemp(prefix="policymatch-pg-"))
    if as_user is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data = folder / "data"
    user = as_user or "policymatch"
    init = _run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--locale=C"],
        as_user,
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"initdb failed: {init.stderr.strip()[-500:]}")
    port = free_port()
    options = (
        f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    start = _run(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        ],
        as_user,
    )
    if start.returncode != 0:
        log = (
            (folder / "server.log").read_text(errors="replace")[-800:]
            if (folder / "server.log").exists()
            else ""
        )
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed: {start.stderr.strip()[-300:]} {log}")
    try:
        yield PgCluster(folder, port, user)
    finally:
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], as_user)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_database(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh, empty database on the session's cluster (dropped afterwards); yields its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield pg_cluster.url(name)
    for _ in range(50):  # the store under test may still be closing its connections
        with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
            try:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(0.1)


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the store under test lives: a SQLite file, or a fresh PostgreSQL database of the session's cluster."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite3")
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
def store(target: str) -> Iterator[Any]:
    """An open, empty store of each backend."""
    from corpus.store import open_store

    opened = open_store(target)
    yield opened
    opened.close()


@pytest.fixture
def backend(target: str) -> Any:
    """The backend of ``target`` with a plain connection of its own (:class:`store_records.Backend`)."""
    from store_records import Backend

    return Backend("postgresql" if target.startswith("postgresql") else "sqlite", target)


@pytest.fixture(scope="session")
def corpus() -> Any:
    """The default demo corpus (200 documents, 10,000 enterprises), generated once."""
    from corpus.demo import DEFAULT_SEED, generate

    return generate(DEFAULT_SEED, 200, 10_000)


@pytest.fixture(scope="session")
def profiles(corpus: Any) -> list[Any]:
    """Every enterprise profile of the default demo corpus."""
    return list(corpus.iter_enterprises())
