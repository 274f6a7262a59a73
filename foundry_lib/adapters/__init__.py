"""Adapters: the only modules that import outside-system libraries."""
