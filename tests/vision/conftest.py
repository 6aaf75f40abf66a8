"""Shared helpers for the vision tests: rendered frames only, never files from a real camera."""

from __future__ import annotations

import pytest

from simulator.cabinet import make_management_id


@pytest.fixture
def mid() -> str:
    """A valid simulator management ID."""
    return make_management_id(4242)


@pytest.fixture
def mynumber_shaped() -> str:
    """A 12-digit string built at run time (no such literal may sit in the code base)."""
    digits = "".join(str((7 + i * 3) % 10) for i in range(6))
    return digits * 2
