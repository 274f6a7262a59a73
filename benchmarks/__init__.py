"""Benchmarks (`make bench`): print figures; nothing here asserts a timing."""
