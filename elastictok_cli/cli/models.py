"""`elastictok models [NAME]`: the models found, or one model's card."""

from __future__ import annotations

import sys
import textwrap
from typing import Annotated

import typer
from rich.table import Table

from elastictok_cli.cli.output import JsonOption, out_console, print_json

CARD_LINE = 80  # characters of the card's first line in the list


def _registry():
    """The model registry (imports no JAX, so listing models starts fast)."""
    from elastictok_cli.model import registry

    return registry


def command(
    name: Annotated[
        str | None,
        typer.Argument(help="A model name or folder: print its card instead of the list."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List the available models, or print one model's card.

    Models are looked up in $ELASTICTOK_MODELS, the source checkout's models/ folder
    and the installed share/elastictok/models.

    Examples:

      elastictok models

      elastictok models elastictok-64

      elastictok models elastictok-64 --json
    """
    registry = _registry()
    if name is not None:
        _show_card(registry, name, json_output)
        return
    infos = registry.list_models()
    if json_output:
        print_json(
            {
                "default": registry.DEFAULT_MODEL,
                "search_folders": [str(f) for f in registry.search_folders()],
                "models": [_as_dict(i) for i in infos],
            }
        )
        return
    if not infos:
        out_console.print(
            "no models found; looked in: " + ", ".join(str(f) for f in registry.search_folders())
        )
        return
    table = Table("name", "native size", "parameters", "sha256", "card")
    for info in infos:
        default = " (default)" if info.name == registry.DEFAULT_MODEL else ""
        table.add_row(
            info.name + default,
            info.native_size,
            f"{info.parameters:,}" if info.parameters else "?",
            (info.sha256 or "?")[:12],
            _card_line(info.card),
        )
    out_console.print(table)


def _show_card(registry, name: str, json_output: bool) -> None:
    """One model's card: Markdown on a terminal, its text in a pipe, facts and text as JSON."""
    info = registry.describe_model(registry.resolve_model(name))
    if json_output:
        print_json(_as_dict(info, full_card=True))
        return
    card = info.card or f"{info.name}: no model card\n"
    if out_console.is_terminal:
        # Imported here: the Markdown parser would slow every command's start.
        from rich.markdown import Markdown

        out_console.print(Markdown(card))
    else:
        # Unchanged text in a pipe: a pager, grep or a file gets the card as written.
        sys.stdout.write(card if card.endswith("\n") else card + "\n")


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
    facts = {
        "name": info.name,
        "path": str(info.path),
        "tile_width": c.get("tile_width"),
        "tile_height": c.get("tile_height"),
        "frames_per_block": c.get("frames_per_block"),
        "parameters": info.parameters,
        "sha256": info.sha256,
        "card": info.card if full_card else _card_line(info.card),
    }
    if full_card:
        facts["summary"] = _card_line(info.card)
    return facts
