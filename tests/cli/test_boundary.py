"""The error boundary: a Ctrl-C is never lost, whatever code it lands in."""

import signal
import time

import typer
from support.signals import keyboard_interrupts

from elastictok_cli.cli import boundary
from elastictok_cli.cli.output import progress_bar


class SwallowsInterrupt:
    """Stands in for a destructor or GC callback that Ctrl-C happens to interrupt."""

    def __del__(self):
        raise KeyboardInterrupt


def test_ctrl_c_swallowed_by_a_destructor_still_interrupts(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["elastictok"])
    finished = []
    app = typer.Typer()

    @app.command()
    def work() -> None:
        SwallowsInterrupt()  # dropped at once: Python can only report its exception
        for _ in range(2000):
            time.sleep(0.001)
        finished.append(True)

    with keyboard_interrupts():
        assert boundary.run(app) == boundary.EXIT_INTERRUPTED
    assert finished == []
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.strip() == "elastictok: error: interrupted"


def test_other_unraisable_exceptions_keep_the_default_report(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["elastictok"])

    class Broken:
        def __del__(self):
            raise ValueError("from a destructor")

    app = typer.Typer()

    @app.command()
    def work() -> None:
        Broken()

    assert boundary.run(app) == boundary.EXIT_OK
    assert "from a destructor" in capsys.readouterr().err


def test_ctrl_c_dropped_without_a_word_resurfaces_at_the_next_progress_update(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["elastictok"])
    committed = []
    app = typer.Typer()

    @app.command()
    def work() -> None:
        with progress_bar(quiet=True) as progress:
            task = progress.add_task("work", total=2, rate="")
            try:  # stands in for library code (JAX tracing) that drops the interrupt
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass
            progress.update(task, advance=1)
            committed.append(True)

    with keyboard_interrupts():
        assert boundary.run(app) == boundary.EXIT_INTERRUPTED
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert committed == []
    assert capsys.readouterr().err.strip() == "elastictok: error: interrupted"


def test_an_ignored_ctrl_c_stays_ignored(monkeypatch):
    monkeypatch.setattr("sys.argv", ["elastictok"])
    finished = []
    app = typer.Typer()

    @app.command()
    def work() -> None:
        with progress_bar(quiet=True) as progress:
            task = progress.add_task("work", total=1, rate="")
            signal.raise_signal(signal.SIGINT)
            progress.update(task, advance=1)
        finished.append(True)

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert boundary.run(app) == boundary.EXIT_OK
    finally:
        signal.signal(signal.SIGINT, previous)
    assert finished == [True]
