"""Fixtures: small clips written with PyAV directly into each test's tmp_path."""

import numpy as np
import pytest
from support.clips import moving_gradient, write_with_pyav


@pytest.fixture
def clip_24() -> list[np.ndarray]:
    """Ten frames of 64x48."""
    return moving_gradient(10, 48, 64)


@pytest.fixture
def make_video(tmp_path, clip_24):
    """Write `clip_24` (or given frames) to tmp_path/name with plain PyAV; return the path."""

    def make(name, frames=None, **kwargs):
        path = tmp_path / name
        write_with_pyav(path, frames if frames is not None else clip_24, **kwargs)
        return path

    return make
