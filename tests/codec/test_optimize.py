"""Token optimization: lower distortion at the same k, decoded exactly, recorded in the header."""

from fractions import Fraction

import numpy as np
import pytest
from support.clips import moving_clip, write_with_pyav
from support.decoding import assert_decoding_matches_recorded_distortion
from support.models import make_model_folder

from elastictok_cli.codec import encoder
from elastictok_cli.codec import settings as settings_module
from elastictok_cli.codec.engine import TileEngine
from elastictok_cli.codec.frames import block_patches, grid_for, real_weights
from elastictok_cli.container import ContainerReader
from elastictok_cli.errors import UsageError
from elastictok_cli.media import open_media
from elastictok_cli.model import registry as model_registry

K = 9  # a fixed k between the tiny model's 4 and 16 tokens, so some tokens are dropped


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return model_registry.load(str(make_model_folder(tmp_path_factory.mktemp("m") / "tiny")))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """9 frames of 40x24: six tiles, three blocks, the last one partial."""
    path = tmp_path_factory.mktemp("clips") / "clip.mkv"
    return write_with_pyav(
        path, moving_clip(9, 24, 40), fps=Fraction(25), codec="ffv1", pix_fmt="bgr0"
    )


def encode_file(clip, out, loaded, **settings):
    with open_media(str(clip)) as source:
        return encoder.encode(source, str(out), loaded, settings_module.EncodeSettings(**settings))


def distortions(path) -> np.ndarray:
    with ContainerReader(str(path)) as reader:
        return np.stack([np.asarray(r.distortion) for r in reader])


@pytest.fixture(scope="module")
def pair(clip, loaded, tmp_path_factory):
    """The clip at fixed k, without and with 8 optimization steps."""
    folder = tmp_path_factory.mktemp("pair")
    for name, steps in (("plain", 0), ("optimized", 8)):
        encode_file(
            clip, folder / f"{name}.etok", loaded, tokens=K, metric="tokens", optimize=steps
        )
    return folder / "plain.etok", folder / "optimized.etok"


def test_optimization_lowers_distortion_and_keeps_k(pair):
    plain, optimized = pair
    before, after = distortions(plain), distortions(optimized)
    # The first block has the same context either way: it can only improve.
    assert np.all(after[0] <= before[0] * (1 + 1e-6))
    assert after.mean() < 0.98 * before.mean()
    with ContainerReader(str(optimized)) as reader:
        assert all(set(r.token_counts) == {K} for r in reader)
        assert reader.header.encode.optimize_steps == 8
    with ContainerReader(str(plain)) as reader:
        assert "optimize_steps" not in reader.wire["encode"]


def test_decoding_optimized_tokens_reproduces_the_recorded_distortion(pair, clip, loaded):
    assert_decoding_matches_recorded_distortion(pair[1], clip, loaded, 40, 24)


def test_optimizing_more_tiles_than_one_call_holds_matches_one_call(loaded, monkeypatch):
    """Tiles are optimized in chunks; a chunk boundary must not change any tile's result."""
    config = loaded.config
    grid = grid_for(config, 48, 16)  # three tiles
    frames = np.stack(moving_clip(config.frames_per_block, 16, 48))
    patches = block_patches(frames, grid, config)
    weight = real_weights(grid, config, config.frames_per_block)
    chosen = np.array([K, config.min_tokens, config.max_tokens])

    def optimized(tiles_per_call):
        monkeypatch.setattr("elastictok_cli.codec.engine.OPTIMIZE_TILES", tiles_per_call)
        engine = TileEngine(loaded.model, grid.tile_count)
        engine.begin_block(patches, weight, np.inf)
        engine.probe([np.array([k]) for k in chosen])
        return engine.finish_block(chosen, optimize_steps=5)

    whole, split = optimized(32), optimized(2)
    np.testing.assert_allclose(split.distortion, whole.distortion, rtol=1e-4, atol=1e-6)
    assert [list(a) for a in split.ids] == [list(a) for a in whole.ids]


def test_under_a_target_optimization_buys_fewer_tokens(clip, loaded, tmp_path):
    """Optimized ids meet the target at smaller k: the first block keeps the search's
    successes with fewer tokens, and the file decodes to what it records."""
    threshold = 0.6
    encode_file(clip, tmp_path / "a.etok", loaded, threshold=threshold)
    encode_file(clip, tmp_path / "b.etok", loaded, threshold=threshold, optimize=8)
    with (
        ContainerReader(str(tmp_path / "a.etok")) as a,
        ContainerReader(str(tmp_path / "b.etok")) as b,
    ):
        searched, optimized = next(iter(a)), next(iter(b))
        total = [sum(r.token_counts) for r in a], [sum(r.token_counts) for r in b]
    k_a, k_b = np.array(searched.token_counts), np.array(optimized.token_counts)
    met = np.asarray(searched.distortion) <= threshold
    # The first block has the same context either way; later ones search on new context.
    assert np.all(k_b <= k_a)
    assert np.all(np.asarray(optimized.distortion)[met] <= threshold)
    assert k_b.sum() < k_a.sum()
    assert sum(total[1]) < sum(total[0])
    assert_decoding_matches_recorded_distortion(tmp_path / "b.etok", clip, loaded, 40, 24)


@pytest.mark.parametrize("steps", [-1, settings_module.MAX_OPTIMIZE + 1])
def test_optimize_steps_out_of_range_are_a_usage_error(steps):
    with pytest.raises(UsageError, match="--optimize"):
        settings_module.EncodeSettings(optimize=steps)
