"""An encode's time left: from the recent blocks' compute time, compiling set apart.

An encode's blocks do not cost the same. The first ones trace and compile every pass
shape the search meets, the first block has no held frame to skip to and no previous k
to start its search from, and later blocks skip still tiles. A rate measured over the
whole encode so far (what a progress bar does by default) therefore stays too slow for
a long time: replayed on real encodes it was 2-7 times too long at 10-20% done
(benchmarks/RESULTS.md). Here compile seconds are counted apart (JAX reports them), the
first two blocks are left out once later ones exist, and the cost per frame is a mean
over the last few blocks, so the estimate follows the rate the encode has settled into.
"""

from __future__ import annotations

COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)
RECENT_BLOCKS = 6  # blocks the cost per frame is averaged over
WARMUP_BLOCKS = 2  # left out once a later block exists: they search cold and skip little
# Later blocks' compute per frame against the first block's, measured on five real clips
# (benchmarks/eta_accuracy.py: 0.25 to 0.6, median 0.4): the guess before a second block.
FIRST_BLOCK_SHARE = 0.4


class CompileClock:
    """Seconds JAX spends tracing and compiling while entered (`with CompileClock() as c`)."""

    def __init__(self):
        """Nothing counted yet."""
        self.seconds = 0.0

    def _listen(self, event: str, duration: float, **_) -> None:
        if event in COMPILE_EVENTS:
            self.seconds += duration

    def __enter__(self) -> CompileClock:
        """Start listening to JAX's compile events."""
        import jax.monitoring

        jax.monitoring.register_event_duration_secs_listener(self._listen)
        return self

    def __exit__(self, *exc) -> None:
        """Stop listening."""
        import jax.monitoring

        jax.monitoring.unregister_event_duration_listener(self._listen)


class TimeLeft:
    """Seconds left of an encode of `total` frames, updated after every block."""

    def __init__(self, total: int | None, started: float, recent: int = RECENT_BLOCKS):
        """`started`: the clock reading when the encode began (any monotonic seconds)."""
        self.total, self.recent = total, recent
        self._last = (started, 0, 0.0)  # time, frames done, compile seconds at the last update
        self._costs: list[float] = []  # compute seconds per frame, by block
        self._frames: list[int] = []

    def update(self, now: float, frames: int, compile_seconds: float) -> float | None:
        """Fold in a finished block; the seconds left (None while unknown)."""
        then, done, compiled = self._last
        if frames > done:
            compute = max(0.0, (now - then) - (compile_seconds - compiled))
            self._costs.append(compute / (frames - done))
            self._frames.append(frames - done)
            # Only the warm-up and the recent window are ever read.
            if len(self._costs) > WARMUP_BLOCKS + self.recent:
                del self._costs[WARMUP_BLOCKS], self._frames[WARMUP_BLOCKS]
        self._last = (now, frames, compile_seconds)
        return self.left()

    def per_frame(self) -> float:
        """Compute seconds a frame still to come is expected to cost."""
        if len(self._costs) == 1:
            return self._costs[0] * FIRST_BLOCK_SHARE
        skip = min(WARMUP_BLOCKS, len(self._costs) - 1)
        costs, frames = self._costs[skip:][-self.recent :], self._frames[skip:][-self.recent :]
        return sum(c * n for c, n in zip(costs, frames, strict=True)) / sum(frames)

    def left(self) -> float | None:
        """The frames still to encode times the expected compute per frame."""
        if self.total is None or not self._costs:
            return None
        return max(0, self.total - self._last[1]) * self.per_frame()
