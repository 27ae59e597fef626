"""The .etok container: a streaming, checksummed, atomic file of per-block token records.

Imports no JAX: reading a file's header and tokens needs no model.
"""

from elastictok_cli.container.errors import ContainerError, ContainerIncompatible
from elastictok_cli.container.header import bits_for_levels, validate_header
from elastictok_cli.container.layout import FORMAT_VERSION, READER_VERSION, TOKEN_CODING
from elastictok_cli.container.reader import ContainerReader, open_container
from elastictok_cli.container.records import BlockRecord
from elastictok_cli.container.schema import EncodeFacts, Header, ModelFacts, VideoFacts
from elastictok_cli.container.writer import ContainerWriter

__all__ = [
    "FORMAT_VERSION",
    "READER_VERSION",
    "TOKEN_CODING",
    "BlockRecord",
    "ContainerError",
    "ContainerIncompatible",
    "ContainerReader",
    "ContainerWriter",
    "EncodeFacts",
    "Header",
    "ModelFacts",
    "VideoFacts",
    "bits_for_levels",
    "open_container",
    "validate_header",
]
