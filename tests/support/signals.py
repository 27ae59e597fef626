"""Ctrl-C in tests, whatever the SIGINT disposition of the process that started pytest.

A shell starts background jobs with SIGINT ignored, children inherit that, and Python
then installs no KeyboardInterrupt handler: tests that send SIGINT would see nothing.
"""

import contextlib
import signal

# Run first in a child's `-c` code: the SIGINT handling an interactive shell would give it.
# (Not a `preexec_fn`: forking a process that runs JAX's threads risks a deadlock.)
RESTORE_SIGINT = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"

# The CLI as `python -c CLI_WITH_SIGINT ARGS...`, SIGINT restored before anything runs.
CLI_WITH_SIGINT = (
    RESTORE_SIGINT + "import sys; sys.argv[0] = 'elastictok'\n"
    "from elastictok_cli.cli.app import main\nmain()\n"
)


@contextlib.contextmanager
def keyboard_interrupts():
    """Let SIGINT raise KeyboardInterrupt in this process for the duration."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
