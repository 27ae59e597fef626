"""Each block's lambda in the header: one byte per block on a log scale, grouped when huge."""

import math

import pytest

from elastictok_cli.container import lambdas
from elastictok_cli.container.lambdas import decode_lambdas, encode_lambdas


@pytest.mark.parametrize("value", [1e-7, 3.3e-4, 0.02, 1.0, 57.0, 1e4])
def test_a_lambda_survives_within_half_a_step(value):
    codes, group = encode_lambdas([value, value])
    assert len(codes) == 2 and group == 1
    step = (lambdas.LOG10_RANGE[1] - lambdas.LOG10_RANGE[0]) / lambdas.STEPS
    for back in decode_lambdas(codes, group, 2):
        assert abs(math.log10(back) - math.log10(value)) <= step / 2 + 1e-12


def test_values_outside_the_range_are_clipped_to_its_ends():
    codes, _ = encode_lambdas([0.0, 1e-12, 1e9])
    assert list(codes) == [0, 0, lambdas.STEPS]


def test_a_huge_file_stores_one_byte_per_group_of_blocks(monkeypatch):
    monkeypatch.setattr(lambdas, "MAX_CODES", 4)
    values = [1.0, 1.0, 100.0, 100.0, 0.01, 0.01, 0.01, 0.01, 10.0]
    codes, group = encode_lambdas(values)
    assert group == 3 and len(codes) == 3  # ceil(9 / 4) blocks per byte
    back = decode_lambdas(codes, group, 9)
    assert back[0] == back[2] and back[3] == back[5] and back[6] == back[8]
    assert math.isclose(back[0], 10 ** (2 / 3), rel_tol=0.06)  # their geometric mean


def test_blocks_past_the_stored_bytes_have_none():
    codes, group = encode_lambdas([0.5, 0.5])
    assert decode_lambdas(codes, group, 3)[2] is None
