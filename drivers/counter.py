"""Counter mode: one card per presentation, the one the clerk holds up, never a card in the background.

At the counter a webcam sees the card presented to it and, often, something else: a card lying on the
desk behind, a colleague's card at the edge of the view. Every label in a frame is decoded (tray mode
wants them all), so the camera must choose. `CounterPicker.pick(found, shape, now)` takes the decoded
symbols of one frame and returns the label presented:

1. the largest: labels are compared by their printed scale (pixels per module, estimated per
   symbology from the symbol's outline, so a label whose Code 128 is covered by a finger still
   compares fairly by its Data Matrix), a clear margin (`dominance`, 1.4x) decides;
2. else the nearest the centre of the frame, by a clear margin (`nearer`, a fifth of the way to a
   corner);
3. else the one chosen in the previous frames, while it is still in view (`memory` seconds);
4. else nothing, and `Pick.ambiguous` is set: the camera says "two labels in view".

A label that lost to another is remembered as background, with its size and place, for as long as it
stays in view (and `memory` seconds after): when the presented card is not readable in a frame (a
finger, motion blur) or has been taken away, the background card alone in the frame is still not
taken. It counts as presented again once it is picked up: clearly larger or nearer the centre than
where it lay. Pure: frames' symbols and the time in, decisions out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from drivers.scan import Symbology


class SymbolLike(Protocol):
    """What the picker needs of `drivers.decode.Decoded`."""

    @property
    def code(self) -> str | None: ...

    @property
    def symbology(self) -> Symbology: ...

    @property
    def corners(self) -> tuple[tuple[float, float], ...]: ...


def _modules(symbology: Symbology, code: str) -> float:
    """Modules along the longest side of a symbol carrying `code` (a rough count is enough)."""
    if symbology is Symbology.CODE128:
        chars = math.ceil(len(code) / 2) if code.isdigit() and len(code) % 2 == 0 else len(code)
        return 11 * (chars + 3) + 2
    if symbology is Symbology.DATAMATRIX:
        digits = len(code)
        for side, capacity in ((10, 6), (12, 10), (14, 16), (16, 24), (18, 36), (20, 44), (22, 60)):
            if digits <= capacity:
                return side
        return 26
    if symbology is Symbology.QR:
        return 21 if len(code) <= 34 else 25
    return 50


def _longest_side(corners: tuple[tuple[float, float], ...]) -> float:
    if len(corners) < 2:
        return 0.0
    pts = [*corners, corners[0]] if len(corners) > 2 else list(corners)
    return max(math.dist(a, b) for a, b in itertools.pairwise(pts))


@dataclass(frozen=True, slots=True)
class Candidate:
    """One label in a frame: its code, how large it is printed (px per module) and how far off centre
    (0 at the centre, 1 at a corner)."""

    code: str
    symbology: Symbology
    scale: float
    distance: float


@dataclass(frozen=True, slots=True)
class Pick:
    """What counter mode takes from a frame: `code` (None for nothing), `ambiguous` when two labels
    were in view and none could be told apart, `background` the codes set aside as not presented."""

    code: str | None = None
    symbology: Symbology | None = None
    ambiguous: bool = False
    background: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = field(default=(), repr=False)


def candidates(found: Iterable[SymbolLike], shape: tuple[int, ...]) -> list[Candidate]:
    """The labels in a frame, one per code (a label's two symbols count once, at their best)."""
    height, width = shape[0], shape[1]
    cx, cy, half_diag = width / 2, height / 2, math.hypot(width, height) / 2 or 1.0
    best: dict[str, Candidate] = {}
    for d in found:
        if d.code is None or not d.corners:
            continue
        scale = _longest_side(d.corners) / _modules(d.symbology, d.code)
        xs = [p[0] for p in d.corners]
        ys = [p[1] for p in d.corners]
        centre = (sum(xs) / len(xs), sum(ys) / len(ys))
        distance = min(1.0, math.dist(centre, (cx, cy)) / half_diag)
        old = best.get(d.code)
        if old is None or scale > old.scale:
            best[d.code] = Candidate(d.code, d.symbology, scale, distance if old is None else old.distance)
        if old is not None and distance < best[d.code].distance:
            best[d.code] = Candidate(d.code, best[d.code].symbology, best[d.code].scale, distance)
    return list(best.values())


class CounterPicker:
    """Chooses the presented label frame by frame; see the module docstring."""

    def __init__(self, *, dominance: float = 1.4, nearer: float = 0.2, memory: float = 3.0) -> None:
        self.dominance = dominance
        self.nearer = nearer
        self.memory = memory
        self._chosen: str | None = None
        self._chosen_at = -math.inf
        self._background: dict[str, tuple[float, Candidate]] = {}  # code -> (last seen, where it lay)

    def reset(self) -> None:
        self._chosen = None
        self._chosen_at = -math.inf
        self._background.clear()

    def _beats(self, a: Candidate, b: Candidate, now: float) -> bool | None:
        """True when `a` is the presented one rather than `b`, False for `b`, None when unclear."""
        if a.scale >= self.dominance * b.scale:
            return True
        if b.scale >= self.dominance * a.scale:
            return False
        if b.distance - a.distance >= self.nearer:
            return True
        if a.distance - b.distance >= self.nearer:
            return False
        recent = now - self._chosen_at <= self.memory
        if recent and self._chosen == a.code:
            return True
        if recent and self._chosen == b.code:
            return False
        return None

    def pick(self, found: Iterable[SymbolLike], shape: tuple[int, ...], now: float) -> Pick:
        """The label presented in this frame (see `Pick`)."""
        cands = candidates(found, shape)
        self._background = {c: v for c, v in self._background.items() if now - v[0] <= self.memory}
        if not cands:
            return Pick()
        if len(cands) == 1:
            only = cands[0]
            lying = self._background.get(only.code)
            if lying is not None:
                was = lying[1]
                picked_up = (
                    only.scale >= self.dominance * was.scale or was.distance - only.distance >= self.nearer
                )
                if not picked_up:
                    self._background[only.code] = (now, was)  # still lying there
                    return Pick(background=(only.code,), candidates=tuple(cands))
            return self._choose(only, cands, now)
        cands.sort(key=lambda c: (-c.scale, c.distance))
        winner: Candidate | None = None
        for a in cands:
            if all(self._beats(a, b, now) is True for b in cands if b is not a):
                winner = a
                break
        if winner is None:
            return Pick(ambiguous=True, candidates=tuple(cands))
        return self._choose(winner, cands, now)

    def _choose(self, winner: Candidate, cands: list[Candidate], now: float) -> Pick:
        self._chosen, self._chosen_at = winner.code, now
        others = tuple(c.code for c in cands if c is not winner)
        for c in cands:
            if c is not winner:
                self._background[c.code] = (now, c)
        self._background.pop(winner.code, None)
        return Pick(winner.code, winner.symbology, background=others, candidates=tuple(cands))
