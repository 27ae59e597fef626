"""The header schema: required fields, bounds, ancillary and critical fields, versions."""

import copy

import numpy as np
import pytest
from etok_craft import assemble, packed, split
from etok_samples import make_header, random_records, read_all, refusal, write_file

from elastictok_cli.container import (
    ContainerError,
    ContainerIncompatible,
    ContainerReader,
    ContainerWriter,
    bits_for_levels,
    layout,
)


def test_bits_per_token_from_fsq_levels():
    assert bits_for_levels([8, 8, 8, 5, 5, 5]) == 16  # 64,000 codes
    assert bits_for_levels([8, 5, 5, 5]) == 10
    assert bits_for_levels([2]) == 1
    assert bits_for_levels([65536, 65536]) == 32


def test_writer_fills_derived_fields(tmp_path):
    header = make_header()
    with ContainerWriter(tmp_path / "a.etok", header) as writer:
        assert writer.wire["bits_per_token"] == 16
        assert writer.wire["max_tokens"] == header["model"]["config"]["max_tokens"]
        assert writer.wire["token_coding"] == "bitpack-zstd"
        for record in random_records(writer.wire, np.random.default_rng(0)):
            writer.write_block(record)


def _with(header, path, value):
    """A copy of `header` with the dotted `path` set to `value` (or removed if None)."""
    header = copy.deepcopy(header)
    *parents, last = path.split(".")
    node = header
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return header


BAD_VALUES = [
    ("model.name", ""),
    ("model.name", "a\x1b[31m"),  # a terminal escape must never reach `inspect`
    ("model.sha256", "ABC"),
    ("model.sha256", None),
    ("model.config.patch", [1, 4]),
    ("model.config.patch", [1, 3, 4]),  # does not divide the tile
    ("model.config.frames_per_block", 0),
    ("model.config.fsq_levels", [1]),
    ("model.config.fsq_levels", [65536, 65536, 2]),
    ("model.config.max_tokens", 10**6),
    ("model.config.min_tokens", 10**4),
    ("video.width", 0),
    ("video.width", True),
    ("video.width", 2.0),
    ("video.frames", 0),
    ("video.fps_den", 0),
    ("video.pix_fmt", "YUV 420"),
    ("video.tile_width", 32),
    ("video.tiles_x", 9),
    ("video.pad_right", 0),
    ("video.blocks", 2),
    ("encode.threshold", float("nan")),
    ("encode.threshold", "0.003"),
    ("encode.search", None),
    ("bits_per_token", 15),
    ("max_tokens", 3),
    ("critical", "video.width"),
]


@pytest.mark.parametrize(("path", "value"), BAD_VALUES)
def test_writer_refuses_bad_fields(tmp_path, path, value):
    header = _with(make_header(), path, value)
    with pytest.raises(ValueError, match="invalid container header"):
        ContainerWriter(tmp_path / "a.etok", header)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("path", "value"), BAD_VALUES)
def test_reader_refuses_bad_fields_as_corrupt(tmp_path, path, value):
    header = make_header()
    data = write_file(tmp_path / "a.etok", header, random_records(header, np.random.default_rng(1)))
    with ContainerReader(tmp_path / "a.etok") as reader:
        full = reader.wire
    _, records = split(data)
    assert isinstance(refusal(assemble(packed(_with(full, path, value)), records)), ContainerError)


def test_ancillary_fields_are_kept_and_ignored(tmp_path):
    header = make_header()
    header["video"]["color_space"] = "bt709"
    header["future"] = {"deep": [1, {"x": 2.5}]}
    records = random_records(header, np.random.default_rng(2))
    got_header, got = read_all(write_file(tmp_path / "a.etok", header, records))
    assert got_header["video"]["color_space"] == "bt709"
    assert got_header["future"] == {"deep": [1, {"x": 2.5}]}
    assert got == records


def test_unknown_critical_field_is_incompatible(tmp_path):
    header = make_header()
    header["video"]["hdr"] = {"transfer": "pq"}
    header["critical"] = ["video.hdr"]
    with pytest.raises(ValueError, match="does not understand"):
        ContainerWriter(tmp_path / "a.etok", header)
    # A newer writer would produce this; this reader must refuse it with exit code 4.
    base = make_header()
    data = write_file(tmp_path / "b.etok", base, random_records(base, np.random.default_rng(3)))
    raw, records = split(data)
    with ContainerReader(tmp_path / "b.etok") as reader:
        newer = copy.deepcopy(reader.wire)
    newer["video"]["hdr"] = {"transfer": "pq"}
    newer["critical"] = ["video.hdr"]
    err = refusal(assemble(packed(newer), records))
    assert isinstance(err, ContainerIncompatible)
    assert err.exit_code == 4


def test_known_critical_field_is_fine(tmp_path):
    header = make_header()
    header["critical"] = ["video.width", "model.config.fsq_levels"]
    records = random_records(header, np.random.default_rng(4))
    assert read_all(write_file(tmp_path / "a.etok", header, records))[1] == records


@pytest.mark.parametrize(
    ("path", "value"), [("token_coding", "rans-v2"), ("model.config.bottleneck", "vae")]
)
def test_unknown_coding_or_bottleneck_is_incompatible(tmp_path, path, value):
    header = make_header()
    data = write_file(tmp_path / "a.etok", header, random_records(header, np.random.default_rng(5)))
    with ContainerReader(tmp_path / "a.etok") as reader:
        full = reader.wire
    _, records = split(data)
    assert isinstance(
        refusal(assemble(packed(_with(full, path, value)), records)), ContainerIncompatible
    )


def _valid_parts(tmp_path):
    header = make_header()
    data = write_file(tmp_path / "a.etok", header, random_records(header, np.random.default_rng(6)))
    return split(data)


def test_newer_minimum_reader_is_incompatible(tmp_path):
    raw, records = _valid_parts(tmp_path)
    newer = layout.READER_VERSION + 1
    err = refusal(assemble(raw, records, version=newer, min_reader=newer))
    assert isinstance(err, ContainerIncompatible)
    assert "upgrade" in str(err)


def test_newer_format_readable_by_v1_is_read(tmp_path):
    raw, records = _valid_parts(tmp_path)
    assert refusal(assemble(raw, records, version=7, min_reader=1)) is None


@pytest.mark.parametrize(("version", "min_reader"), [(0, 0), (1, 0), (1, 2)])
def test_impossible_versions_are_corrupt(tmp_path, version, min_reader):
    raw, records = _valid_parts(tmp_path)
    assert isinstance(
        refusal(assemble(raw, records, version=version, min_reader=min_reader)), ContainerError
    )


def test_duplicate_keys_are_refused(tmp_path):
    raw, records = _valid_parts(tmp_path)
    # Re-encode the top map with "max_tokens" twice: a second value no reader should see.
    assert raw[0] & 0xF0 == 0x80  # fixmap
    n = raw[0] & 0x0F
    dup = bytes([0x80 | (n + 1)]) + raw[1:] + packed("max_tokens") + packed(3)
    err = refusal(assemble(dup, records))
    assert isinstance(err, ContainerError)
    assert "duplicate" in str(err)


def test_extension_types_are_refused(tmp_path):
    raw, records = _valid_parts(tmp_path)
    n = raw[0] & 0x0F
    stamp = b"\xd6\xff\x00\x00\x00\x00"  # msgpack timestamp extension
    ext = bytes([0x80 | (n + 1)]) + raw[1:] + packed("when") + stamp
    assert isinstance(refusal(assemble(ext, records)), ContainerError)


def test_header_is_not_a_map(tmp_path):
    _, records = _valid_parts(tmp_path)
    assert isinstance(refusal(assemble(packed([1, 2, 3]), records)), ContainerError)
