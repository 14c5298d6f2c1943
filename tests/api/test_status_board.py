"""The shared page through which the pre-forked events process tells every worker how delivery goes."""

from __future__ import annotations

import json
import os
import time

import pytest

from api import status_board
from api.status_board import STALE_S, StatusBoard


def test_a_child_forked_before_the_first_write_reads_the_writers_latest_copy() -> None:
    board = StatusBoard()
    reader_out, writer_in = os.pipe()
    pid = os.fork()
    if pid == 0:  # the reader, as a worker is: forked before the events process ever wrote
        code = 1
        try:
            os.close(reader_out)
            deadline = time.monotonic() + 10
            status = board.read()
            while (status is None or status["rounds"] < 40) and time.monotonic() < deadline:
                status = board.read()
            os.write(writer_in, json.dumps(status).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(writer_in)
    assert board.read() is None  # nothing published yet
    for rounds in range(1, 41):
        board.publish({"running": True, "rounds": rounds, "errors": 0, "last_error": None})
    seen = json.loads(os.read(reader_out, 65536))
    os.close(reader_out)
    assert os.waitpid(pid, 0)[1] == 0
    assert seen["rounds"] == 40 and seen["running"] is True
    assert seen["pid"] == os.getpid() and 0 <= seen["age_s"] < STALE_S


def test_a_copy_left_unrefreshed_says_not_running(monkeypatch: pytest.MonkeyPatch) -> None:
    board = StatusBoard()
    board.publish({"running": True, "rounds": 3})
    status = board.read()
    assert status is not None and status["running"] is True
    # The events process died: its last copy ages past STALE_S with no newer one.
    later = time.time() + STALE_S + 1
    monkeypatch.setattr(status_board.time, "time", lambda: later)
    aged = board.read()
    assert aged is not None and aged["running"] is False and aged["age_s"] > STALE_S
    assert aged["rounds"] == 3


def test_a_status_too_long_for_its_slot_is_cut_to_what_matters() -> None:
    board = StatusBoard()
    board.publish({"running": True, "last_error": "x" * 10_000})
    status = board.read()
    assert status is not None
    assert status["running"] is True and status["last_error"] == "status too long to publish"
