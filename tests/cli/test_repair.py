"""repair, inspect and decode --conceal on damaged files, as a user runs them."""

import json
from fractions import Fraction

import pytest
from support.cli import run_cli as run
from support.clips import moving_clip, read_frames, write_with_pyav
from support.models import make_model_folder

from elastictok_cli.container import ContainerReader
from elastictok_cli.container.salvage import Salvage


def assert_error(result, code):
    """Exit code, one line on stderr, no traceback."""
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert err.startswith("elastictok: error:") and err.strip().count("\n") == 0, err


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A model, a 7-block encoding, and copies damaged in block 2 and in the index."""
    root = tmp_path_factory.mktemp("repair")
    model = make_model_folder(root / "tiny")
    clip = write_with_pyav(root / "clip.mp4", moving_clip(26, 24, 40), fps=Fraction(25))
    etok = root / "clip.etok"
    result = run("encode", clip, "-o", etok, "--model", model, "--tokens", 20, "--quiet")
    assert result.returncode == 0, result.stderr.decode()
    data = etok.read_bytes()
    with Salvage(data) as salvage:
        spans = [(f.offset, f.offset + f.size) for f in salvage.scan()]
    bad = bytearray(data)
    bad[spans[2][0] + 6] ^= 0x08
    (root / "bad.etok").write_bytes(bad)
    (root / "cut.etok").write_bytes(data[: spans[5][0] + 20])  # no index; 5 and 6 gone
    (root / "junk.etok").write_bytes(b"not a container at all" * 10)
    return {"root": root, "model": model, "etok": etok, "spans": spans}


def test_repair_keeps_the_blocks_around_a_damaged_one(work):
    out = work["root"] / "fixed.etok"
    result = run("repair", work["root"] / "bad.etok", "-o", out, "--json")
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["kept"] == [0, 1, 3, 4, 5, 6] and report["lost"] == [2]
    assert report["blocks"] == 6 and report["frames"] == 26 - 4
    with ContainerReader(out) as reader:
        assert reader.wire["repair"]["lost"] == [[2, 2]]
        assert len(list(reader)) == 6
    human = run("repair", work["root"] / "bad.etok", "-o", out, "--force")
    assert human.returncode == 0
    assert b"6 blocks, 22 frames" in human.stdout and b"lost blocks 2" in human.stderr


def test_repair_exit_codes(work):
    root = work["root"]
    assert_error(run("repair", root / "junk.etok", "-o", root / "x.etok"), 3)
    assert_error(run("repair", root / "bad.etok"), 2)  # not a .part: needs -o
    assert_error(run("repair", root / "bad.etok", "-o", work["etok"]), 5)
    assert not (root / "x.etok").exists()


def test_repair_of_a_part_defaults_to_its_target(work):
    part = work["root"] / ".later.etok.0badc0de.part"
    part.write_bytes((work["root"] / "cut.etok").read_bytes())
    result = run("repair", part, "--json")
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["kept"] == [0, 1, 2, 3, 4]
    assert (work["root"] / "later.etok").exists()
    cleaned = run("repair", "--clean", work["root"], "--json")
    assert json.loads(cleaned.stdout)["removed"] == [str(part)] and not part.exists()


def test_inspect_marks_damaged_blocks_and_exits_3(work):
    result = run("inspect", work["root"] / "bad.etok", "--json")
    assert_error(result, 3)
    report = json.loads(result.stdout)
    assert report["damaged_blocks"] == [2]
    assert report["blocks"][2]["damaged"] is True and "checksum" in report["blocks"][2]["reason"]
    assert [b["index"] for b in report["blocks"]] == list(range(7))
    table = run("inspect", work["root"] / "bad.etok")
    assert_error(table, 3)
    assert b"damaged" in table.stdout and b"token use per block" in table.stdout


def test_inspect_without_an_index_scans_for_the_blocks(work):
    result = run("inspect", work["root"] / "cut.etok", "--json")
    assert_error(result, 3)
    report = json.loads(result.stdout)
    assert report["damaged_blocks"] == [5, 6] and "no index" in report["file_damage"]
    assert_error(run("inspect", work["root"] / "junk.etok"), 3)


def test_decode_refuses_damage_unless_asked_to_conceal(work):
    root = work["root"]
    assert_error(
        run("decode", root / "bad.etok", "-o", root / "no.y4m", "--model", work["model"]), 3
    )
    assert not (root / "no.y4m").exists()
    result = run(
        "decode", root / "cut.etok", "-o", root / "cut.y4m", "--model", work["model"], "--conceal"
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr.decode().strip() == "note: concealed 2 damaged or missing blocks: 5, 6"
    assert len(read_frames(root / "cut.y4m")) == 26
