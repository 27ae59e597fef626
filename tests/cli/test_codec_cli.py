"""The codec commands as a user runs them: outputs, JSON, and every documented error path."""

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction

import av
import numpy as np
import pytest
from support.cli import run_cli as run
from support.clips import moving_clip, read_frames, write_with_pyav
from support.models import make_model_folder
from support.signals import CLI_WITH_SIGINT

from elastictok_cli.cli.inspect import tile_counts


def assert_error(result, code):
    """Exit code, one line on stderr, no traceback."""
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert err.startswith("elastictok: error:") and err.strip().count("\n") == 0, err
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A model, a clip and its encoding, shared by the module's tests."""
    root = tmp_path_factory.mktemp("cli")
    model = make_model_folder(root / "tiny")
    clip = write_with_pyav(root / "clip.mp4", moving_clip(10, 24, 40), fps=Fraction(25))
    result = run("encode", clip, "-o", root / "clip.etok", "--model", model, "--mse", 0.6, "--json")
    assert result.returncode == 0, result.stderr.decode()
    return {
        "root": root,
        "model": model,
        "clip": clip,
        "etok": root / "clip.etok",
        "summary": json.loads(result.stdout),
    }


def test_encode_summary_json(work):
    s = work["summary"]
    assert s["frames"] == 10 and s["blocks"] == 3 and s["tiles"] == 6
    assert 0 < s["tokens"] <= s["max_tokens"] == 3 * 6 * 64
    assert s["bytes"] == work["etok"].stat().st_size and s["bpp"] > 0
    assert s["passes_per_block"] >= 1 and s["search"] == "gallop"


def test_inspect_json_carries_the_documented_fields(work):
    result = run("inspect", work["etok"], "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    # Under a target tiles may be skipped, which format 2 stores.
    assert report["format_version"] == 2 and report["encode"]["skip_tiles"] is True
    assert set(report["model"]) >= {"name", "sha256"}
    assert (report["video"]["width"], report["video"]["height"]) == (40, 24)
    assert report["video"]["frames"] == 10 and report["video"]["fps"] == "25/1"
    assert [b["index"] for b in report["blocks"]] == [0, 1, 2]
    assert all(len(b["tokens"]) == len(b["distortion"]) == 6 for b in report["blocks"])
    assert report["totals"]["tokens"] == work["summary"]["tokens"]
    assert set(report["totals"]) >= {"tokens", "max_tokens", "bytes", "bpp"}
    human = run("inspect", work["etok"])
    assert human.returncode == 0 and b"token use per block" in human.stdout


def test_inspect_and_tokens_never_import_jax(work):
    script = (
        "import sys\n"
        "from elastictok_cli.cli import app, boundary\n"
        "code = boundary.run(app.app)\n"
        "assert 'jax' not in sys.modules, 'jax was imported'\n"
        "sys.exit(code)\n"
    )
    for args in (["inspect", work["etok"]], ["tokens", work["etok"], "-o", work["root"] / "t.npz"]):
        result = subprocess.run(
            [sys.executable, "-c", script, *map(str, args)], capture_output=True
        )
        assert result.returncode == 0, result.stderr.decode()


def test_tokens_npz_matches_inspect(work, tmp_path):
    out = tmp_path / "tokens.npz"
    assert run("tokens", work["etok"], "-o", out).returncode == 0
    data = np.load(out)
    assert data["tokens"].shape == (3, 6, 64) and data["counts"].sum() == work["summary"]["tokens"]
    for block, counts in zip(data["tokens"], data["counts"], strict=True):
        for ids, count in zip(block, counts, strict=True):
            assert (ids[:count] >= 0).all() and (ids[count:] == -1).all()
    assert int(data["frames"]) == 10
    # Skipped tiles are marked and keep no tokens, as inspect reports them.
    assert data["skipped"].shape == (3, 6) and (data["counts"][data["skipped"]] == 0).all()
    report = json.loads(run("inspect", work["etok"], "--json").stdout)
    assert int(data["skipped"].sum()) == report["totals"]["skipped"]


@pytest.mark.parametrize(
    "names",
    [("out.mkv", "frames/"), pytest.param(("out.mp4", "out.y4m"), marks=pytest.mark.heavy)],
)
def test_decode_gives_back_size_rate_and_count(work, tmp_path, names):
    for name in names:
        target = f"{tmp_path}/{name}"  # a Path would drop the folder's trailing slash
        result = run("decode", work["etok"], "-o", target, "--model", work["model"])
        assert result.returncode == 0, result.stderr.decode()
    for name in (n for n in names if not n.endswith("/")):
        with av.open(str(tmp_path / name)) as container:
            stream = container.streams.video[0]
            assert (stream.width, stream.height) == (40, 24)
            assert Fraction(stream.average_rate) == 25
        assert len(read_frames(tmp_path / name)) == 10
    if "frames/" in names:
        assert len(list((tmp_path / "frames").glob("*.png"))) == 10


def test_encode_is_deterministic_and_reads_stdin(work, tmp_path):
    y4m = write_with_pyav(
        tmp_path / "clip.y4m",
        moving_clip(6, 24, 40),
        codec="rawvideo",
        pix_fmt="yuv444p",
        muxer="yuv4mpegpipe",
    )
    first = run(
        "encode",
        "-",
        "-o",
        tmp_path / "a.etok",
        "--model",
        work["model"],
        "--mse",
        0.6,
        stdin=y4m.read_bytes(),
    )
    assert first.returncode == 0, first.stderr.decode()
    second = run("encode", y4m, "-o", tmp_path / "b.etok", "--model", work["model"], "--mse", 0.6)
    assert second.returncode == 0
    assert (tmp_path / "a.etok").read_bytes() == (tmp_path / "b.etok").read_bytes()


# --- errors -------------------------------------------------------------------------------


def test_bad_inputs_exit_3(work, tmp_path):
    model = work["model"]
    (tmp_path / "notes.mp4").write_text("not a video at all\n" * 50)
    corrupt = tmp_path / "corrupt.mp4"
    data = bytearray(work["clip"].read_bytes())
    corrupt.write_bytes(bytes(data[: len(data) // 3]) + os.urandom(len(data) // 3))
    audio = tmp_path / "audio.wav"
    with av.open(str(audio), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 800), np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    empty = tmp_path / "empty.mkv"
    with av.open(str(empty), "w") as container:
        stream = container.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "bgr0"
    for path in (tmp_path / "absent.mp4", tmp_path / "notes.mp4", corrupt, audio, empty):
        assert_error(run("encode", path, "-o", tmp_path / "x.etok", "--model", model), 3)
    assert not (tmp_path / "x.etok").exists()


def test_damaged_containers_exit_3(work, tmp_path):
    data = work["etok"].read_bytes()
    truncated = tmp_path / "truncated.etok"
    truncated.write_bytes(data[: len(data) - 20])
    flipped = tmp_path / "flipped.etok"
    middle = bytearray(data)
    middle[len(data) // 2] ^= 0x10
    flipped.write_bytes(bytes(middle))
    for path in (truncated, flipped):
        assert_error(run("inspect", path), 3)
        assert_error(run("decode", path, "-o", tmp_path / "o.mp4", "--model", work["model"]), 3)
    assert not (tmp_path / "o.mp4").exists()


def test_a_container_from_another_model_exits_4(work, tmp_path):
    other = make_model_folder(tmp_path / "other", seed=7)
    result = run("decode", work["etok"], "-o", tmp_path / "o.mp4", "--model", other)
    assert_error(result, 4)
    assert not (tmp_path / "o.mp4").exists()


def test_output_problems_exit_5(work, tmp_path):
    model = work["model"]
    assert_error(run("encode", work["clip"], "-o", tmp_path / "no" / "x.etok", "--model", model), 5)
    existing = tmp_path / "exists.etok"
    existing.write_bytes(b"keep me")
    assert_error(run("encode", work["clip"], "-o", existing, "--model", model), 5)
    assert existing.read_bytes() == b"keep me"
    assert_error(run("decode", work["etok"], "-o", tmp_path / "no" / "x.mp4"), 5)
    result = run("encode", work["clip"], "-o", existing, "--model", model, "--force", "-q")
    assert result.returncode == 0 and existing.read_bytes()[:5] == b"\x89ETOK"


def test_usage_errors_exit_2(work, tmp_path):
    clip, model = work["clip"], work["model"]
    assert_error(run("encode", clip, "--mse", 0.01, "--tokens", 8, "--model", model), 2)
    assert_error(run("encode", "-", "--model", model), 2)
    assert_error(run("encode", clip, "--search", "psychic", "--model", model), 2)
    assert_error(run("encode", clip, "-o", tmp_path / "x.etok", "--model", "no-such-model"), 2)
    assert_error(run("encode", clip, "-o", tmp_path / "x.etok", "--optimize", -1), 2)


def test_encode_optimize_reports_its_steps_and_decodes(work, tmp_path):
    out = tmp_path / "opt.etok"
    args = ("--model", work["model"], "--mse", 0.6, "--optimize", 3, "--json")
    result = run("encode", work["clip"], "-o", out, *args)
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    assert summary["optimize_steps"] == 3 and work["summary"]["optimize_steps"] == 0
    # Under a target the optimization is spent on tokens, not on quality beyond it.
    assert summary["tokens"] < work["summary"]["tokens"]
    assert summary["tile_blocks_missing_target"] <= work["summary"]["tile_blocks_missing_target"]
    decoded = run("decode", out, "-o", tmp_path / "opt.mkv", "--model", work["model"])
    assert decoded.returncode == 0 and len(read_frames(tmp_path / "opt.mkv")) == 10


def interrupt_when_writing(args, folder):
    """Start the CLI, send SIGINT once its temporary output exists, return the result."""
    process = subprocess.Popen(
        [sys.executable, "-c", CLI_WITH_SIGINT, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(p.name.endswith(".part") for p in folder.rglob(".*")):
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


def test_ctrl_c_exits_130_and_leaves_nothing(work, tmp_path):
    long_clip = write_with_pyav(tmp_path / "long.mp4", moving_clip(400, 48, 64), fps=Fraction(25))
    out = tmp_path / "out"
    out.mkdir()
    code, err = interrupt_when_writing(
        [
            "encode",
            long_clip,
            "-o",
            out / "x.etok",
            "--model",
            work["model"],
            "--search",
            "exhaustive",
        ],
        out,
    )
    assert code == 130 and "Traceback" not in err, err
    assert "elastictok: error: interrupted" in err
    assert list(out.iterdir()) == []
    code, err = interrupt_when_writing(
        ["decode", work["etok"], "-o", f"{out}/frames/", "--model", work["model"]], out
    )
    assert code in (0, 130) and "Traceback" not in err, err
    if code == 130:
        assert not (out / "frames").exists() or list((out / "frames").iterdir()) == []


def test_inspect_never_cuts_a_tile_count():
    tokens = [256, 16, 136, 201] * 10
    text = tile_counts(tokens, width=30)
    shown, rest = text.split(" +")
    assert len(text) <= 30 and rest == f"{len(tokens) - len(shown.split())} more"
    assert [int(n) for n in shown.split()] == tokens[: len(shown.split())]
    assert tile_counts([1, 2, 3], width=30) == "1 2 3"
    assert tile_counts([256] * 5, width=8) == "+5 more"


def test_inspect_rows_stay_one_line_in_a_pipe(tmp_path):
    """A wide video's block rows fit the 80 columns a pipe gets, one line per block."""
    from container.etok_samples import make_header, random_records, write_file

    header = make_header(width=320, height=240, frames=12)  # 300 tiles, 3 blocks
    write_file(tmp_path / "wide.etok", header, random_records(header, np.random.default_rng(0)))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    result = run("inspect", tmp_path / "wide.etok", env=env)
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    rows = lines[next(i for i, line in enumerate(lines) if "per tile" in line) + 1 :]
    assert len(rows) == 3 and all(len(row) <= 80 for row in rows), rows
    assert all(row.split()[0] == str(i) and "more" in row for i, row in enumerate(rows)), rows
    assert "sha256 3f3f3f3f3f3f\n" in result.stdout.decode()


def test_a_killed_encodes_leftover_is_kept_and_named(work, tmp_path):
    target = tmp_path / "again.etok"
    leftover = tmp_path / ".again.etok.0badf00d.part"
    leftover.write_bytes(b"blocks of a killed encode")
    result = run(
        "encode", work["clip"], "-o", target, "--model", work["model"], "--tokens", 8, "--quiet"
    )
    assert result.returncode == 0, result.stderr.decode()
    assert "elastictok repair" in result.stderr.decode()
    assert leftover.read_bytes() == b"blocks of a killed encode"  # never deleted silently
