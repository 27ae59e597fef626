"""The background loader yields batches in step order and hands errors to the consumer."""

import numpy as np
import pytest

from elastictok_cli.train.prefetch import Prefetcher


def test_batches_arrive_in_order_then_stop():
    with Prefetcher(lambda step: np.full(2, step), start=3, stop=7) as prefetch:
        got = [prefetch.get()[0] for _ in range(4)]
        with pytest.raises(StopIteration):
            prefetch.get()
    assert got == [3, 4, 5, 6]


def test_errors_reach_the_consumer():
    def make(step):
        if step == 1:
            raise ValueError("decode failed")
        return np.zeros(1)

    with Prefetcher(make, start=0, stop=5) as prefetch:
        prefetch.get()
        with pytest.raises(ValueError, match="decode failed"):
            prefetch.get()
