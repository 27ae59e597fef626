"""Model configuration: one frozen dataclass and the named presets."""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Everything that fixes an ElasticTok model's shape and its decoding behaviour."""

    name: str
    frames_per_block: int = 4
    tile_height: int = 64
    tile_width: int = 64
    patch: tuple[int, int, int] = (1, 8, 8)  # (Tp, Hp, Wp) pixels per token
    width: int = 192
    encoder_layers: int = 4
    decoder_layers: int = 4
    decoder_width: int | None = None  # None: same as the encoder
    heads: int = 4
    decoder_heads: int | None = None  # None: same as the encoder
    mlp_ratio: float = 8 / 3  # SwiGLU hidden size = mlp_ratio * width, the LLaMA convention
    bottleneck: str = "fsq"  # "fsq" (discrete tokens) or "vae" (continuous)
    fsq_levels: tuple[int, ...] = (8, 8, 8, 5, 5, 5)
    vae_dims: int = 8
    min_tokens: int = 16
    context_blocks: int = 2  # attention window in blocks, the current one included
    patch_embed: str = "linear"
    head: str = "linear"
    rope_base: float = 10_000.0

    def __post_init__(self):
        tp, hp, wp = self.patch
        if self.frames_per_block % tp or self.tile_height % hp or self.tile_width % wp:
            raise ValueError(f"{self.name}: patch {self.patch} does not divide the block")
        if not 0 < self.min_tokens <= self.max_tokens:
            raise ValueError(f"{self.name}: min_tokens must lie in [1, {self.max_tokens}]")
        if self.width % self.heads or self.dec_width % self.dec_heads:
            raise ValueError(f"{self.name}: widths must be divisible by heads")
        if self.bottleneck not in ("fsq", "vae"):
            raise ValueError(f"{self.name}: unknown bottleneck {self.bottleneck!r}")
        if self.context_blocks < 1:
            raise ValueError(f"{self.name}: context_blocks must be at least 1")

    @property
    def grid(self) -> tuple[int, int, int]:
        """Token grid (t, h, w) of one block."""
        tp, hp, wp = self.patch
        return (self.frames_per_block // tp, self.tile_height // hp, self.tile_width // wp)

    @property
    def max_tokens(self) -> int:
        """Token slots per block: one per patch position."""
        return math.prod(self.grid)

    @property
    def patch_dim(self) -> int:
        """Pixel values in one patch."""
        return math.prod(self.patch) * 3

    @property
    def dec_width(self) -> int:
        """Width of the decoder transformer."""
        return self.decoder_width or self.width

    @property
    def dec_heads(self) -> int:
        """Attention heads of the decoder transformer."""
        return self.decoder_heads or self.heads

    @property
    def latent_dim(self) -> int:
        """Dimensions of one latent token after the bottleneck."""
        return len(self.fsq_levels) if self.bottleneck == "fsq" else self.vae_dims

    @property
    def codebook_size(self) -> int:
        """Number of distinct FSQ tokens."""
        return math.prod(self.fsq_levels)

    @property
    def bits_per_token(self) -> int:
        """Bits needed to store one FSQ token id."""
        return max(1, math.ceil(math.log2(self.codebook_size)))

    def decoding_facts(self) -> dict:
        """The config values a decoder depends on, as plain JSON/msgpack types."""
        facts = dataclasses.asdict(self)
        for key in ("patch", "fsq_levels"):
            facts[key] = list(facts[key])
        return facts

    @classmethod
    def from_dict(cls, facts: dict) -> ModelConfig:
        """Rebuild a config from `decoding_facts`, ignoring keys this version does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in facts.items() if k in known}
        for key in ("patch", "fsq_levels"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


PRESETS: dict[str, ModelConfig] = {
    # About 50k parameters: the test suite's model, fast to build and run.
    "test": ModelConfig(
        name="test",
        tile_height=16,
        tile_width=16,
        patch=(2, 8, 8),
        width=32,
        encoder_layers=1,
        decoder_layers=1,
        heads=2,
        fsq_levels=(4, 3, 3),
        min_tokens=1,
    ),
    # CPU presets: 64x64 tiles, 4 frames per block, a few million parameters.
    "cpu-small": ModelConfig(name="cpu-small", width=128, encoder_layers=4, decoder_layers=4),
    "cpu-base": ModelConfig(name="cpu-base", width=192, encoder_layers=4, decoder_layers=4),
    "cpu-wide-decoder": ModelConfig(
        name="cpu-wide-decoder",
        width=128,
        decoder_width=256,
        encoder_layers=3,
        decoder_layers=4,
    ),
    # The paper's FSQ configuration at 256x256, for accelerators.
    "paper-256": ModelConfig(
        name="paper-256",
        tile_height=256,
        tile_width=256,
        width=1024,
        encoder_layers=12,
        decoder_layers=12,
        heads=16,
        min_tokens=256,
        context_blocks=4,
    ),
}


def get_preset(name: str) -> ModelConfig:
    """Look up a named preset."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
