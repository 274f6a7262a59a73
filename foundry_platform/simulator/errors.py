"""The simulator's one error: the simulation itself could not complete (not a rejected request)."""

from __future__ import annotations


class SimulationError(Exception):
    """The simulation itself could not complete (not a rejected request)."""
