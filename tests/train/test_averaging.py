"""Checkpoint averaging picks the newest steps and takes an exact leafwise mean."""

import numpy as np
import pytest

from elastictok_cli.errors import BadInputError
from elastictok_cli.train.averaging import average_trees, steps_to_average


def test_steps_are_the_newest_up_to_the_last_oldest_first():
    assert steps_to_average([600, 100, 500, 300], 500, 2) == [300, 500]
    assert steps_to_average([100, 200], 200, 1) == [200]


@pytest.mark.parametrize("count", [0, 3])
def test_too_few_or_no_steps_is_bad_input(count):
    with pytest.raises(BadInputError, match="cannot average"):
        steps_to_average([100, 200, 300], 200, count)


def test_mean_keeps_structure_and_dtype_and_is_exact_for_equal_trees():
    a = {"w": np.array([1.0, 2.0], np.float32), "b": {"x": np.float32(0.1)}}
    b = {"w": np.array([3.0, 6.0], np.float32), "b": {"x": np.float32(0.3)}}
    mean = average_trees([a, b])
    np.testing.assert_array_equal(mean["w"], np.array([2.0, 4.0], np.float32))
    assert mean["w"].dtype == np.float32
    np.testing.assert_allclose(mean["b"]["x"], 0.2, rtol=1e-6)
    same = average_trees([a, a, a])
    np.testing.assert_array_equal(same["b"]["x"], a["b"]["x"])
