"""Data parallelism: two devices match one on the same global batch; two processes train."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent


def test_two_devices_give_the_losses_of_one():
    # XLA_FLAGS must be set before jax starts, so this runs in its own interpreter.
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    done = subprocess.run(
        [sys.executable, str(HERE / "two_devices.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["shards"] == [1, 2]
    np.testing.assert_allclose(result["two"], result["one"], rtol=1e-5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.heavy
def test_two_processes_train_together(media_dir, tmp_path):
    workdir = tmp_path / "run"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "elastictok_cli",
                "train",
                str(media_dir),
                "--workdir",
                str(workdir),
                "-c",
                "test",
                "--steps",
                "3",
                "--batch-size",
                "4",
                "--log-every",
                "1",
                "--eval-every",
                "100",
                "--checkpoint-every",
                "2",
                "--quiet",
                "--coordinator",
                f"127.0.0.1:{port}",
                "--num-processes",
                "2",
                "--process-id",
                str(i),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
    records = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
    start = records[0]
    assert start["processes"] == 2 and start["devices"] == 2
    assert [r["step"] for r in records if r["kind"] == "train"] == [1, 2, 3]
    assert sorted(p.name for p in (workdir / "checkpoints").iterdir()) == ["2", "3"]
