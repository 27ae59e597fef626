"""Rate control: --lambda, --size and --bitrate land where documented and decode as usual."""

import json

import numpy as np
import pytest
from support.cli import run_cli as run
from support.clips import moving_gradient, write_with_pyav
from support.models import make_model_folder

from elastictok_cli import api
from elastictok_cli.codec.control import WINDOW
from elastictok_cli.codec.rate import parse_amount
from elastictok_cli.container.lambdas import decode_lambdas
from elastictok_cli.errors import UsageError

OVERSHOOT = 0.03  # docs/CLI.md: a size-controlled file ends at most 3% above its target


def lossless_y4m(path, frames):
    """The frames as a raw 4:4:4 Y4M stream, what a pipe from ffmpeg would carry."""
    return write_with_pyav(
        path, list(frames), codec="rawvideo", pix_fmt="yuv444p", muxer="yuv4mpegpipe"
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny random model and a clip that turns from calm gradients to noise halfway."""
    folder = make_model_folder(tmp_path_factory.mktemp("rate") / "tiny")
    rng = np.random.default_rng(1)
    calm = moving_gradient(32, 48, 48)
    busy = [rng.integers(0, 256, (48, 48, 3), dtype=np.uint8) for _ in range(32)]
    return api.load_model(folder), np.stack(calm + busy)


def test_amounts_take_decimal_prefixes():
    assert parse_amount("2M", "--size") == 2e6 and parse_amount("500k", "--size") == 5e5
    assert parse_amount("300000", "--bitrate") == 3e5
    for bad in ("0", "-5", "2X", ""):
        with pytest.raises(UsageError):
            parse_amount(bad, "--size")


@pytest.mark.parametrize("passes", [1, 2])
def test_size_never_overshoots_through_a_complexity_jump(tmp_path, tiny, passes):
    model, frames = tiny
    assert len(frames) // 4 > WINDOW  # the window must roll over for the test to mean much
    for target in (2200, 2800):
        summary = api.encode_to_file(
            frames, tmp_path / "a.etok", model, size=target, passes=passes, force=True
        )
        assert summary["bytes"] <= target * (1 + OVERSHOOT), (target, summary["bytes"])
        assert summary["bytes"] >= target * (0.9 if passes == 1 else 0.97)
        assert len(summary["rate"]["lambda"]) == len(summary["rate"]["bits"]) == 16


def test_lambda_trades_bits_for_distortion_and_decodes_as_usual(tmp_path, tiny):
    model, frames = tiny
    sizes = []
    for lam in (0.01, 1.0):
        out = tmp_path / f"l{lam}.etok"
        summary = api.encode_to_file(frames, out, model, lam=lam, force=True)
        sizes.append(summary["bytes"])
        header = api.read_header(out)
        assert header.encode.metric == "lambda" and header.encode.threshold == lam
        assert header.encode.search == "rdo" and header.encode.passes is None
        stored = decode_lambdas(header.encode.lambdas, header.encode.lambda_group, 16)
        assert np.allclose(stored, summary["rate"]["lambda"], rtol=0.06)  # 1 byte on log scale
        decoded = np.stack(list(api.decode(out, model)))
        assert decoded.shape == frames.shape
        assert sum(summary["rate"]["bits"]) // 8 < summary["bytes"]  # plus header and tail
    assert sizes[1] < sizes[0]


def test_size_on_stdin_and_impossible_targets(tmp_path, tiny):
    model, frames = tiny
    y4m = lossless_y4m(tmp_path / "c.y4m", frames[:24])
    out = tmp_path / "s.etok"
    result = run(
        "encode",
        "-",
        "-o",
        out,
        "--model",
        str(model.folder),
        "--size",
        "1.2k",
        "--json",
        stdin=y4m.read_bytes(),
    )
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    assert summary["bytes"] <= 1200 * (1 + OVERSHOOT) and summary["frames"] == 24
    report = json.loads(run("inspect", out, "--json").stdout)
    assert report["encode"]["metric"] == "size" and report["encode"]["passes"] == 1
    # Each block's lambda, as the encode steered it, and the header's bytes not repeated.
    shown = [b["lambda"] for b in report["blocks"]]
    assert np.allclose(shown, summary["rate"]["lambda"], rtol=0.06)
    assert "lambdas" not in report["encode"]
    assert "lambda" in run("inspect", out).stdout.decode()
    for flags in (("--size", "100"), ("--bitrate", "0"), ("--bitrate", "-3k"), ("--size", "2Q")):
        result = run("encode", y4m, "-o", tmp_path / "x.etok", "--model", str(model.folder), *flags)
        err = result.stderr.decode()
        assert result.returncode == 2 and err.count("\n") == 1, err
        assert not (tmp_path / "x.etok").exists()


def test_a_size_beyond_what_the_input_can_spend_ends_below_it_with_a_note(tmp_path, tiny):
    model, frames = tiny
    y4m = lossless_y4m(tmp_path / "c.y4m", frames[:8])
    out = tmp_path / "big.etok"
    result = run("encode", y4m, "-o", out, "--model", str(model.folder), "--size", "5M")
    assert result.returncode == 0, result.stderr.decode()
    err = " ".join(result.stderr.decode().split())
    assert "below the target of 5,000,000 bytes" in err and "lower its distortion most" in err
    quiet = run(
        "encode", y4m, "-o", out, "--model", str(model.folder), "--size", "5M", "--json", "--force"
    )
    summary = json.loads(quiet.stdout)
    assert summary["rate"]["lambda_at_floor"] and summary["rate"]["target_bytes"] == 5_000_000
