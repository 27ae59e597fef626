"""The `elastictok` command: registers every subcommand and maps errors to exit codes.

Each command lives in `elastictok_cli/cli/<name>.py` and exposes `command`, a Typer function.
Command modules import the heavy libraries (JAX) inside the function, so `--help` and
`inspect` start fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from elastictok_cli import xla_defaults
from elastictok_cli.cli import boundary, compile_cache

COMMANDS = (
    "encode",
    "decode",
    "inspect",
    "tokens",
    "bench",
    "train",
    "export",
    "models",
    "repair",
)

app = typer.Typer(
    name="elastictok",
    help=(
        "A video and image codec built on ElasticTok: few tokens for simple or predictable "
        "content, many for complex content.\n\n"
        "Example: elastictok encode video.mp4 --mse 0.003 -o video.etok"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register(name: str) -> None:
    """Add the command defined by `elastictok_cli/cli/<name>.py`."""
    module = importlib.import_module(f"elastictok_cli.cli.{name}")
    app.command(name=name, help=module.command.__doc__)(module.command)


for _name in COMMANDS:
    _register(_name)


def main() -> None:
    """Entry point of the console script."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    # Both are read when JAX starts, so they are set before any command imports it.
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    xla_defaults.apply_for(command)
    compile_cache.enable()
    sys.exit(boundary.run(app, debug=debug))
