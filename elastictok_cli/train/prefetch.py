"""A background thread that prepares the next batches while the device runs the step."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import numpy as np

_DONE = object()


class Prefetcher:
    """Produce `make(step)` for step = start, start+1, ... ahead of use, in order.

    Cropping and resizing are numpy work that releases the GIL, so a thread overlaps them
    with the jitted step. `wait_seconds` is the time the consumer spent blocked on data:
    if it stays near zero, the loader is not the bottleneck.
    """

    def __init__(self, make: Callable[[int], np.ndarray], start: int, stop: int, depth: int = 3):
        """Start producing batches for steps [start, stop)."""
        self._make = make
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stopped = threading.Event()
        self.wait_seconds = 0.0
        self.produce_seconds = 0.0
        self.produced = 0
        self._thread = threading.Thread(
            target=self._run, args=(start, stop), name="batch-prefetch", daemon=True
        )
        self._thread.start()

    def _run(self, start: int, stop: int) -> None:
        """Fill the queue; pass any exception to the consumer instead of dying silently."""
        try:
            for step in range(start, stop):
                began = time.perf_counter()
                batch = self._make(step)
                self.produce_seconds += time.perf_counter() - began
                self.produced += 1
                while not self._stopped.is_set():
                    try:
                        self._queue.put((step, batch), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stopped.is_set():
                    return
        except BaseException as err:  # noqa: BLE001 - re-raised in the consumer's thread
            self._queue.put(err)
            return
        self._queue.put(_DONE)

    def get(self) -> tuple[int, np.ndarray]:
        """The next (step, batch); blocks while the thread is behind."""
        began = time.perf_counter()
        item = self._queue.get()
        self.wait_seconds += time.perf_counter() - began
        if item is _DONE:
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop the thread and wait for it."""
        self._stopped.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=5)

    def __enter__(self) -> Prefetcher:
        """Use as a context manager that stops the thread."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the thread."""
        self.close()
