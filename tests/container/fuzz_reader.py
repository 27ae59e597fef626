#!/usr/bin/env python3
"""Coverage-guided fuzzing of the .etok reader with atheris (run by hand, not by pytest).

    pip install '.[fuzz]'
    cd tests/container
    ./fuzz_reader.py --make-seeds SEEDS
    ./fuzz_reader.py WORK SEEDS -max_total_time=900 -max_len=4096 -use_value_profile=1
    ./fuzz_reader.py -merge=1 corpus WORK SEEDS     # keeps a minimal covering set
    FUZZ_TARGET=repair ./fuzz_reader.py WORK SEEDS -max_total_time=600 -max_len=4096

FUZZ_TARGET=repair fuzzes the salvage scanner behind `elastictok repair` and
`decode --conceal` instead of the reader.

(libFuzzer re-runs the script itself when merging, so run it as an executable with the
environment's python first on PATH.)

Any exception other than a container error, a failed consistency check, a hang or a
large allocation is a finding; the merged corpus is replayed by every test run.
"""

import os
import sys
import tempfile
from pathlib import Path

import atheris
import msgpack  # noqa: F401 - imported before instrumentation: only our code is traced
import numpy as np
import zstandard  # noqa: F401

sys.path.insert(0, str(Path(__file__).resolve().parent))

with atheris.instrument_imports(include=["elastictok_cli.container", "etok_fuzz_target"]):
    from etok_fuzz_target import decompress_records, one_input, one_repair_input


def make_seeds(folder: Path) -> None:
    """Small valid files over the range of bit widths, tile grids and frame counts.

    Each also as a plain-payload variant, which `compress_records` turns back into it.
    """
    from etok_samples import make_header, random_records, write_file

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    shapes = [
        {"levels": (2,)},
        {"levels": (8, 5, 5, 5), "width": 16, "height": 9, "frames": 7},
        {"levels": (8, 8, 8, 5, 5, 5), "frames": 5},
        {"levels": (65536, 65536), "width": 8, "height": 8, "tile": (8, 8), "frames": 3},
        {"levels": (3, 3), "patch": (2, 4, 4), "frames_per_block": 2, "frames": 3},
    ]
    with tempfile.TemporaryDirectory() as scratch:
        for i, shape in enumerate(shapes):
            header = make_header(**shape)
            records = random_records(header, rng)
            data = write_file(Path(scratch) / f"{i}.etok", header, records)
            (folder / f"seed-{i}.etok").write_bytes(data)
            (folder / f"seed-{i}-plain.etok").write_bytes(decompress_records(data))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--make-seeds"]:
        make_seeds(Path(sys.argv[2]))
    else:
        target = one_repair_input if os.environ.get("FUZZ_TARGET") == "repair" else one_input
        atheris.Setup(sys.argv, target)
        atheris.Fuzz()
