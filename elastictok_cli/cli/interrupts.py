"""Ctrl-C that is never lost, even when the code it lands in swallows the KeyboardInterrupt.

Two kinds of code eat it. A destructor or GC callback (JAX registers one) cannot pass an
exception on, so Python prints it as "Exception ignored" and carries on. And JAX, while
tracing a function for compilation, can drop it without a word. Either way the encode would
run on and commit its file. So the SIGINT handler also remembers the press, the unraisable
hook re-raises a swallowed one a moment later, and every progress update re-raises a press
that is still pending.
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import sys
import threading

REDELIVERY_DELAY_S = 0.01


class RememberingHandler:
    """The default SIGINT behaviour (raise KeyboardInterrupt) that also records the press."""

    def __init__(self) -> None:
        """No press yet."""
        self.pressed = False

    def __call__(self, signum, frame) -> None:
        """Record the press, then interrupt as Python would."""
        self.pressed = True
        raise KeyboardInterrupt


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed, in case the first one was swallowed.

    Only in the main thread, where Python raises it too; other threads carry on.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if getattr(signal.getsignal(signal.SIGINT), "pressed", False):
        raise KeyboardInterrupt


def _redeliver_swallowed_interrupts(unraisable) -> None:
    """Raise a Ctrl-C again when a destructor or GC callback swallowed it."""
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        # Raised from here it would be swallowed again, so deliver it a moment later; if
        # it lands in another such spot, this hook runs again and retries.
        timer = threading.Timer(REDELIVERY_DELAY_S, _thread.interrupt_main)
        timer.daemon = True  # never keeps a finishing process alive
        timer.start()
        return
    sys.__unraisablehook__(unraisable)


@contextlib.contextmanager
def interrupts_never_lost():
    """Remember Ctrl-C presses and re-deliver swallowed ones; restore both hooks on exit."""
    previous_hook = sys.unraisablehook
    previous_handler = signal.getsignal(signal.SIGINT)
    # An ignored SIGINT (a background job) stays ignored, and only the main thread may
    # set a handler; elsewhere Python's own handling stays as it is.
    remember = (
        previous_handler is signal.default_int_handler
        and threading.current_thread() is threading.main_thread()
    )
    sys.unraisablehook = _redeliver_swallowed_interrupts
    if remember:
        signal.signal(signal.SIGINT, RememberingHandler())
    try:
        yield
    finally:
        if remember:
            signal.signal(signal.SIGINT, previous_handler)
        sys.unraisablehook = previous_hook
