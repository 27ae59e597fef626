"""Reading the next blocks in a background thread while the model decodes this one.

Unpacking a record (zstd, and range-decoding context-coded ids) is CPU work the model's
pass does not depend on; XLA runs with the GIL released, so a thread that reads ahead
hides most of it. Order, errors and Ctrl-C reach the consumer as if read inline.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def read_ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """The items of `items` in order, produced up to `depth` ahead by a daemon thread."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put((item,), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as err:  # noqa: BLE001 - re-raised in the consumer's thread
            buffer.put(err)
            return
        buffer.put(_DONE)

    thread = threading.Thread(target=produce, name="block-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            got = buffer.get()
            if got is _DONE:
                return
            if isinstance(got, BaseException):
                raise got
            yield got[0]
    finally:
        # The consumer stopped early or failed: let the thread finish its item and leave.
        stop.set()
        while thread.is_alive():
            try:
                buffer.get(timeout=0.1)
            except queue.Empty:
                pass
