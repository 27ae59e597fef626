"""The Python API round-trips frames without the command line, and reads files without JAX."""

import subprocess
import sys

import numpy as np
import pytest
from support.models import make_model_folder

from elastictok_cli import api
from elastictok_cli.errors import BadInputError, IncompatibleError, UsageError


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return api.load_model(make_model_folder(tmp_path_factory.mktemp("m") / "tiny"))


@pytest.fixture(scope="module")
def frames(tiny):
    side = tiny.config.tile_width
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (5, side + 4, 2 * side, 3), dtype=np.uint8)


def test_array_round_trip_keeps_size_count_and_rate(tiny, frames):
    tokens = api.encode(frames, tiny, tokens=tiny.config.max_tokens, fps=12.5)
    video = tokens.header.video
    assert (video.width, video.height, video.frames) == (frames.shape[2], frames.shape[1], 5)
    assert video.fps == 12.5
    decoded = list(api.decode(tokens, tiny))
    assert len(decoded) == 5 and decoded[0].shape == frames.shape[1:]
    assert decoded[0].dtype == np.uint8


def test_iterator_equals_array_and_file_equals_memory(tiny, frames, tmp_path):
    from_array = api.encode(frames, tiny, mse=0.01)
    from_iterator = api.encode(iter(list(frames)), tiny, mse=0.01)
    assert np.array_equal(from_array.ids, from_iterator.ids)
    assert from_iterator.header.video.frames == 5  # counted, as for a pipe
    from_array.save(tmp_path / "a.etok")
    stored = api.read(tmp_path / "a.etok")
    assert np.array_equal(stored.ids, from_array.ids)
    in_memory = np.stack(list(api.decode(from_array, tiny)))
    from_file = np.stack(list(api.decode(tmp_path / "a.etok", tiny)))
    assert np.array_equal(in_memory, from_file)


def test_encode_to_file_matches_encode(tiny, frames, tmp_path):
    summary = api.encode_to_file(frames, tmp_path / "b.etok", tiny, tokens=8)
    assert summary["frames"] == 5 and summary["bytes"] == (tmp_path / "b.etok").stat().st_size
    assert np.array_equal(api.read(tmp_path / "b.etok").ids, api.encode(frames, tiny, tokens=8).ids)


def test_from_arrays_checks_what_it_is_given(tiny, frames):
    tokens = api.encode(frames, tiny, tokens=8)
    with pytest.raises(BadInputError, match="codebook"):
        bad = tokens.ids.copy()
        bad[0, 0, 0] = tokens.header.model.codebook_size
        api.Tokens.from_arrays(tokens.header, bad, tokens.counts)
    with pytest.raises(BadInputError, match="blocks"):
        api.Tokens.from_arrays(tokens.header, tokens.ids[:1], tokens.counts[:1])


def test_errors_are_the_documented_types(tiny, frames, tmp_path):
    with pytest.raises(UsageError):
        api.encode(frames, tiny, mse=0.01, psnr=30)
    with pytest.raises(BadInputError):
        api.encode(frames[..., :2], tiny)
    with pytest.raises(BadInputError):
        api.encode(iter([frames[0], frames[1, :8]]), tiny, tokens=8)
    other = api.load_model(make_model_folder(tmp_path / "other", seed=1))
    with pytest.raises(IncompatibleError):
        next(api.decode(api.encode(frames, tiny, tokens=8), other))


def test_reading_a_file_needs_no_jax(tiny, frames, tmp_path):
    api.encode(frames, tiny, tokens=8).save(tmp_path / "c.etok")
    code = (
        "import sys; from elastictok_cli import api; "
        f"t = api.read({str(tmp_path / 'c.etok')!r}); api.inspect({str(tmp_path / 'c.etok')!r}); "
        "print(len(t), 'jax' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "False"]
