"""Suite-wide setup: the CLI subprocesses share one compilation cache, never the user's."""

import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="elastictok-test-xla-")


def pytest_configure(config):
    """Point every CLI the tests start at a throwaway cache (set before any child starts)."""
    os.environ["ELASTICTOK_CACHE_DIR"] = _CACHE


def pytest_unconfigure(config):
    """Remove the throwaway cache."""
    shutil.rmtree(_CACHE, ignore_errors=True)
