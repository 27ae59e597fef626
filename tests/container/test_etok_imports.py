"""The container library starts fast: no JAX, no CLI framework."""

import subprocess
import sys

PROBE = (
    "import sys, elastictok_cli.container as c; "
    "print(','.join(m for m in ('jax', 'flax', 'typer', 'rich') if m in sys.modules))"
)


def test_container_imports_no_jax_and_no_cli():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_errors_map_to_documented_exit_codes():
    from elastictok_cli.container import ContainerError, ContainerIncompatible

    assert ContainerError("x").exit_code == 3
    assert ContainerIncompatible("x").exit_code == 4
