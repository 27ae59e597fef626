"""The codec: tiling, the per-block token search, encode and decode of whole videos."""
