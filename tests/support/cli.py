"""The elastictok command in a subprocess, as a user starts it."""

import subprocess
import sys


def run_cli(*args, stdin=None, env=None, text=False, timeout=None):
    """Run `python -m elastictok_cli ARGS`; return the completed process.

    Output is bytes unless `text`; `timeout` (seconds) fails a hung command instead of the run.
    """
    return subprocess.run(
        [sys.executable, "-m", "elastictok_cli", *map(str, args)],
        capture_output=True,
        input=stdin,
        env=env,
        text=text,
        timeout=timeout,
    )
