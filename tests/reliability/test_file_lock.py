"""``durable.exclusive_lock``: the one lock the model build, the model registry and the benchmarks file share."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from durable import exclusive_lock

REPO = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from durable import exclusive_lock

    lock, ready, release, done = map(Path, sys.argv[1:])
    with exclusive_lock(lock):
        ready.touch()
        deadline = time.monotonic() + 30
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        done.touch()  # still inside the lock: whoever waited must find this written
    """
)


def test_a_second_holder_is_told_it_waits_and_gets_the_lock_only_after_the_first(tmp_path: Path) -> None:
    lock, ready, release, done = (tmp_path / n for n in ("x.lock", "ready", "release", "done"))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), str(ready), str(release), str(done)], env=env
    )
    try:
        for _ in range(3000):
            if ready.exists() or holder.poll() is not None:
                break
            time.sleep(0.01)
        assert ready.exists(), "the holder never took the lock"
        waited: list[str] = []

        def on_wait() -> None:
            waited.append("waiting")
            release.touch()  # let the holder finish only once we are known to be waiting

        with exclusive_lock(lock, on_wait):
            assert waited == ["waiting"]
            assert done.exists()  # the holder's block ran to its end before ours began
        assert holder.wait(timeout=30) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_a_free_lock_is_taken_without_waiting_and_the_file_is_made(tmp_path: Path) -> None:
    waited: list[int] = []
    lock = tmp_path / "free.lock"
    with exclusive_lock(lock, lambda: waited.append(1)):
        assert lock.exists()
    with exclusive_lock(lock, lambda: waited.append(1)):  # released at the end of the first block
        pass
    assert waited == []
