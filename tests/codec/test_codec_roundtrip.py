"""Encode and decode through the library with a tiny random model and small real clips."""

from fractions import Fraction

import numpy as np
import pytest
from support.clips import moving_clip, read_frames, write_with_pyav
from support.decoding import assert_decoding_matches_recorded_distortion
from support.models import TINY, make_model_folder

from elastictok_cli.codec import decoder, encoder
from elastictok_cli.codec import settings as settings_module
from elastictok_cli.container import ContainerReader
from elastictok_cli.errors import IncompatibleError, UsageError
from elastictok_cli.media import open_media
from elastictok_cli.model import registry as model_registry

# A random model's distortion sits around 0.5..0.8: this target makes tiles differ.
THRESHOLD = 0.6


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = make_model_folder(tmp_path_factory.mktemp("models") / "tiny")
    return model_registry.load(str(folder))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """10 frames of 40x24 (not multiples of the 16x16 tile, nor of 4 frames), lossless."""
    frames = moving_clip(10, 24, 40)
    path = tmp_path_factory.mktemp("clips") / "clip.mkv"
    return write_with_pyav(path, frames, fps=Fraction(30000, 1001), codec="ffv1", pix_fmt="bgr0")


def encode_file(clip, out, loaded, **settings):
    settings.setdefault("threshold", THRESHOLD)
    with open_media(str(clip)) as source:
        return encoder.encode(source, str(out), loaded, settings_module.EncodeSettings(**settings))


def test_round_trip_keeps_size_rate_and_frame_count(clip, loaded, tmp_path):
    stats = encode_file(clip, tmp_path / "a.etok", loaded)
    assert stats.frames == 10 and stats.blocks == 3 and stats.tiles == 6
    with ContainerReader(str(tmp_path / "a.etok")) as reader:
        video = reader.wire["video"]
        assert (video["width"], video["height"], video["frames"]) == (40, 24, 10)
        assert Fraction(video["fps_num"], video["fps_den"]) == Fraction(30000, 1001)
        assert reader.header.model.sha256 == loaded.sha256
        facts = decoder.decode(reader, str(tmp_path / "out.mkv"), loaded)
    assert facts["frames"] == 10
    frames = read_frames(tmp_path / "out.mkv")
    assert len(frames) == 10 and frames[0].shape == (24, 40, 3)


def test_the_same_input_gives_a_byte_identical_file(clip, loaded, tmp_path):
    encode_file(clip, tmp_path / "a.etok", loaded)
    encode_file(clip, tmp_path / "b.etok", loaded)
    assert (tmp_path / "a.etok").read_bytes() == (tmp_path / "b.etok").read_bytes()


@pytest.mark.parametrize(
    "search",
    [
        "gallop",
        pytest.param("predict", marks=pytest.mark.heavy),
        pytest.param("binary", marks=pytest.mark.heavy),
        pytest.param("linear", marks=pytest.mark.heavy),
    ],
)
def test_decoding_reproduces_the_recorded_distortion(clip, loaded, tmp_path, search):
    encode_file(clip, tmp_path / "a.etok", loaded, search=search)
    assert_decoding_matches_recorded_distortion(tmp_path / "a.etok", clip, loaded, 40, 24)


def test_the_fast_preset_decodes_as_recorded_and_counts_its_misses(clip, loaded, tmp_path):
    stats = encode_file(clip, tmp_path / "a.etok", loaded, preset="fast", skip=False)
    assert_decoding_matches_recorded_distortion(tmp_path / "a.etok", clip, loaded, 40, 24)
    with ContainerReader(str(tmp_path / "a.etok")) as reader:
        assert reader.header.encode.preset == "fast"
        missed = sum(int((np.asarray(r.distortion) > THRESHOLD).sum()) for r in reader)
    assert stats.tile_blocks_missing_target == missed


def test_fixed_tokens_use_exactly_k_per_tile(clip, loaded, tmp_path):
    stats = encode_file(clip, tmp_path / "a.etok", loaded, tokens=7, metric="tokens")
    assert stats.tokens == 7 * 6 * 3 and stats.passes == 3
    with ContainerReader(str(tmp_path / "a.etok")) as reader:
        assert all(set(r.token_counts) == {7} for r in reader)
        assert reader.header.encode.search == "fixed"


def test_tokens_outside_the_model_range_are_a_usage_error(clip, loaded, tmp_path):
    with pytest.raises(UsageError):
        encode_file(clip, tmp_path / "a.etok", loaded, tokens=TINY.max_tokens + 1)


def test_a_still_image_is_one_block_and_decodes_to_one_png(loaded, tmp_path):
    image = moving_clip(1, 20, 20)[0]
    write_with_pyav(tmp_path / "in.png", [image], codec="png", pix_fmt="rgb24", muxer="image2")
    stats = encode_file(tmp_path / "in.png", tmp_path / "a.etok", loaded)
    assert stats.frames == 1 and stats.blocks == 1
    with ContainerReader(str(tmp_path / "a.etok")) as reader:
        decoder.decode(reader, str(tmp_path / "out.png"), loaded)
    assert read_frames(tmp_path / "out.png")[0].shape == (20, 20, 3)


def test_resize_fits_the_native_size(clip, loaded, tmp_path):
    stats = encode_file(clip, tmp_path / "a.etok", loaded, fit="resize")
    assert stats.tiles == 1
    with ContainerReader(str(tmp_path / "a.etok")) as reader:
        assert reader.header.video.width == TINY.tile_width


def test_a_container_from_another_model_is_incompatible(clip, loaded, tmp_path):
    encode_file(clip, tmp_path / "a.etok", loaded)
    other = model_registry.load(str(make_model_folder(tmp_path / "other", seed=1)))
    with ContainerReader(str(tmp_path / "a.etok")) as reader:
        with pytest.raises(IncompatibleError, match="encoded with model"):
            decoder.decode(reader, str(tmp_path / "out.mkv"), other)
    assert not (tmp_path / "out.mkv").exists()


def test_registry_finds_models_by_name_through_the_environment(loaded, tmp_path, monkeypatch):
    make_model_folder(tmp_path / "mine")
    monkeypatch.setenv(model_registry.ENV_VAR, str(tmp_path))
    assert model_registry.resolve_model("mine") == tmp_path / "mine"
    infos = {info.name: info for info in model_registry.list_models()}
    assert infos["mine"].parameters > 0 and infos["mine"].native_size == "16x16x4"
    with pytest.raises(UsageError, match="no model named"):
        model_registry.resolve_model("absent-model")
