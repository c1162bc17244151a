"""Benchmarks: speed and size on this machine, embedders, scale, load, reliability and the instruction-set check."""
