"""Random damage to file bytes, as storage and transfers do it, for the salvage tests."""

import numpy as np


def damage(data: bytes, rng: np.random.Generator, start: int, longest_burst: int) -> bytes:
    """Flip 1-8 bits or overwrite a burst of up to `longest_burst` bytes, mostly after `start`."""
    buf = bytearray(data)
    low = 0 if rng.random() < 0.1 else start
    if rng.random() < 0.5:
        for _ in range(int(rng.integers(1, 9))):
            buf[int(rng.integers(low, len(buf)))] ^= 1 << int(rng.integers(0, 8))
    else:
        at = int(rng.integers(low, len(buf)))
        burst = rng.integers(0, 256, int(rng.integers(1, longest_burst)), dtype=np.uint8).tobytes()
        buf[at : at + len(burst)] = burst[: len(buf) - at]
    return bytes(buf)
