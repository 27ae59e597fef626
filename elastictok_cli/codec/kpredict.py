"""The fast preset: each tile's k predicted from cheap features, then verified by one probe.

A linear model over log features (the tile's k in its previous block, its pixel variance
and detail, how much it changed since the previous block, the target) predicts log k. It
is fitted by benchmarks/k_predictor.py from the searches recorded on the model's training
clips and shipped beside the model as k_predictor.json, so predictions are deterministic.
`verify` then probes the predicted k of every tile in one pass and moves up only the
tiles that miss, extrapolating their curve; the fast preset adds no rescue sweep.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from elastictok_cli.codec.ledger import Ledger, Probe, SearchSpace, rescue

PREDICTOR_FILE = "k_predictor.json"
FEATURES = (
    "bias",
    "log_prev_k",
    "first_block",
    "log_variance",
    "log_detail",
    "log_change",
    "log_target",
)
UP_PASSES = 2  # passes moving up the tiles whose predicted k missed
UP_MARGIN = 1.15  # a miss moves past its extrapolated crossing by this factor
EPS = 1e-6


def features(patches, previous, prev_k, threshold: float, space: SearchSpace) -> np.ndarray:
    """(S, len(FEATURES)) features of a block's tiles: patches (S, T, P) on [-1, 1]."""
    tiles = patches.shape[0]
    x = np.asarray(patches, np.float64).reshape(tiles, -1)
    # Detail: variance inside each patch (texture); variance: across the whole tile.
    detail = np.asarray(patches, np.float64).var(axis=2).mean(axis=1)
    first = prev_k is None
    if previous is None:
        change = np.zeros(tiles)
    else:
        change = ((x - np.asarray(previous, np.float64).reshape(tiles, -1)) ** 2).mean(axis=1)
    prev = np.full(tiles, math.sqrt(space.min_k * space.max_k)) if first else prev_k
    columns = [
        np.ones(tiles),
        np.log(np.maximum(np.asarray(prev, np.float64), 1) / space.max_k),
        np.full(tiles, float(first)),
        np.log(x.var(axis=1) + EPS),
        np.log(detail + EPS),
        np.log(change + EPS),
        np.full(tiles, math.log(max(threshold, EPS))),
    ]
    return np.stack(columns, axis=1)


@dataclass(frozen=True)
class KPredictor:
    """Coefficients of log(k / max_k) over FEATURES, and the margin added to predictions."""

    weights: tuple[float, ...]
    margin: float  # in log k: predictions are raised so most first probes pass

    def predict(self, feats: np.ndarray, space: SearchSpace) -> np.ndarray:
        """(S,) predicted k within the space's range."""
        log_k = feats @ np.asarray(self.weights) + self.margin
        return np.array([space.clip(k) for k in space.max_k * np.exp(log_k)], np.int64)

    def to_json(self) -> str:
        """The file shipped beside the model."""
        data = {"features": list(FEATURES), "weights": list(self.weights), "margin": self.margin}
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def load(cls, folder: Path | None) -> KPredictor:
        """The model folder's predictor, or one that trusts the previous k alone."""
        path = None if folder is None else Path(folder) / PREDICTOR_FILE
        if path is None or not path.is_file():
            return cls(tuple([0.0, 1.0] + [0.0] * (len(FEATURES) - 2)), 0.0)
        data = json.loads(path.read_text())
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: features {data['features']} are not {list(FEATURES)}")
        return cls(tuple(float(w) for w in data["weights"]), float(data["margin"]))


def verify(probe: Probe, tiles: int, space: SearchSpace, hint=None) -> np.ndarray:
    """Probe each tile's predicted k (`hint`), then move up only the tiles that missed."""
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
            if ledger.passing(t) is not None or top >= space.max_k:
                requests.append([])
                continue
            # Distortion falls about as 1/k: aim a little past where that meets the target.
            guess = space.clip(max(top + 1, top * seen[top] / tau * UP_MARGIN))
            requests.append(sorted({guess, space.max_k} if last else {guess}))
        if not any(requests):
            break
        ledger.ask(requests)
    return rescue(ledger)  # the fast preset turns it off; --search verify alone keeps it
