"""Size figures: bytes per token near the raw bit width, and a small header."""

import io

import numpy as np
import pytest
from etok_samples import make_header, random_records, write_file

from elastictok_cli.container import ContainerReader, layout
from elastictok_cli.container.records import BlockGeometry, encode_payload


@pytest.fixture(scope="module")
def typical(tmp_path_factory):
    """640x360, 64x64 tiles (10x6), patch 1x8x8, 4-frame blocks, 16-bit FSQ, 64 frames."""
    header = make_header(
        width=640, height=360, frames=64, tile=(64, 64), patch=(1, 8, 8), min_tokens=16
    )
    records = random_records(header, np.random.default_rng(40))
    data = write_file(tmp_path_factory.mktemp("typ") / "t.etok", header, records)
    return header, records, data


def test_bytes_per_token_before_zstd_within_3_percent(typical):
    _, records, data = typical
    with ContainerReader(io.BytesIO(data)) as reader:
        geometry = BlockGeometry.from_header(reader.wire)
        header_size = reader.header_size
    tokens = sum(r.num_tokens for r in records)
    raw = tokens * geometry.bits_per_token / 8
    # The same file with each zstd frame replaced by its plain payload.
    plain = (
        layout.PREAMBLE_SIZE
        + header_size
        + layout.CRC.size
        + sum(len(encode_payload(r, geometry)) + layout.CRC.size for r in records)
        + layout.INDEX_ENTRY.size * len(records)
        + layout.TAIL_SIZE
    )
    assert plain / raw < 1.03, f"{plain / raw:.4f}"
    # Random ids do not compress: zstd's own framing must not push it over either.
    assert len(data) / raw < 1.03, f"{len(data) / raw:.4f}"


def test_header_under_1_kb(typical):
    _, _, data = typical
    with ContainerReader(io.BytesIO(data)) as reader:
        assert reader.header_size < 1024
        assert reader.block_sizes[0] > 0


def test_compressible_tokens_shrink(tmp_path):
    # A flat scene repeats one id in every slot: zstd removes nearly all of its bytes.
    header = make_header(width=64, height=64, frames=16, tile=(64, 64), patch=(1, 8, 8))
    records = random_records(header, np.random.default_rng(41), fill=1.0)
    flat = [r.__class__(r.index, r.token_counts, (np.full(256, 7),), r.distortion) for r in records]
    data = write_file(tmp_path / "s.etok", header, flat)
    with ContainerReader(io.BytesIO(data)) as reader:
        assert max(reader.block_sizes) < 0.1 * 256 * 2
