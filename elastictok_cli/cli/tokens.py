"""`elastictok tokens`: export a container's token ids to .npz; needs no model, no JAX."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from elastictok_cli.cli.output import ForceOption, JsonOption, out_console, print_json


def command(
    input: Annotated[str, typer.Argument(help="The .etok file.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="The .npz file (default: INPUT.npz).")
    ] = None,
    force: ForceOption = False,
    json_output: JsonOption = False,
) -> None:
    """Export the integer token ids of an .etok file to .npz.

    Arrays: tokens (blocks, tiles, max_tokens) int32, -1 past each tile's count;
    counts (blocks, tiles); distortion (blocks, tiles) MSE on the [-1, 1] scale;
    skipped (blocks, tiles) bool, the tile repeats its last frame (count 0);
    and the video facts (width, height, fps_num, fps_den, frames, tiles_x, tiles_y,
    codebook_size, model_sha256).

    Example:

      elastictok tokens clip.etok -o clip.npz
    """
    from elastictok_cli import api

    output = output or os.path.splitext(input)[0] + ".npz"
    tokens = api.read(input)
    tokens.save_npz(output, force=force)
    summary = {
        "output": output,
        "blocks": len(tokens),
        "tiles": tokens.header.video.tiles,
        "tokens": int(tokens.counts.sum()),
        "skipped": int(tokens.skipped.sum()),
    }
    if json_output:
        print_json(summary)
    else:
        out_console.print(
            f"wrote {output}: {summary['tokens']:,} token ids in {summary['blocks']} blocks "
            f"of {summary['tiles']} tiles"
        )
