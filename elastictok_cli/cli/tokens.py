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
    and the video facts (width, height, fps_num, fps_den, frames, tiles_x, tiles_y,
    codebook_size, model_sha256).

    Example:

      elastictok tokens clip.etok -o clip.npz
    """
    import numpy as np

    from elastictok_cli.atomic import check_target, commit_file, discard, temp_file_beside
    from elastictok_cli.container import ContainerReader

    output = output or os.path.splitext(input)[0] + ".npz"
    with ContainerReader(input) as reader:
        check_target(output, force)
        header, video = reader.header, reader.header.video
        tiles = video.tiles
        tokens = np.full((reader.num_blocks, tiles, header.max_tokens), -1, np.int32)
        counts = np.zeros((reader.num_blocks, tiles), np.int32)
        distortion = np.zeros((reader.num_blocks, tiles), np.float32)
        for record in reader:
            counts[record.index] = record.token_counts
            distortion[record.index] = record.distortion
            for tile, ids in enumerate(record.tokens):
                tokens[record.index, tile, : len(ids)] = ids
    keys = ("width", "height", "fps_num", "fps_den", "frames", "tiles_x", "tiles_y")
    facts = {key: getattr(video, key) for key in keys}
    temp = temp_file_beside(output)
    try:
        with open(temp, "wb") as handle:
            np.savez_compressed(
                handle,
                tokens=tokens,
                counts=counts,
                distortion=distortion,
                codebook_size=np.int64(header.model.codebook_size),
                model_sha256=np.array(header.model.sha256),
                **{key: np.int64(value) for key, value in facts.items()},
            )
        commit_file(temp, output)
    except BaseException:
        discard(temp)
        raise
    summary = {
        "output": output,
        "blocks": int(counts.shape[0]),
        "tiles": tiles,
        "tokens": int(counts.sum()),
    }
    if json_output:
        print_json(summary)
    else:
        out_console.print(
            f"wrote {output}: {summary['tokens']:,} token ids in {summary['blocks']} blocks "
            f"of {tiles} tiles"
        )
