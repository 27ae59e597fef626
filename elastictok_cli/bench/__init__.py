"""Rate-distortion benchmarking against fixed token counts and classic codecs."""
