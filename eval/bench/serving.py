"""A served process for benchmarks and tests: a free port, ``policymatch serve`` started, waited for, stopped."""

from __future__ import annotations

import http.client
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


def served_model(models_dir: Path, missing: str) -> Path:
    """Return the active model's folder in the registry ``models_dir`` (``models_dir`` when nothing is active).

    ``SystemExit(missing)`` when that folder holds no ONNX export (the model was never bootstrapped).
    """
    from models.registry import ModelRegistry

    name = ModelRegistry(models_dir).active_version()
    folder = models_dir / name if name else models_dir
    if not (folder / "onnx").is_dir():
        raise SystemExit(missing)
    return folder


def serve_on(
    data_dir: Path, port: int, model: Path, log: Path, *, append: bool = False
) -> subprocess.Popen[bytes]:
    """Start ``policymatch serve --no-demo`` on loopback ``port`` over ``data_dir`` and ``model``, output to ``log``.

    ``append``: add to ``log`` (a server restarted after a kill writes on after the first one).
    """
    env = dict(os.environ)
    env.update(POLICYMATCH_DATA_DIR=str(data_dir), POLICYMATCH_MODEL=str(model), PYTHONPATH=str(REPO))
    with open(log, "ab" if append else "wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-demo",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def ready(port: int) -> bool:
    """Tell whether the server on loopback ``port`` answers ``/readyz`` with 200 (model and index loaded)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/readyz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def wait_ready(
    server: subprocess.Popen[bytes], port: int, log: Path, timeout_s: float, interval_s: float = 0.5
) -> None:
    """Wait until ``server`` is :func:`ready`; ``SystemExit`` naming ``log`` when it exits or ``timeout_s`` passes (then killed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}; see {log}")
        if ready(port):
            return
        time.sleep(interval_s)
    server.kill()
    raise SystemExit(f"the server was not ready in {timeout_s:.0f} s; see {log}")
