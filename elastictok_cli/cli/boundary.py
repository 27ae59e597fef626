"""The error boundary: one line on stderr and a documented exit code, never a traceback."""

from __future__ import annotations

import sys
import traceback

import typer

from elastictok_cli.cli.interrupts import interrupts_never_lost
from elastictok_cli.errors import ElastictokError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_INCOMPATIBLE = 4
EXIT_IO = 5
EXIT_INTERRUPTED = 130


def fail(message: str) -> None:
    """Print the one-line error users see."""
    first_line = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    print(f"elastictok: error: {first_line}", file=sys.stderr)


def run(app: typer.Typer, debug: bool = False) -> int:
    """Run the Typer app and turn every failure into an exit code."""
    with interrupts_never_lost():
        return _run(app, debug)


def _run(app: typer.Typer, debug: bool) -> int:
    """Run the app; the exception-to-exit-code mapping of `run`."""
    try:
        # Outside standalone mode Typer returns the code of a `typer.Exit` instead of raising.
        result = app(standalone_mode=False)
        if result == EXIT_INTERRUPTED:
            # Typer turns Ctrl-C into this code silently; users still get the one line.
            fail("interrupted")
        return result if isinstance(result, int) else EXIT_OK
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        fail("interrupted")
        return EXIT_INTERRUPTED
    except typer.TyperException as err:
        # Typer's own usage errors; asking for help with no arguments is not one.
        if type(err).__name__ == "NoArgsIsHelpError":
            return EXIT_OK
        fail(err.format_message())
        return EXIT_USAGE
    except KeyboardInterrupt:
        fail("interrupted")
        return EXIT_INTERRUPTED
    except ElastictokError as err:
        if debug:
            traceback.print_exc()
        fail(str(err))
        return err.exit_code
    except MemoryError:
        fail("out of memory")
        return EXIT_BAD_INPUT
    except OSError as err:
        if debug:
            traceback.print_exc()
        fail(f"{err.strerror or err}: {err.filename}" if err.filename else str(err))
        return EXIT_IO
