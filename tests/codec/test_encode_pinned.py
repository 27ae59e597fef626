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
    # Bit-packed ids and no skipped tiles: exactly the bytes of format 1 as first pinned.
    ("--tokens", "64", "--coding", "bitpack"): (
        "8b21388271d2ca251a65a9aea4bb370fbaa3a9abe912637ba1bd2c5fd4ea4c0a"
    ),
    ("--mse", "0.007", "--no-skip", "--coding", "bitpack"): (
        "26111382eac3561d7329fa7f339df1586ee3409b0b1f1517f44ff6be4b704413"
    ),
    ("--psnr", "30", "--search", "binary", "--no-skip", "--coding", "bitpack"): (
        "51ff92349846b0a0893d31f07dd9ad5bdb0c946ed874014136105bfda52f5d30"
    ),
    # The defaults: context-coded ids (format 2), and skipped tiles under a target.
    ("--tokens", "64"): "d1aeb096460dce565f0162f23d8817e8a2a445c82c5a9a61212edeadb7401040",
    ("--mse", "0.007"): "a2f0543eb5a56f623b57509a5907104a159647e45dc117a755a51963ed19c310",
}


@pytest.mark.parametrize("flags", list(PINNED), ids=lambda flags: "".join(flags))
def test_sample_encode_is_byte_identical(tmp_path, flags):
    out = tmp_path / "pan.etok"
    result = run_text("encode", SAMPLE, *flags, "--fit", "crop", "-o", out, "--quiet")
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == PINNED[flags]
