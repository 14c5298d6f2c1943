"""Group commit for audit rows: many requests' rows in one transaction, each caller told once its row is committed.

Every request that is audited is answered only once its row is committed (nothing acknowledged is
lost); one writer thread commits whatever rows are queued in one transaction. A caller waits in one
of three ways: :meth:`AuditWriter.append` blocks its thread, :meth:`AuditWriter.commit` awaits in the
event loop, and :meth:`AuditWriter.submit` returns at once and calls back when the row is committed
(the 智能匹配 route's matching thread, which must not wait for it).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any

import anyio.to_thread

# Most audit rows one group-commit transaction writes.
AUDIT_BATCH = 512


class _Pending:
    __slots__ = ("done", "error", "event", "notify")

    def __init__(self, event: Any, notify: Callable[[BaseException | None], None] | None = None) -> None:
        self.event = event
        self.error: BaseException | None = None
        # Called by the writer thread once the row is committed (or failed): wakes an awaiting coroutine,
        # or, without one, sets ``done`` for a blocked thread (an Event costs a lock and a condition: made only then).
        self.notify = notify
        self.done = threading.Event() if notify is None else None


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    """Resolve an awaited row's future in its event loop (it may have been cancelled meanwhile)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(None)


class AuditWriter:
    """Group commit for audit rows: callers block until their row is committed; one thread commits many at once.

    Nothing acknowledged is lost: :meth:`append` returns only after the
    transaction holding the row has committed (a failed batch is retried row by
    row, and a row that still fails raises in its caller, as a direct write
    would). After :meth:`close`, rows are written directly.
    """

    def __init__(self, store: Any, max_batch: int = AUDIT_BATCH) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self.batches = 0
        self.rows = 0
        self._thread = threading.Thread(target=self._run, name="policymatch-audit", daemon=True)
        self._thread.start()

    def append(self, event: Any) -> None:
        """Write ``event``; returns once it is committed (raises what the store raised)."""
        pending = _Pending(event)
        if not self._enqueue(pending):
            self.store.append_audit(event)
            return
        assert pending.done is not None
        pending.done.wait()
        if pending.error is not None:
            raise pending.error

    async def commit(self, event: Any) -> None:
        """Write ``event``; returns once it is committed, awaiting in the event loop instead of a blocked thread.

        The same group commit as :meth:`append` (and the same errors); after :meth:`close` the row
        is written directly, in a worker thread.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def notify(error: BaseException | None) -> None:
            loop.call_soon_threadsafe(_settle, future, error)

        if not self._enqueue(_Pending(event, notify)):
            await anyio.to_thread.run_sync(self.store.append_audit, event)
            return
        await future

    def submit(self, event: Any, notify: Callable[[BaseException | None], None]) -> None:
        """Queue ``event`` and return at once; ``notify(error)`` is called once it is committed (``None``) or failed.

        ``notify`` is called from the writer thread (it must not block); after :meth:`close` the row is
        written directly, in the calling thread, before ``notify`` is called. The same group commit as
        :meth:`append` and :meth:`commit`, for a thread that hands its row on without waiting for it.
        """
        if self._enqueue(_Pending(event, notify)):
            return
        try:
            self.store.append_audit(event)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's notify, as the writer thread does
            notify(exc)
            return
        notify(None)

    def _enqueue(self, pending: _Pending) -> bool:
        """Queue ``pending`` for the writer thread; False once closed (the caller writes it directly)."""
        with self._lock:
            if self._closed:
                return False
            self._queue.put(pending)
            return True

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._write(batch)
                    return
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[_Pending]) -> None:
        try:
            with self.store.transaction():
                for pending in batch:
                    self.store.append_audit(pending.event)
            self.batches += 1
            self.rows += len(batch)
        except BaseException:  # noqa: BLE001 - retried row by row; each caller gets its own error
            for pending in batch:
                try:
                    self.store.append_audit(pending.event)
                    self.rows += 1
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                    pending.error = exc
        finally:
            for pending in batch:
                if pending.notify is None:
                    assert pending.done is not None
                    pending.done.set()
                    continue
                try:
                    pending.notify(pending.error)
                except RuntimeError:  # the awaiting event loop is closed: no one is left to tell
                    pass

    def close(self) -> None:
        """Commit what is queued, stop the thread; later rows are written directly."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()
