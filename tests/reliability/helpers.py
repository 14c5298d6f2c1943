"""Shared helpers of the reliability tests: run the real ``policymatch`` CLI as a subprocess; write a doc section."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cli_command(*args: str) -> list[str]:
    """The argv that runs ``policymatch ARGS`` with this interpreter (no reliance on PATH)."""
    return [sys.executable, "-m", "api.cli", *args]


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a CLI subprocess whose data lives in ``data_dir``."""
    env = dict(os.environ)
    env["POLICYMATCH_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def run_cli(data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``policymatch ARGS`` to completion against ``data_dir``; returns the finished process."""
    return subprocess.run(
        cli_command(*args),
        cwd=REPO,
        env=cli_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start ``policymatch ARGS`` against ``data_dir`` in the background, its output piped."""
    return subprocess.Popen(
        cli_command(*args),
        cwd=REPO,
        env=cli_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def committed_rows(db: Path, table: str) -> int:
    """Rows of ``table`` a writing process has committed to the SQLite file ``db``, read without blocking it."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created or mid-migration: nothing committed yet


def wait_for_count(
    proc: subprocess.Popen[bytes], count: Callable[[], int], target: int, timeout: float = 30
) -> None:
    """Poll until ``count()`` reaches ``target``, the process ends, or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and count() < target and time.monotonic() < deadline:
        time.sleep(0.005)


def kill_midway(
    proc: subprocess.Popen[bytes],
    count: Callable[[], int],
    n_total: int,
    rng: random.Random,
    round_: int,
    *,
    by_time: bool = True,
) -> None:
    """SIGKILL ``proc`` mid-run: even rounds after a random number of committed rows, odd ones at a random time.

    ``by_time=False`` makes every round wait for a random number of rows: for a run shorter than the random
    times (a ledger ingest is over in half a second), a kill at a time would land after its end.
    """
    if round_ % 2 == 0 or not by_time:
        wait_for_count(proc, count, rng.randrange(1, n_total))
        time.sleep(rng.uniform(0, 0.05))
    else:
        time.sleep(rng.uniform(0.8, 2.5))
    sigkill(proc)


def sigkill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process (no chance to clean up) and reap it."""
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def replace_doc_section(doc: Path, heading: str, start: str, end: str, markdown: str) -> None:
    """Put ``markdown`` between the ``start`` and ``end`` markers of ``doc`` (a new ``## heading`` when it has none)."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Reliability\n"
    if start not in text:
        text += f"\n## {heading}\n\n{start}\n{end}\n"
    text = re.sub(
        re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{markdown}\n{end}", text, flags=re.S
    )
    doc.write_text(text, encoding="utf-8")
