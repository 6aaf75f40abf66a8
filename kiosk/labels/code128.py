"""Code 128 for management IDs: the encoder lives in `drivers.code128` (shared with the simulator)."""

from __future__ import annotations

from drivers.code128 import (
    ENCODERS,
    PATTERNS,
    START_C,
    STOP,
    Encoder,
    encode,
    python_barcode_pattern,
    symbol_values,
)

__all__ = [
    "ENCODERS",
    "PATTERNS",
    "START_C",
    "STOP",
    "Encoder",
    "encode",
    "python_barcode_pattern",
    "symbol_values",
]
