"""Encode presets: named bundles of search strategy, rescue and token optimization (no JAX).

- fast: each tile's k predicted in one pass from cheap features (`codec.kpredict`),
  verified by one probe, moved up where it fails and probed once lower where it passed
  with much room to spare; the predictions are scaled to what this clip's tiles needed so
  far; no rescue sweep.
- medium (default): the warm-started gallop search (crossings bracketed within 3%) with a
  rescue capped at RESCUE_POINTS log-spaced k per near-miss tile (none below a k it missed
  by more than the rescue's factor).
- slow: the paper's ~100 log-spaced candidates, an uncapped rescue, and 10 optimization
  steps on each tile's tokens.

An explicit --search, --rescue or --optimize overrides its preset's value.
"""

from __future__ import annotations

from dataclasses import dataclass

PRESETS = ("fast", "medium", "slow")
DEFAULT_PRESET = "medium"
RESCUE_POINTS = 12  # medium's rescue: at most this many more probes per near-miss tile


@dataclass(frozen=True)
class Preset:
    """What a preset sets when the user does not."""

    search: str
    rescue: bool
    rescue_points: int | None  # None: every k
    optimize: int


BUNDLES = {
    "fast": Preset("verify", rescue=False, rescue_points=0, optimize=0),
    "medium": Preset("gallop", rescue=True, rescue_points=RESCUE_POINTS, optimize=0),
    "slow": Preset("linear", rescue=True, rescue_points=None, optimize=10),
}
