"""elastictok's XLA CPU defaults never override what the user put in XLA_FLAGS."""

import os
import subprocess
import sys

from elastictok_cli import xla_defaults

FLAG = "--xla_cpu_experimental_ynn_fusion_type"


def test_defaults_are_added_to_empty_flags():
    assert xla_defaults.merged_flags("") == f"{FLAG}="


def test_users_other_flags_are_kept():
    merged = xla_defaults.merged_flags("--xla_force_host_platform_device_count=2")
    assert merged.split() == ["--xla_force_host_platform_device_count=2", f"{FLAG}="]


def test_users_own_value_wins():
    assert xla_defaults.merged_flags(f"{FLAG}=dot") == f"{FLAG}=dot"


def test_apply_sets_them_and_xla_accepts_them():
    # XLA aborts the process on a flag it does not know, so the computation must run.
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    code = (
        "from elastictok_cli import xla_defaults; xla_defaults.apply(); "
        "import os, jax; jax.numpy.ones(1); print(os.environ['XLA_FLAGS'])"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{FLAG}="


def test_importing_the_package_and_its_api_leaves_the_environment_alone():
    code = (
        "import os; before = dict(os.environ); "
        "import elastictok_cli, elastictok_cli.api, elastictok_cli.cli.app; "
        "print(dict(os.environ) == before)"
    )
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_only_training_commands_get_them():
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    assert xla_defaults.apply_for("encode", env) == "--xla_force_host_platform_device_count=2"
    assert env == {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    assert xla_defaults.apply_for("train", env).split() == [
        "--xla_force_host_platform_device_count=2",
        f"{FLAG}=",
    ]
