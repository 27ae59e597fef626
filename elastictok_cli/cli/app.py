"""The `elastictok` command: registers every subcommand and maps errors to exit codes.

Each command lives in `elastictok_cli/cli/<name>.py` and exposes `command`, a Typer function.
Command modules import the heavy libraries (JAX) inside the function, so `--help` and
`inspect` start fast. A command whose module does not exist yet is registered as pending.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import typer

from elastictok_cli.cli import boundary, compile_cache, pending

COMMANDS = ("encode", "decode", "inspect", "tokens", "bench", "train", "export", "models")

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
    """Add the command's own module if it exists, else its pending placeholder."""
    module_name = f"elastictok_cli.cli.{name}"
    if importlib.util.find_spec(module_name) is None:
        app.command(name=name, help=pending.PENDING[name])(pending.make_pending(name))
        return
    module = importlib.import_module(module_name)
    app.command(name=name, help=module.command.__doc__)(module.command)


for _name in COMMANDS:
    _register(_name)


def main() -> None:
    """Entry point of the console script."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    compile_cache.enable()
    sys.exit(boundary.run(app, debug=debug))
