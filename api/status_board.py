"""A small page of memory the pre-forked processes share: the events process writes its status, workers read it.

With ``serve --workers N`` the webhook dispatcher runs in a process of its own, so a worker has no
dispatcher to ask, and its ``/readyz`` used to say ``events: null`` even while webhooks were being
delivered. The parent maps one anonymous shared page before it forks anyone; every child inherits
the same page. The events process publishes ``Dispatcher.status()`` there every half second; a
worker reads the latest copy, with the writer's pid and how old the copy is.

Two slots alternate so that a reader never sees a half-written copy: a slot is written whole, then
the header names it. Each slot carries a CRC-32 of its bytes; a reader that meets a slot being
rewritten under it (the writer came round twice while it read) sees the checksum fail and reads again.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import time
import zlib
from typing import Any

PAGE = 8192
_HEADER = struct.Struct("<Q")  # the number of copies written so far; the latest is in slot (n - 1) % 2
_SLOT_HEAD = struct.Struct("<II")  # length, CRC-32
_SLOT = (PAGE - _HEADER.size) // 2
#: A copy older than this says the events process is not running (it publishes every 0.5 s).
STALE_S = 5.0


class StatusBoard:
    """One writer, many readers, across ``fork``: JSON objects of at most a few kilobytes."""

    def __init__(self) -> None:
        self._page = mmap.mmap(-1, PAGE)  # anonymous and shared: children forked later see every write

    def publish(self, status: dict[str, Any]) -> None:
        """Write ``status`` (with this process's pid and the time) as the latest copy."""
        body = json.dumps(
            {**status, "pid": os.getpid(), "published": time.time()}, ensure_ascii=False
        ).encode()
        if _SLOT_HEAD.size + len(body) > _SLOT:
            body = json.dumps({"running": status.get("running"), "pid": os.getpid(), "published": time.time(),
                               "last_error": "status too long to publish"}).encode()  # fmt: skip
        (written,) = _HEADER.unpack_from(self._page, 0)
        slot = written % 2
        offset = _HEADER.size + slot * _SLOT
        _SLOT_HEAD.pack_into(self._page, offset, len(body), zlib.crc32(body))
        self._page[offset + _SLOT_HEAD.size : offset + _SLOT_HEAD.size + len(body)] = body
        _HEADER.pack_into(self._page, 0, written + 1)

    def read(self) -> dict[str, Any] | None:
        """Return the latest copy, with ``age_s`` and ``running`` false when it is stale; None before the first."""
        for _ in range(5):
            (written,) = _HEADER.unpack_from(self._page, 0)
            if written == 0:
                return None
            offset = _HEADER.size + ((written - 1) % 2) * _SLOT
            length, crc = _SLOT_HEAD.unpack_from(self._page, offset)
            start = offset + _SLOT_HEAD.size
            body = bytes(self._page[start : start + min(length, _SLOT - _SLOT_HEAD.size)])
            if zlib.crc32(body) == crc and _HEADER.unpack_from(self._page, 0)[0] - written < 2:
                status = json.loads(body)
                status["age_s"] = round(max(0.0, time.time() - status.pop("published")), 3)
                if status["age_s"] > STALE_S:
                    status["running"] = False
                return status
        return None

    def close(self) -> None:
        """Unmap the page (this process only)."""
        self._page.close()
