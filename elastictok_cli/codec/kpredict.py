"""The fast preset: each tile's k predicted from cheap features, then verified by one probe.

Two linear models of log(k / max_k), fitted by benchmarks/k_predictor.py from searches
recorded on the model's training clips and shipped beside the model as k_predictor.json
(so predictions are deterministic):
- a block's first tiles know only their pixels (variance, detail) and the target;
- later tiles also know how many tokens their previous block needed and how much they
  changed since. "Needed" is estimated from that block's verified probe (`needed`), not
  its kept k: a kept k is the prediction plus its margin, and feeding it back made every
  over-prediction the next block's starting point, so easy content kept 2-6x the tokens
  an exhaustive search finds (benchmarks/RESULTS.md).
Within an encode, `ClipBias` scales the predictions by how far this clip's needs ran from
them so far. `verify` then probes the predicted k of every tile in one pass; in the next,
tiles that missed move up (extrapolating their curve) and tiles that passed with much
room to spare try one smaller k. The fast preset adds no rescue sweep.
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from elastictok_cli.codec.ledger import Ledger, Probe, SearchSpace, rescue

PREDICTOR_FILE = "k_predictor.json"
FIRST = ("bias", "log_variance", "log_detail", "log_target")
LATER = ("bias", "log_prev_need", "log_variance", "log_detail", "log_change", "log_target")
UP_PASSES = 2  # passes moving up the tiles whose predicted k missed
UP_MARGIN = 1.15  # a miss moves past its extrapolated crossing by this factor
EPS = 1e-6
DOWN_SAVING = 0.3  # a pass tries one smaller k when the 1/k rule says it saves this share
DOWN_POWER = 0.7  # ...aiming at k * (d / threshold)^DOWN_POWER (see `_down`)
BIAS_BLOCKS = 16  # blocks of evidence `ClipBias` keeps (every measured clip had at most 6)


def pixel_features(patches, previous) -> dict[str, np.ndarray]:
    """Per tile, the log pixel statistics of a block: patches (S, T, P) on [-1, 1]."""
    x = np.asarray(patches, np.float64)
    flat = x.reshape(len(x), -1)
    # Detail: variance inside each patch (texture); variance: across the whole tile.
    stats = {"log_variance": flat.var(axis=1), "log_detail": x.var(axis=2).mean(axis=1)}
    before = flat if previous is None else np.asarray(previous, np.float64).reshape(len(x), -1)
    stats["log_change"] = ((flat - before) ** 2).mean(axis=1)  # none without a block before
    return {name: np.log(values + EPS) for name, values in stats.items()}


def features(patches, previous, prev_need, threshold: float, space: SearchSpace) -> np.ndarray:
    """(S, len(FIRST)) features of a first block, or (S, len(LATER)) given `prev_need`."""
    columns = pixel_features(patches, previous)
    columns["bias"] = np.ones(len(patches))
    columns["log_target"] = np.full(len(patches), math.log(max(threshold, EPS)))
    if prev_need is None:
        return np.stack([columns[name] for name in FIRST], axis=1)
    need = np.maximum(np.asarray(prev_need, np.float64), 1)
    columns["log_prev_need"] = np.log(need / space.max_k)
    return np.stack([columns[name] for name in LATER], axis=1)


def needed(kept, distortion, space: SearchSpace) -> np.ndarray:
    """Per tile, the k its block needed, estimated from the kept k's distortion.

    Distortion falls about as 1/k, so a tile that passed with room to spare needed
    about kept * d / threshold; one that missed at every k it tried needs the largest.
    """
    kept = np.asarray(kept, np.float64)
    ratio = np.asarray(distortion, np.float64) / max(space.threshold, 1e-12)
    estimate = np.where(ratio <= 1, kept * ratio, space.max_k)
    return np.clip(estimate, space.min_k, space.max_k)


@dataclass(frozen=True)
class LinearK:
    """Coefficients of log(k / max_k) over a feature list, and the margin added."""

    weights: tuple[float, ...]
    margin: float  # in log k: predictions are raised so this share of first probes pass

    def predict(self, feats: np.ndarray, space: SearchSpace) -> np.ndarray:
        """(S,) predicted k within the space's range."""
        log_k = feats @ np.asarray(self.weights) + self.margin
        return np.array([space.clip(k) for k in space.max_k * np.exp(log_k)], np.int64)


@dataclass(frozen=True)
class KPredictor:
    """The first-block and later-block models."""

    first: LinearK
    later: LinearK

    def start(self, patches, previous, prev_need, threshold: float, space: SearchSpace):
        """(S,) the k to probe first for a block's tiles; `prev_need` None for the first.

        A tile whose previous block missed the target at every k starts at the largest:
        content the model cannot reach stays out of reach, and one probe settles it.
        """
        feats = features(patches, previous, prev_need, threshold, space)
        if prev_need is None:
            return self.first.predict(feats, space)
        k = self.later.predict(feats, space)
        return np.where(np.asarray(prev_need) >= space.max_k, space.max_k, k)

    def to_json(self) -> str:
        """The file shipped beside the model."""
        data = {
            name: {"features": list(names), "weights": list(m.weights), "margin": m.margin}
            for name, names, m in (("first", FIRST, self.first), ("later", LATER, self.later))
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def load(cls, folder: Path | None) -> KPredictor:
        """The model folder's predictor, or one that trusts the previous need alone."""
        path = None if folder is None else Path(folder) / PREDICTOR_FILE
        if path is None or not path.is_file():
            quarter = math.log(0.25)  # a first block starts at max_k / 4
            return cls(LinearK((quarter, 0, 0, 0), 0.0), LinearK((0, 1, 0, 0, 0, 0), 0.0))
        data = json.loads(path.read_text())
        models = []
        for name, names in (("first", FIRST), ("later", LATER)):
            part = data.get(name)
            if not isinstance(part, dict) or tuple(part.get("features", ())) != names:
                raise ValueError(f"{path}: '{name}' does not have the features {list(names)}")
            models.append(LinearK(tuple(float(w) for w in part["weights"]), float(part["margin"])))
        return cls(*models)


class ClipBias:
    """How far this clip's needed k runs from the predictor's, learned block by block.

    The predictor is fitted on a few training clips; on another clip its later blocks ran
    30-90% above the k they needed at the median (640x480 Megamind), and every such tile
    keeps the excess, since a passing probe is never moved down. So each block's starts
    are scaled by the median ratio, over the clip's last BIAS_BLOCKS blocks, of each
    tile's estimated need to the k the predictor gave it (tiles that passed there, where a
    need is known). The window bounds the work per block on a long video and follows
    content that changes.
    """

    def __init__(self):
        """No evidence yet: starts are the predictor's own."""
        self._log_ratios: deque[np.ndarray] = deque(maxlen=BIAS_BLOCKS)

    def shift(self, start: np.ndarray, space: SearchSpace) -> np.ndarray:
        """The predicted starts scaled by the clip's median ratio so far."""
        if not self._log_ratios:
            return np.asarray(start)
        scale = math.exp(float(np.median(np.concatenate(self._log_ratios))))
        return np.array([space.clip(k * scale) for k in start], np.int64)

    def update(self, start: np.ndarray, need: np.ndarray, passed: np.ndarray) -> None:
        """Add a block's evidence: the unshifted starts, the estimated needs, which passed."""
        passed = np.asarray(passed, bool)
        if passed.any():
            ratio = np.asarray(need, np.float64)[passed] / np.asarray(start, np.float64)[passed]
            self._log_ratios.append(np.log(ratio))


def verify(probe: Probe, tiles: int, space: SearchSpace, hint=None) -> np.ndarray:
    """Probe each tile's predicted k (`hint`); move up tiles that missed, try wide passes lower."""
    ledger = Ledger(probe, tiles, space)
    if hint is None:
        hint = np.full(tiles, math.sqrt(space.min_k * space.max_k))
    ledger.ask([[space.clip(h)] for h in hint])
    tau = max(space.threshold, 1e-12)
    for up in range(UP_PASSES):
        last = up == UP_PASSES - 1
        requests = []
        for t in range(tiles):
            seen = ledger.seen[t]
            top = max(seen)
            best = ledger.passing(t)
            if best is not None:
                requests.append(_down(best, seen[best], tau, space) if up == 0 else [])
                continue
            if top >= space.max_k:
                requests.append([])
                continue
            # Distortion falls about as 1/k: aim a little past where that meets the target.
            guess = space.clip(max(top + 1, top * seen[top] / tau * UP_MARGIN))
            requests.append(sorted({guess, space.max_k} if last else {guess}))
        if not any(requests):
            break
        ledger.ask(requests)
    return rescue(ledger)  # the fast preset turns it off; --search verify alone keeps it


def _down(k: int, d: float, tau: float, space: SearchSpace) -> list[int]:
    """One probe below a pass that had much room to spare, or none."""
    # Curves fall slower than 1/k near the threshold: k * (d / tau)^DOWN_POWER aims above
    # the 1/k crossing, so the probe passes more often than not.
    lower = space.clip(k * (d / tau) ** DOWN_POWER)
    return [lower] if lower < k * (1 - DOWN_SAVING) else []
