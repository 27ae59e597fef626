"""Helpers shared by the test folders: clips made with plain PyAV and tiny model folders."""
