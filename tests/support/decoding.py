"""Decode an .etok tile by tile and compare each tile-block's error with what it records."""

import numpy as np

from elastictok_cli.codec import skip
from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import block_patches, grid_for, real_weights
from elastictok_cli.container import ContainerReader
from elastictok_cli.media import iter_blocks, open_media


def assert_decoding_matches_recorded_distortion(etok, clip, loaded, width, height):
    """Every tile-block's MSE against the source equals the distortion the file records."""
    config = loaded.config
    grid = grid_for(config, width, height)
    engine = TileEngine(loaded.model, grid.tile_count)
    with open_media(str(clip)) as source, ContainerReader(str(etok)) as reader:
        blocks = iter_blocks(source.frames(), config.frames_per_block)
        previous = None
        for record, (block, real) in zip(reader, blocks, strict=True):
            skipped = np.asarray(record.skipped, bool)
            recon = engine.decode_block(record.tokens, np.asarray(record.token_counts), ~skipped)
            held = skip.held_block(previous, config, grid.tile_count)
            recon = skip.with_held(recon, held, skipped)
            previous = recon
            # A skipped tile shows its held frame in 8 bits, as the decoder writes it.
            shown = np.where(skipped[:, None, None], skip.shown(recon), recon)
            weight = real_weights(grid, config, real)
            target = block_patches(block, grid, config)
            mse = (weight * (shown - target) ** 2).sum(axis=(1, 2)) / weight.sum(axis=(1, 2))
            np.testing.assert_allclose(mse, record.distortion, rtol=1e-4, atol=1e-6)
