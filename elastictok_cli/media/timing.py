"""Turning decoded frames into the constant-rate sequence a player shows."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Iterator
from fractions import Fraction

import av

# Timestamps may be out of order over this many frames without breaking gap detection.
# AVI files with B-frames label frames out of order even though the decoder's output
# order is right (Megamind.avi: 1 2 3 5 4 6 8 7 ...), so the next timestamp of a frame
# is the smallest larger one seen within this window, not the next one decoded.
REORDER_WINDOW = 4
# A longer gap is a broken or restarted clock, not a still picture worth repeating.
MAX_GAP_SECONDS = 60


def with_repeats(
    frames: Iterable[av.VideoFrame], fps: Fraction, time_base: Fraction | None
) -> Iterator[tuple[av.VideoFrame, int]]:
    """Yield (frame, extra copies) so each frame fills its time slots at `fps`.

    Frames come out in decoding order, never dropped. A frame followed by a gap in the
    timestamps is repeated to fill it: AVI "drop frames" (tree.avi stores 68 pictures
    for 444 frame slots) and variable-rate video then keep their real duration.
    """
    frames = iter(frames)
    if not time_base:
        yield from ((frame, 0) for frame in frames)
        return
    slot_length = Fraction(time_base) * fps
    max_gap_slots = MAX_GAP_SECONDS * fps
    pending: deque[av.VideoFrame] = deque()
    recent = _RecentTimestamps(2 * REORDER_WINDOW + 2)
    origin: int | None = None
    for frame in frames:
        if frame.pts is None:
            # Without timestamps there is no clock to follow: no gap filling from here on.
            yield from ((held, 0) for held in pending)
            yield frame, 0
            yield from ((rest, 0) for rest in frames)
            return
        origin = frame.pts if origin is None else origin
        recent.add(frame.pts)
        pending.append(frame)
        if len(pending) > REORDER_WINDOW:
            held = pending.popleft()
            yield held, _repeats(held.pts, recent, origin, slot_length, max_gap_slots)
    while pending:
        held = pending.popleft()
        yield held, _repeats(held.pts, recent, origin, slot_length, max_gap_slots)


def _repeats(
    pts: int,
    recent: _RecentTimestamps,
    origin: int,
    slot_length: Fraction,
    max_gap_slots: Fraction,
) -> int:
    """How many extra copies the frame at `pts` needs to reach the next frame's slot."""
    following = recent.next_after(pts)
    if following is None:
        return 0
    # Slots are rounded from the first timestamp, so jitter never accumulates.
    gap = round((following - origin) * slot_length) - round((pts - origin) * slot_length) - 1
    return gap if 0 < gap <= max_gap_slots else 0


class _RecentTimestamps:
    """The timestamps of the last few frames, kept sorted."""

    def __init__(self, size: int):
        """Remember up to `size` timestamps."""
        self._order: deque[int] = deque()
        self._sorted: list[int] = []
        self._size = size

    def add(self, pts: int) -> None:
        """Remember one more timestamp, forgetting the oldest when full."""
        self._order.append(pts)
        bisect.insort(self._sorted, pts)
        if len(self._order) > self._size:
            oldest = self._order.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, oldest)]

    def next_after(self, pts: int) -> int | None:
        """The smallest remembered timestamp larger than `pts`, if any."""
        index = bisect.bisect_right(self._sorted, pts)
        return self._sorted[index] if index < len(self._sorted) else None
