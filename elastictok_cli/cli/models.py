"""`elastictok models`: the models found, their native size, parameters and card."""

from __future__ import annotations

import textwrap
from typing import Annotated

import typer
from rich.table import Table

from elastictok_cli.cli.output import JsonOption, out_console, print_json

CARD_LINE = 80  # characters of the card's first line in the list


def command(
    name: Annotated[
        str | None, typer.Argument(help="Show this model's full card instead of the list.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List the available models with their native size and card.

    Models are looked up in $ELASTICTOK_MODELS, the source checkout's models/ folder
    and the installed share/elastictok/models.

    Examples:

      elastictok models

      elastictok models elastictok-64
    """
    from elastictok_cli.codec import model_registry

    if name is not None:
        info = model_registry.describe_model(model_registry.resolve_model(name))
        if json_output:
            print_json(_as_dict(info, full_card=True))
        else:
            out_console.print(info.card or f"{info.name}: no model card")
        return
    infos = model_registry.list_models()
    if json_output:
        print_json(
            {
                "default": model_registry.DEFAULT_MODEL,
                "search_folders": [str(f) for f in model_registry.search_folders()],
                "models": [_as_dict(i) for i in infos],
            }
        )
        return
    if not infos:
        out_console.print(
            "no models found; looked in: "
            + ", ".join(str(f) for f in model_registry.search_folders())
        )
        return
    table = Table("name", "native size", "parameters", "sha256", "card")
    for info in infos:
        default = " (default)" if info.name == model_registry.DEFAULT_MODEL else ""
        table.add_row(
            info.name + default,
            info.native_size,
            f"{info.parameters:,}" if info.parameters else "?",
            (info.sha256 or "?")[:12],
            _card_line(info.card),
        )
    out_console.print(table)


def _card_line(card: str) -> str:
    """The first line of a card that is not a heading, shortened at a word boundary."""
    for line in card.splitlines():
        if line.strip() and not line.startswith("#"):
            # Whole words only: a cut mid-word reads as a different word.
            return textwrap.shorten(line, CARD_LINE, placeholder=" ...")
    return ""


def _as_dict(info, full_card: bool = False) -> dict:
    """A model's facts as plain data."""
    c = info.config
    return {
        "name": info.name,
        "path": str(info.path),
        "tile_width": c.get("tile_width"),
        "tile_height": c.get("tile_height"),
        "frames_per_block": c.get("frames_per_block"),
        "parameters": info.parameters,
        "sha256": info.sha256,
        "card": info.card if full_card else _card_line(info.card),
    }
