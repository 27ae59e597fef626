"""Context-coded token ids: an adaptive context model over FSQ digits and a range coder."""

from elastictok_cli.entropy.coder import CoderState, EntropyError, decode_block, encode_block
from elastictok_cli.entropy.contexts import Layout
from elastictok_cli.entropy.tables import (
    TABLES_FILE,
    TablesError,
    TokenTables,
    load_tables,
    tables_sha256,
)

__all__ = [
    "TABLES_FILE",
    "CoderState",
    "EntropyError",
    "Layout",
    "TablesError",
    "TokenTables",
    "decode_block",
    "encode_block",
    "load_tables",
    "tables_sha256",
]
