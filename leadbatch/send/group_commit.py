"""Group commit: many coroutines' journal writes, one fsync per batch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from .journal import Journal

T = TypeVar("T")


class JournalWriter:
    """Group commit for coroutines: calls submitted while a batch is being committed (in a
    thread, so the event loop keeps serving answers) go together in the next batch. Each
    call returns only once its batch is durable."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._queue: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._drain: asyncio.Task[None] | None = None

    async def submit(self, op: Callable[[], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((op, future))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.ensure_future(self._commit())
        return await future

    async def close(self) -> None:
        """Wait for the batch in hand: the journal is then safe to use directly again."""
        while self._drain is not None and not self._drain.done():
            await asyncio.shield(self._drain)

    async def _commit(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                results = await asyncio.to_thread(self.journal.batch, [op for op, _ in batch])
            except Exception as exc:  # e.g. disk full: every caller of this batch hears it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
