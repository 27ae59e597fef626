"""The compiled batch sizes of a model pass: few of them, little padding."""

from elastictok_cli.codec.engine import batch_size


def test_every_pass_fits_its_batch_within_the_limit():
    for limit in (6, 126, 128):
        for pairs in range(1, limit + 1):
            assert pairs <= batch_size(pairs, limit) <= limit


def test_padding_wastes_at_most_a_third_of_a_pass():
    # Powers of two alone would pad 6 tiles to 8 and 12 probes to 16 (a third wasted).
    assert batch_size(6, 128) == 6 and batch_size(12, 128) == 12
    for pairs in range(1, 129):
        size = batch_size(pairs, 128)
        assert (size - pairs) / size < 1 / 3


def test_only_a_few_sizes_are_compiled():
    sizes = {batch_size(pairs, 128) for pairs in range(1, 129)}
    assert sizes == {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128}
