"""The elastictok command in a subprocess, as a user starts it."""

import subprocess
import sys


def run_cli(*args, stdin=None, env=None):
    """Run `python -m elastictok_cli ARGS`; return the completed process (bytes output)."""
    return subprocess.run(
        [sys.executable, "-m", "elastictok_cli", *map(str, args)],
        capture_output=True,
        input=stdin,
        env=env,
    )
