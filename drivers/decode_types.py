"""Light value types shared by the decoder and its backends (no heavy imports here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from drivers.scan import Symbology

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class RawSymbol:
    """What a backend found, before the My Number guard: text, symbology, outline, backend name.

    Lives only inside `drivers.decode`; nothing outside ever sees an unscreened text.
    """

    text: str
    symbology: Symbology
    corners: tuple[Point, ...]
    backend: str


class DecoderBackend(Protocol):
    """One decoding library behind a common call."""

    name: str

    def read(
        self,
        gray: NDArray[np.uint8],
        symbologies: Iterable[Symbology],
        *,
        fast: bool = False,
        local: bool = False,
        rotate: bool = True,
    ) -> list[RawSymbol]: ...
