"""Kubernetes manifests as plain data, rendered by pure functions from effective values."""
