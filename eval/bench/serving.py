"""A served process for benchmarks and tests: a free port, ``policymatch serve`` started, waited for, stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """CPU seconds (user + system) a process (or one of its threads, by thread id) has used so far."""
    stat = f"/proc/{pid}/task/{thread}/stat" if thread is not None else f"/proc/{pid}/stat"
    fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def data_dir_or_scratch(
    data_dir: Path | None, prefix: str
) -> tuple[Path, tempfile.TemporaryDirectory[str] | None]:
    """Return ``data_dir``, or ``data/`` in a new temporary folder (returned too, to clean up) when it is None."""
    if data_dir is not None:
        return data_dir, None
    scratch = tempfile.TemporaryDirectory(prefix=prefix)
    return Path(scratch.name) / "data", scratch


def free_port() -> int:
    """Return a loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(
    server: subprocess.Popen[Any], base: str, timeout_s: float, interval_s: float = 1.0
) -> None:
    """Wait until ``base``/healthz answers below 500; raise ``RuntimeError`` if ``server`` exits or ``timeout_s`` passes."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while True:
        if server.poll() is not None:
            tail = server.stderr.read() if server.stderr is not None else ""
            text = tail.decode(errors="replace") if isinstance(tail, bytes) else str(tail)
            raise RuntimeError(f"the server exited: {text[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer within {timeout_s:g} s")
        time.sleep(interval_s)


def stop(server: subprocess.Popen[Any], timeout_s: float = 30) -> None:
    """Ask ``server`` to stop (SIGTERM), and kill it after ``timeout_s``."""
    server.terminate()
    try:
        server.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        server.kill()


def start_serve(env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``policymatch serve --no-demo`` from the repository with ``env``, its output going to ``log``."""
    with open(log, "w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--no-demo"],
            cwd=REPO,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
