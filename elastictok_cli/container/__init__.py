"""The .etok container: a streaming, checksummed, atomic file of per-block token records."""
