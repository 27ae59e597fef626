"""How an encode chooses k: the quality target, the search and its options (no JAX)."""

from __future__ import annotations

from dataclasses import dataclass

from elastictok_cli.codec import presets, search
from elastictok_cli.codec.search import RESCUE_WITHIN
from elastictok_cli.errors import UsageError
from elastictok_cli.media.geometry import FIT_MODES
from elastictok_cli.metrics import mse_for_psnr

CODINGS = ("auto", "context", "bitpack")

DEFAULT_MSE = 0.003  # the paper's default threshold on the [-1, 1] scale
MAX_OPTIMIZE = 1000  # optimization gains level off within tens of steps; more is a typo


@dataclass(frozen=True)
class EncodeSettings:
    """How to choose k: an MSE threshold with a search strategy, or a fixed k."""

    threshold: float = DEFAULT_MSE
    metric: str = "mse"  # what the user asked for: "mse", "psnr" or "tokens"
    target: float = DEFAULT_MSE  # the user's number, in the metric's own unit
    tokens: int | None = None
    search: str | None = None  # None: the preset's
    fit: str | None = None  # None: tile; "resize" or "crop" to the native size
    rescue: bool | None = None  # guarantee: no tile misses a target that some k meets...
    rescue_within: float = RESCUE_WITHIN  # ...when its best distortion is that close
    optimize: int | None = None  # gradient steps on each tile's tokens at its k (codec/optimize)
    preset: str = presets.DEFAULT_PRESET  # fills search, rescue and optimize left None
    skip: bool = True  # under a target: repeat a tile's last frame when that meets it
    coding: str = "auto"  # token ids: "context"-coded, "bitpack"ed (v1), or context if possible
    lam: float | None = None  # rate modes (codec/rated.py): k by D + lam * bpp, lam fixed...
    size: float | None = None  # ...or steered to a file of this many bytes...
    bitrate: float | None = None  # ...or to this many bits per second
    passes: int = 1  # 2: read the whole input first, then steer with its known costs

    @property
    def rate_mode(self) -> str | None:
        """The rate mode (lambda, size or bitrate) when k is chosen by rate and distortion."""
        for mode, value in (("lambda", self.lam), ("size", self.size), ("bitrate", self.bitrate)):
            if value is not None:
                return mode
        return None

    @property
    def rescue_points(self) -> int | None:
        """How many k the rescue may sweep per tile (None: every k): the preset's cap."""
        return presets.BUNDLES[self.preset].rescue_points

    @property
    def skips(self) -> bool:
        """Whether tiles may be skipped: only under a quality target (fixed k keeps shapes)."""
        return self.skip and self.tokens is None

    def __post_init__(self):
        """Fill what the preset decides, then refuse settings that cannot work."""
        if self.preset not in presets.PRESETS:
            raise UsageError(f"--preset must be one of {', '.join(presets.PRESETS)}")
        bundle = presets.BUNDLES[self.preset]
        for name in ("search", "rescue", "optimize"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, getattr(bundle, name))
        if self.search not in search.SEARCHES:
            raise UsageError(f"unknown search {self.search!r}; use {', '.join(search.SEARCHES)}")
        if self.tokens is None and not self.threshold > 0:
            raise UsageError("the quality target must be positive")
        if not 0 <= self.optimize <= MAX_OPTIMIZE:
            raise UsageError(f"--optimize must lie in 0..{MAX_OPTIMIZE}")
        if self.fit is not None and self.fit not in FIT_MODES:
            raise UsageError(f"--fit must be one of {', '.join(FIT_MODES)}")
        if self.coding not in CODINGS:
            raise UsageError(f"--coding must be one of {', '.join(CODINGS)}")
        if not self.rescue_within >= 1.0:
            raise UsageError("--rescue-within must be at least 1")
        if self.passes not in (1, 2) or (self.passes == 2 and self.rate_mode in (None, "lambda")):
            raise UsageError("--pass is 1 or 2, and 2 only with --size or --bitrate")

    @classmethod
    def for_target(
        cls,
        mse: float | None = None,
        psnr: float | None = None,
        tokens: int | None = None,
        **options,
    ) -> EncodeSettings:
        """Settings from at most one quality target (MSE 0.003 when none is given)."""
        rates = {k: options.get(k) for k in ("lam", "size", "bitrate")}
        named = (("mse", mse), ("psnr", psnr), ("tokens", tokens))
        named += tuple(("lambda" if k == "lam" else k, v) for k, v in rates.items())
        given = [f"--{name}" for name, value in named if value is not None]
        if len(given) > 1:
            raise UsageError(f"give only one of {', '.join(given)}")
        for key, value in rates.items():
            if value is not None:
                from elastictok_cli.codec.rate import parse_amount

                options[key] = parse_amount(value, "--lambda" if key == "lam" else f"--{key}")
                mode = "lambda" if key == "lam" else key
                return cls(options[key], mode, options[key], **options)
        if tokens is not None:
            return cls(metric="tokens", target=tokens, tokens=tokens, **options)
        if psnr is not None:
            return cls(mse_for_psnr(psnr), "psnr", psnr, **options)
        value = DEFAULT_MSE if mse is None else mse
        if not value > 0:
            raise UsageError("--mse must be positive")
        return cls(value, "mse", value, **options)
