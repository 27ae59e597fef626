"""The `elastictok` command: registers every subcommand and maps errors to exit codes."""

from __future__ import annotations

import sys

import typer

from elastictok_cli.cli import boundary, pending

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

for name, summary in pending.PENDING.items():
    app.command(name=name, help=summary)(pending.make_pending(name))


def main() -> None:
    """Entry point of the console script."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    sys.exit(boundary.run(app, debug=debug))
