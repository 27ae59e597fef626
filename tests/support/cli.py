"""The elastictok command in a subprocess, as a user starts it."""

import subprocess
import sys

TIMEOUT = 300  # seconds: a hung command fails its test instead of stalling the run


def cli_command(*args) -> list[str]:
    """The argv that runs `elastictok ARGS` with this interpreter."""
    return [sys.executable, "-m", "elastictok_cli", *map(str, args)]


def run_cli(*args, stdin=None, env=None, text=False, timeout=TIMEOUT):
    """Run `elastictok ARGS`; return the completed process (bytes output unless `text`)."""
    return subprocess.run(
        cli_command(*args), capture_output=True, input=stdin, env=env, text=text, timeout=timeout
    )


def run_text(*args, **options):
    """`run_cli` with text output."""
    return run_cli(*args, text=True, **options)
