"""elastictok: a video and image codec built on ElasticTok adaptive tokenization."""

__version__ = "0.1.0"
