"""elastictok: a video and image codec built on ElasticTok adaptive tokenization."""

__version__ = "0.1.0"

# Before anything imports JAX: the CPU flags every entry point (CLI, library, tests) runs with.
from elastictok_cli import xla_defaults  # noqa: E402

xla_defaults.apply()
