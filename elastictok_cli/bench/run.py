"""A whole benchmark: for every clip, every curve's points, then the derived numbers."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from elastictok_cli.bench import classic, curves, elastic
from elastictok_cli.bench.frames import Clip, load_clip
from elastictok_cli.bench.points import ELASTIC, FIXED, Point
from elastictok_cli.codec.search import DEFAULT_STRATEGY, SEARCHES
from elastictok_cli.errors import UsageError
from elastictok_cli.media import open_media

ANCHOR = "x264"  # BD-rates are against this curve


@dataclass(frozen=True)
class BenchPlan:
    """What to measure; None lists mean the defaults (which depend on the model)."""

    mse: tuple[float, ...] = elastic.DEFAULT_MSE
    tokens: tuple[int, ...] | None = None
    codecs: tuple[str, ...] = classic.DEFAULT_CODECS
    crfs: tuple[int, ...] | None = None  # None: each codec's own sweep
    frames: int = 32
    size: tuple[int, int] | None = None
    search: str = DEFAULT_STRATEGY
    rescue: bool = True  # the encoder's rescue sweep for tiles that miss at every k tried
    keep_files: str | None = None  # folder to keep the encoded files in
    lam: tuple[float, ...] = ()  # the rdo curve: k by MSE + lambda x bpp (codec/rdo.py)
    v1: bool = False  # the thresholds again as format 1 files (curve elastic-v1)

    def __post_init__(self):
        """Refuse impossible lists before any work starts."""
        unknown = [c for c in self.codecs if c not in classic.CODECS]
        if unknown:
            raise UsageError(f"unknown codec {unknown[0]!r}; use {', '.join(classic.CODECS)}")
        if not self.mse or any(not m > 0 for m in self.mse):
            raise UsageError("--mse needs positive thresholds")
        if self.search not in SEARCHES:
            raise UsageError(f"unknown search {self.search!r}; use {', '.join(SEARCHES)}")
        if self.frames < 0:
            raise UsageError("--frames must be 0 (all) or positive")

    def token_list(self, config) -> list[int]:
        """The fixed k to measure, checked against the model's range."""
        if self.tokens is None:
            return elastic.default_tokens(config.min_tokens, config.max_tokens)
        bad = [k for k in self.tokens if not config.min_tokens <= k <= config.max_tokens]
        if bad:
            raise UsageError(f"--tokens must lie in {config.min_tokens}..{config.max_tokens}")
        return sorted(set(self.tokens))

    def crf_list(self, codec: classic.ClassicCodec) -> tuple[int, ...]:
        """The CRF sweep for one codec."""
        return self.crfs if self.crfs is not None else codec.crfs

    def steps(self, config, clips: int) -> int:
        """Encodes the whole run makes, for a progress bar."""
        per_clip = len(self.mse) * (2 if self.v1 else 1) + len(self.lam)
        per_clip += len(self.token_list(config))
        per_clip += sum(len(self.crf_list(classic.CODECS[c])) for c in self.codecs)
        return per_clip * clips


@dataclass
class ClipResult:
    """Everything measured and derived for one clip."""

    clip: Clip
    key: str  # unique among the run's clips: names its plots and its folder of files
    points: list[Point] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # codec -> reason
    savings: list[dict] = field(default_factory=list)
    bd_rates: dict[str, dict] = field(default_factory=dict)  # curve -> against ANCHOR

    def curve(self, name: str) -> list[Point]:
        """The points of one curve, in measurement order."""
        return [p for p in self.points if p.curve == name]


Step = Callable[[str], None]  # told the description of each encode as it finishes


def bench_clip(
    clip: Clip, key: str, loaded, plan: BenchPlan, folder: str, on_step: Step
) -> ClipResult:
    """Measure every curve on one clip's frames, encoded files going into `folder`."""
    result = ClipResult(clip, key)
    elastic.warm_up(clip, loaded, plan.mse[0], plan.search, plan.rescue)
    for mse in plan.mse:
        result.points.append(
            elastic.elastic_point(
                clip, loaded, folder, mse=mse, search=plan.search, rescue=plan.rescue
            )
        )
        on_step(f"{clip.name}: elastic mse {mse:g}")
    for mse in plan.mse if plan.v1 else ():
        result.points.append(
            elastic.elastic_point(
                clip, loaded, folder, mse=mse, search=plan.search, rescue=plan.rescue, v1=True
            )
        )
        on_step(f"{clip.name}: elastic (format 1) mse {mse:g}")
    for lam in plan.lam:
        result.points.append(elastic.elastic_point(clip, loaded, folder, lam=lam))
        on_step(f"{clip.name}: rdo lambda {lam:g}")
    for k in plan.token_list(loaded.config):
        result.points.append(elastic.elastic_point(clip, loaded, folder, tokens=k))
        on_step(f"{clip.name}: fixed k={k}")
    for name in plan.codecs:
        codec = classic.CODECS[name]
        reason = classic.unavailable_reason(codec, clip)
        for crf in plan.crf_list(codec):
            if reason is None:
                result.points.append(classic.classic_point(clip, codec, crf, folder))
            on_step(f"{clip.name}: {name} crf {crf}")
        if reason is not None:
            result.skipped[name] = reason
    derive(result)
    return result


def derive(result: ClipResult) -> None:
    """Token savings per threshold and BD-rate of every curve against the anchor."""
    fixed = result.curve(FIXED)
    result.savings = [
        curves.token_savings(point, fixed, point.value) for point in result.curve(ELASTIC)
    ]
    anchor = result.curve(ANCHOR)
    result.bd_rates = {}
    for name in dict.fromkeys(p.curve for p in result.points):
        if name != ANCHOR and anchor:
            result.bd_rates[name] = curves.bd_rate(anchor, result.curve(name))


def check_inputs(inputs: Sequence[str]) -> None:
    """Open every input once, so a bad one fails before any model is loaded or work done."""
    for path in inputs:
        if path == "-":
            raise UsageError("bench reads each input several times: give files, not -")
        with open_media(path):
            pass


def run_bench(
    inputs: Sequence[str], loaded, plan: BenchPlan, on_step: Step = lambda _: None
) -> list[ClipResult]:
    """Load each input's bench frames and measure them; encoded files are temporary
    unless `plan.keep_files` names a folder for them."""
    results: list[ClipResult] = []
    for path in inputs:
        clip = load_clip(path, plan.frames, plan.size)
        key = _key(clip.name, {r.key for r in results})
        if plan.keep_files:
            folder = os.path.join(plan.keep_files, key)
            os.makedirs(folder, exist_ok=True)
            results.append(bench_clip(clip, key, loaded, plan, folder, on_step))
        else:
            with tempfile.TemporaryDirectory(prefix="elastictok-bench-") as folder:
                results.append(bench_clip(clip, key, loaded, plan, folder, on_step))
    return results


def _key(name: str, taken: set[str]) -> str:
    """The clip's name without extension, numbered if an earlier clip has it."""
    stem = os.path.splitext(name)[0] or "clip"
    key, n = stem, 1
    while key in taken:
        n += 1
        key = f"{stem}-{n}"
    return key
