"""Encoding the sample clip gives the same bytes as ever: refactors must not move a bit.

The hashes were taken from the shipped model on this project's own sample clip (cropped
to one 64x64 tile so the three encodes take seconds). A change that alters the codec's
output on purpose updates them in the same commit and says why.
"""

import hashlib
from pathlib import Path

import pytest
from support.cli import run_text

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "pan.mp4"

PINNED = {
    ("--tokens", "64"): "8b21388271d2ca251a65a9aea4bb370fbaa3a9abe912637ba1bd2c5fd4ea4c0a",
    # Without skipped tiles, a target encodes exactly as before they existed (format v1).
    ("--mse", "0.007", "--no-skip"): (
        "8cb97f7d78264ab842fb0e72937bb336e0895be9dca68539a22cfcfc90011fb9"
    ),
    ("--psnr", "30", "--search", "binary", "--no-skip"): (
        "c1129f4c1ec654fcac39d33738860f116d32f1f74e3a223419880511ae612881"
    ),
    # The default under a target: skipped tiles on, format v2.
    ("--mse", "0.007"): "6088405b43bb9873452ee1bc9af01af6504ddaf7b46a77f88de6eb14c95e93cc",
}


@pytest.mark.parametrize("flags", list(PINNED), ids=lambda flags: "".join(flags))
def test_sample_encode_is_byte_identical(tmp_path, flags):
    out = tmp_path / "pan.etok"
    result = run_text("encode", SAMPLE, *flags, "--fit", "crop", "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == PINNED[flags]
