"""Skipped tiles: a static tile costs no tokens, decodes to its held frame, and says so."""

import numpy as np
import pytest
from support.models import make_model_folder

from elastictok_cli import api
from elastictok_cli.codec import skip
from elastictok_cli.container import ContainerReader


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return api.load_model(make_model_folder(tmp_path_factory.mktemp("m") / "tiny"))


@pytest.fixture(scope="module")
def half_static(tiny):
    """12 frames of two tiles side by side: the left one still, the right one changing."""
    side = tiny.config.tile_width
    rng = np.random.default_rng(5)
    frames = np.repeat(rng.integers(0, 256, (1, side, 2 * side, 3), dtype=np.uint8), 12, axis=0)
    frames[:, :, side:] = rng.integers(0, 256, (12, side, side, 3), dtype=np.uint8)
    return frames


def held_error(tiny, tokens, frames):
    """Per block and tile, the MSE a skip of that tile-block would show, from the decode."""
    decoded = np.stack(list(api.decode(tokens, tiny))).astype(np.float64)
    return decoded, ((decoded - frames) / 127.5) ** 2


def test_a_still_tile_is_skipped_after_its_first_block(tiny, half_static):
    # A loose target: the random model's own blocks meet it, and so do their repeats.
    tokens = api.encode(half_static, tiny, mse=2.0)
    skipped = np.array([b.skipped for b in tokens.blocks])
    assert not skipped[0].any()  # nothing is held before the first block
    assert skipped[1:].all()  # a loose target: every later tile-block repeats
    assert (tokens.counts[1:] == 0).all()
    decoded = np.stack(list(api.decode(tokens, tiny)))
    # Skipped blocks show the last frame of the first block, exactly.
    assert all(np.array_equal(decoded[i], decoded[3]) for i in range(4, 12))


def test_skip_is_decided_by_the_target_and_recorded_honestly(tiny, half_static):
    target = 0.02
    tokens = api.encode(half_static, tiny, mse=target)
    skipped = np.array([b.skipped for b in tokens.blocks])
    assert skipped.any() and not skipped[0].any()
    decoded = np.stack(list(api.decode(tokens, tiny))).astype(np.float64)
    side = tiny.config.tile_width
    reached = [None, None]  # per tile, the distortion of its last coded block
    for b, block in enumerate(tokens.blocks):
        for tile in range(2):
            if not block.skipped[tile]:
                reached[tile] = block.distortion[tile]
                continue
            # What the decoder shows is what the file says, and no worse than the target
            # or, where coding could not reach it, than what coding reached last time.
            frames, cols = slice(4 * b, 4 * b + 4), slice(tile * side, (tile + 1) * side)
            shown = (decoded[frames, :, cols] - half_static[frames, :, cols]) / 127.5
            assert (shown**2).mean() == pytest.approx(block.distortion[tile], rel=1e-4)
            assert block.distortion[tile] <= max(target, reached[tile]) * (1 + 1e-6)


def test_fixed_tokens_and_no_skip_code_every_tile(tiny, half_static, tmp_path):
    for tokens in (
        api.encode(half_static, tiny, tokens=8),
        api.encode(half_static, tiny, mse=2.0, skip=False),
    ):
        assert not any(any(b.skipped) for b in tokens.blocks)
        assert tokens.header.encode.skip_tiles is False
        tokens.save(tmp_path / "v1.etok", force=True)
        with ContainerReader(tmp_path / "v1.etok") as reader:
            assert reader.format_version == 1  # nothing of v2 is used


def test_files_with_skips_are_v2_and_round_trip(tiny, half_static, tmp_path):
    tokens = api.encode(half_static, tiny, mse=2.0)
    tokens.save(tmp_path / "v2.etok")
    with ContainerReader(tmp_path / "v2.etok") as reader:
        assert (reader.format_version, reader.min_reader_version) == (2, 2)
        assert reader.header.encode.skip_tiles is True
        assert [b.skipped for b in reader] == [b.skipped for b in tokens.blocks]
    from_file = np.stack(list(api.decode(tmp_path / "v2.etok", tiny)))
    assert np.array_equal(from_file, np.stack(list(api.decode(tokens, tiny))))
    report = api.inspect(tmp_path / "v2.etok")
    assert report["totals"]["skipped"] == int(sum(sum(b.skipped) for b in tokens.blocks))


def test_a_v1_only_reader_refuses_a_v2_file_as_incompatible(
    tiny, half_static, tmp_path, monkeypatch
):
    from elastictok_cli.container import ContainerIncompatible, layout

    api.encode(half_static, tiny, mse=2.0).save(tmp_path / "v2.etok")
    monkeypatch.setattr(layout, "READER_VERSION", 1)
    with pytest.raises(ContainerIncompatible) as caught:
        ContainerReader(tmp_path / "v2.etok")
    assert caught.value.exit_code == 4


def test_held_block_is_grey_before_anything_and_the_last_frame_after(tiny):
    config = tiny.config
    grey = skip.held_block(None, config, 2)
    assert grey.shape == (2, config.max_tokens, 3 * int(np.prod(config.patch))) and not grey.any()
