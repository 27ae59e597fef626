"""The error boundary: a Ctrl-C is never lost, whatever code it lands in."""

import time

import typer
from support.signals import keyboard_interrupts

from elastictok_cli.cli import boundary


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
