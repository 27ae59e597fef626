"""elastictok: a video and image codec built on ElasticTok adaptive tokenization.

Importing the package changes nothing in the host process; the Python API lives in
`elastictok_cli.api` (docs/API.md).
"""

__version__ = "0.1.0"
