"""Commands whose implementation has not landed yet: they say so and exit non-zero."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

PENDING: dict[str, str] = {
    "encode": "Encode a video or image into an .etok file.",
    "decode": "Decode an .etok file back to video or images.",
    "inspect": "Show an .etok file's header, blocks and token use (no model needed).",
    "tokens": "Export the integer token ids of an .etok file to .npz.",
    "bench": "Rate-distortion benchmark against fixed tokens and classic codecs.",
    "models": "List the available models with their native size and card.",
}


def make_pending(name: str) -> Callable[..., None]:
    """Build a command that reports it is not available yet."""

    def command(
        args: Annotated[list[str] | None, typer.Argument(help="Ignored until it lands.")] = None,
    ) -> None:
        typer.echo(f"elastictok: error: '{name}' is not implemented yet", err=True)
        raise typer.Exit(1)

    command.__doc__ = PENDING[name]
    return command
