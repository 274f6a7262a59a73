"""A local Kratix: applies requests to an embedded cluster state and runs the real pipelines on it."""
