"""Suite-wide setup: a throwaway compilation cache for CLI subprocesses; the CLI's XLA flags."""

import os
import shutil
import tempfile

from elastictok_cli import xla_defaults

_CACHE = tempfile.mkdtemp(prefix="elastictok-test-xla-")


def pytest_configure(config):
    """Point every CLI the tests start at a throwaway cache (set before any child starts)."""
    os.environ["ELASTICTOK_CACHE_DIR"] = _CACHE
    # The library applies no flags on import; in-process tests run as the CLI does.
    xla_defaults.apply()


def pytest_unconfigure(config):
    """Remove the throwaway cache."""
    shutil.rmtree(_CACHE, ignore_errors=True)
