"""Running totals of an encode or decode, and the numbers the summary reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from elastictok_cli.metrics import psnr


@dataclass
class EncodeStats:
    """Totals over the blocks encoded so far; constant size however long the video."""

    width: int
    height: int
    tiles: int
    max_tokens_per_tile: int
    frames: int = 0
    blocks: int = 0
    tokens: int = 0
    passes: int = 0
    tile_blocks_missing_target: int = 0
    tile_blocks_skipped: int = 0
    squared_error: float = 0.0  # sum over real pixels of the MSE-weighted pixel counts
    pixels: float = 0.0
    bytes: int = 0
    seconds: float = 0.0
    compile_seconds: float = 0.0  # of `seconds`, JAX tracing and compiling pass shapes
    extra: dict = field(default_factory=dict)

    def add_block(
        self, frames: int, tokens: int, passes: int, errors, pixel_counts, missed: int, skipped=0
    ):
        """Fold one block's results into the totals."""
        self.tile_blocks_skipped += skipped
        self.frames += frames
        self.blocks += 1
        self.tokens += tokens
        self.passes += passes
        self.tile_blocks_missing_target += missed
        self.squared_error += float(sum(e * n for e, n in zip(errors, pixel_counts, strict=True)))
        self.pixels += float(sum(pixel_counts))

    @property
    def max_tokens(self) -> int:
        """Tokens the blocks would use at the model's full length."""
        return self.blocks * self.tiles * self.max_tokens_per_tile

    @property
    def mse(self) -> float:
        """Mean squared error over every real pixel value, [-1, 1] scale."""
        return self.squared_error / self.pixels if self.pixels else 0.0

    @property
    def bpp(self) -> float:
        """File bits per pixel of the original frames."""
        pixels = self.frames * self.width * self.height
        return 8 * self.bytes / pixels if pixels else 0.0

    def as_dict(self) -> dict:
        """Plain numbers for `--json` and the summary table."""
        return {
            "frames": self.frames,
            "blocks": self.blocks,
            "tiles": self.tiles,
            "tokens": self.tokens,
            "max_tokens": self.max_tokens,
            "token_fraction": self.tokens / self.max_tokens if self.max_tokens else 0.0,
            "bytes": self.bytes,
            "bpp": self.bpp,
            "mse": self.mse,
            "psnr": psnr(self.mse),
            "passes_per_block": self.passes / self.blocks if self.blocks else 0.0,
            "tile_blocks_missing_target": self.tile_blocks_missing_target,
            "tile_blocks_skipped": self.tile_blocks_skipped,
            "seconds": self.seconds,
            "compile_seconds": self.compile_seconds,
            "frames_per_second": self.frames / self.seconds if self.seconds else 0.0,
            **self.extra,
        }
