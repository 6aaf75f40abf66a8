"""How each verdict looks and sounds: the text catalogue's (`kiosk.texts`), under the TUI's names."""

from __future__ import annotations

from kiosk.texts import (
    BELLS,
    LOOKS,
    NEXT_STEPS,
    REASONS,
    Look,
    Tone,
    device_reason_text,
    look,
    next_step_text,
    place_label,
    reason_text,
    refusal_label,
)

__all__ = [
    "BELLS",
    "LOOKS",
    "NEXT_STEPS",
    "REASONS",
    "Look",
    "Tone",
    "device_reason_text",
    "look",
    "next_step_text",
    "place_label",
    "reason_text",
    "refusal_label",
]
