"""Random token streams, tile grids and frame counts survive a write and a read bit-exactly."""

import math

import numpy as np
import pytest
from etok_samples import make_header, random_records, read_all, write_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elastictok_cli.container import BlockRecord, ContainerReader, ContainerWriter


@st.composite
def fsq_levels(draw):
    """FSQ level lists from 2 codes (1 bit) to 2**32 codes (32 bits)."""
    levels = draw(st.lists(st.integers(2, 1 << 16), min_size=1, max_size=4))
    while math.prod(levels) > 1 << 32:
        levels.pop()
    return levels


@st.composite
def videos(draw):
    """A header for a random frame size, tile grid and frame count."""
    patch = (draw(st.sampled_from([1, 2])), 4, 4)
    frames_per_block = patch[0] * draw(st.integers(1, 3))
    tile = (4 * draw(st.integers(1, 4)), 4 * draw(st.integers(1, 4)))
    return make_header(
        width=draw(st.integers(1, 3 * tile[1])),
        height=draw(st.integers(1, 3 * tile[0])),
        frames=draw(st.integers(1, 13)),
        tile=tile,
        patch=patch,
        frames_per_block=frames_per_block,
        levels=tuple(draw(fsq_levels())),
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=videos(), seed=st.integers(0, 2**32 - 1), extremes=st.booleans())
def test_round_trip_is_bit_exact(tmp_path_factory, header, seed, extremes):
    rng = np.random.default_rng(seed)
    records = random_records(header, rng)
    if extremes:
        # Empty tiles, full tiles, and the smallest and largest token ids.
        codes = math.prod(header["model"]["config"]["fsq_levels"])
        top = header["model"]["config"]["max_tokens"]
        first = records[0]
        counts = tuple(top if t % 2 else 0 for t in range(len(first.token_counts)))
        tokens = tuple(np.resize(np.array([0, codes - 1], np.uint64), n) for n in counts)
        records[0] = BlockRecord(0, counts, tokens, (0.0,) * len(counts))
    path = tmp_path_factory.mktemp("rt") / "v.etok"
    got_header, got = read_all(write_file(path, header, records))
    assert got == records
    assert got_header["video"] == header["video"]
    assert got_header["model"] == header["model"]
    for record in got:
        for ids in record.tokens:
            assert ids.ndim == 1 and ids.dtype.kind == "u"


def test_blocks_can_be_read_in_any_order(tmp_path):
    header = make_header(frames=30)
    records = random_records(header, np.random.default_rng(7))
    write_file(tmp_path / "a.etok", header, records)
    with ContainerReader(tmp_path / "a.etok") as reader:
        assert reader.num_blocks == len(reader) == 8
        for i in (7, 0, 3, 3, 5):
            assert reader.read_block(i) == records[i]
        assert reader.file_size == (tmp_path / "a.etok").stat().st_size
        assert reader.format_version == 1


def test_distortion_is_stored_as_float32(tmp_path):
    header = make_header(width=16, height=16, frames=4)
    record = BlockRecord(0, (1,), (np.array([5]),), (0.1,))
    _, (got,) = read_all(write_file(tmp_path / "a.etok", header, [record]))
    assert got.distortion == (float(np.float32(0.1)),)


@pytest.mark.parametrize("frames", [21, 301])  # same header size (in place), larger (copied)
def test_frame_count_learned_at_the_end(tmp_path, frames):
    # Reading from a pipe: frames and blocks are only known once the input ends.
    provisional = make_header(frames=1)
    records = random_records(make_header(frames=frames), np.random.default_rng(8))
    with ContainerWriter(tmp_path / "a.etok", provisional) as writer:
        for record in records:
            writer.write_block(record)
        writer.update_video(frames=frames, blocks=len(records))
    header, got = read_all((tmp_path / "a.etok").read_bytes())
    assert header["video"]["frames"] == frames and got == records
    assert [p.name for p in tmp_path.iterdir()] == ["a.etok"]
