"""Salvage without a model: the scanner finds exactly the intact records of damaged files."""

import dataclasses
import io

import numpy as np
import pytest
import zstandard
from etok_fuzz_target import one_repair_input
from etok_samples import make_header, random_records, write_file
from support.damage import damage
from test_etok_fuzz_corpus import INPUTS

from elastictok_cli.container import ContainerError, ContainerReader
from elastictok_cli.container.frames import record_crc
from elastictok_cli.container.salvage import (
    ConcealedBlocks,
    Salvage,
    block_number,
    frame_length,
    repair_file,
    runs,
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """A 10-block file, its records and where each record lies."""
    header = make_header(frames=37)
    records = random_records(header, np.random.default_rng(3))
    data = write_file(tmp_path_factory.mktemp("salvage") / "a.etok", header, records)
    with ContainerReader(io.BytesIO(data)) as reader:
        start = 21 + reader.header_size + 4
        sizes = reader.block_sizes
    offsets = start + np.concatenate(([0], np.cumsum(sizes)[:-1]))
    spans = [(int(o), int(o) + s) for o, s in zip(offsets, sizes, strict=True)]
    return {"header": header, "records": records, "data": data, "spans": spans, "start": start}


def kept(data: bytes) -> list:
    """(index, record) of every record the scanner keeps."""
    with Salvage(data) as salvage:
        return [(f.index, f.record) for f in salvage.scan()]


@pytest.mark.parametrize("number", [0, 1, 7, 12345, 2**31 + 5, 2**32 - 1])
def test_block_number_is_solved_from_the_crc(number):
    frame = zstandard.ZstdCompressor().compress(bytes(range(200)) * 3)
    assert block_number(frame, record_crc(number, frame)) == number


@pytest.mark.parametrize("size", [1, 100, 5000, 300_000])
def test_frame_length_follows_the_zstd_headers(size):
    payload = np.random.default_rng(size).integers(0, 4, size, dtype=np.uint8).tobytes()
    for level in (1, 19):
        frame = zstandard.ZstdCompressor(level=level, write_checksum=True).compress(payload)
        padded = frame + b"tail bytes"
        assert frame_length(padded, 0, len(padded)) == len(frame)
        assert frame_length(padded, 0, len(frame) - 1) is None  # cut short


def test_an_intact_file_is_found_whole(sample):
    found = kept(sample["data"])
    assert [i for i, _ in found] == list(range(10))
    assert [r for _, r in found] == sample["records"]
    with Salvage(sample["data"]) as salvage:
        list(salvage.scan())
        assert salvage.unread_bytes == 0


def test_every_truncation_keeps_the_whole_records_before_it(sample):
    data, spans = sample["data"], sample["spans"]
    for cut in range(sample["start"], len(data)):
        whole = [i for i, (_, end) in enumerate(spans) if end <= cut]
        assert [i for i, _ in kept(data[:cut])] == whole, cut


def test_a_cut_in_the_header_recovers_nothing(sample):
    for cut in (0, 10, 21, sample["start"] - 1):
        with pytest.raises(ContainerError):
            Salvage(sample["data"][:cut])


def test_a_block_cut_out_keeps_the_ones_after_it(sample):
    data, (first, end) = sample["data"], sample["spans"][4]
    found = kept(data[:first] + data[end:])
    assert [i for i, _ in found] == [0, 1, 2, 3, 5, 6, 7, 8, 9]


def test_a_moved_record_is_not_taken_for_another_block(sample):
    data, spans = sample["data"], sample["spans"]
    (a, b), (c, d) = spans[2], spans[3]
    swapped = data[:a] + data[c:d] + data[a:b] + data[d:]
    # Block 3 now stands first: it is kept as 3, and block 2 behind it is out of order.
    assert [i for i, _ in kept(swapped)] == [0, 1, 3, 4, 5, 6, 7, 8, 9]


def check_damaged_copy(data: bytes, damaged: bytes, spans, start, records) -> None:
    """The scanner keeps exactly the untouched blocks, unchanged; header damage keeps none."""
    changed = np.flatnonzero(np.frombuffer(data, np.uint8) != np.frombuffer(damaged, np.uint8))
    if changed.size and changed[0] < start:
        with pytest.raises(ContainerError):
            kept(damaged)
        return
    intact = [i for i, (a, b) in enumerate(spans) if not ((changed >= a) & (changed < b)).any()]
    found = kept(damaged)
    assert [i for i, _ in found] == intact
    assert all(record == records[i] for i, record in found)


@pytest.mark.parametrize("seed", range(4))
def test_damaged_copies_keep_exactly_the_intact_blocks(sample, seed):
    rng = np.random.default_rng(seed)
    for _ in range(100):
        damaged = damage(sample["data"], rng, sample["start"], longest_burst=65)
        check_damaged_copy(
            sample["data"], damaged, sample["spans"], sample["start"], sample["records"]
        )


def test_repair_writes_a_valid_file_with_the_header_corrected(sample, tmp_path):
    data, spans = bytearray(sample["data"]), sample["spans"]
    data[spans[3][0] + 9] ^= 0x20
    data[spans[9][0] + 2] ^= 0x01  # the header's last block: the frame count loses its 1
    report = repair_file(bytes(data), tmp_path / "fixed.etok")
    assert report["kept"] == [0, 1, 2, 4, 5, 6, 7, 8] and report["lost"] == [3, 9]
    assert report["frames"] == 8 * 4 and report["blocks"] == 8
    with ContainerReader(tmp_path / "fixed.etok") as reader:
        assert reader.wire["video"]["frames"] == 32 and reader.wire["video"]["blocks"] == 8
        assert reader.wire["repair"]["kept"] == [[0, 2], [4, 8]]
        assert reader.wire["repair"]["lost"] == [[3, 3], [9, 9]]
        assert reader.wire["repair"]["source_blocks"] == 10
        got = list(reader)
    originals = [r for i, r in enumerate(sample["records"]) if i not in (3, 9)]
    # Renumbered, otherwise the same records.
    assert got == [dataclasses.replace(r, index=i) for i, r in enumerate(originals)]


def test_repair_keeps_the_true_frame_count_with_the_last_block(sample, tmp_path):
    data = bytearray(sample["data"])
    data[sample["spans"][1][0] + 9] ^= 0x20
    report = repair_file(bytes(data), tmp_path / "fixed.etok")
    assert report["frames"] == 37 - 4 and report["lost"] == [1]


def test_repair_of_a_file_without_a_block_refuses(sample, tmp_path):
    with pytest.raises(ContainerError, match="no intact block"):
        repair_file(sample["data"][: sample["start"] + 5], tmp_path / "none.etok")
    assert not (tmp_path / "none.etok").exists()


def test_concealed_blocks_fill_every_gap_in_order(sample):
    data, spans = bytearray(sample["data"]), sample["spans"]
    data[spans[0][0] + 9] ^= 0x20
    data[spans[5][0] + 9] ^= 0x20
    cut = bytes(data[: spans[8][0]])  # blocks 8 and 9 missing
    with ConcealedBlocks(cut) as blocks:
        out = list(blocks)
        assert blocks.concealed == [0, 5, 8, 9]
    assert len(out) == 10
    for index, record in enumerate(out):
        if index in (0, 5, 8, 9):
            assert all(record.skipped) and record.num_tokens == 0
        else:
            assert record == sample["records"][index]


def test_runs():
    assert runs([]) == [] and runs([4]) == [[4, 4]]
    assert runs([0, 1, 2, 5, 7, 8]) == [[0, 2], [5, 5], [7, 8]]


@pytest.mark.parametrize("chunk", range(2))
def test_fuzz_corpus_replays_through_the_scanner(chunk):
    for path in INPUTS[chunk::2]:
        one_repair_input(path.read_bytes())


def test_repair_drops_the_lambdas_only_when_blocks_are_renumbered(sample, tmp_path):
    header = make_header(frames=37)
    header["encode"]["lambdas"] = bytes(range(10, 20))  # one per block, as a rated encode
    data = write_file(tmp_path / "rated.etok", header, sample["records"])
    with ContainerReader(io.BytesIO(data)) as reader:
        assert reader.header.encode.lambdas == bytes(range(10, 20))
    with Salvage(data) as salvage:  # the longer header moves every record
        spans = [(f.offset, f.offset + f.size) for f in salvage.scan()]
    damaged = bytearray(data)
    damaged[spans[3][0] + 9] ^= 0x20
    repair_file(bytes(damaged), tmp_path / "gap.etok")
    with ContainerReader(tmp_path / "gap.etok") as reader:
        assert reader.header.encode.lambdas is None  # block 4 is now block 3
        assert len(reader) == 9
    repair_file(data[: spans[8][1] + 3], tmp_path / "cut.etok")
    with ContainerReader(tmp_path / "cut.etok") as reader:
        assert reader.header.encode.lambdas == bytes(range(10, 20))  # 0..8 still line up
        assert len(reader) == 9
