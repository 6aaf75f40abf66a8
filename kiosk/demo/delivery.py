"""A delivery list for the demo's 受領 screen: what a J-LIS delivery file looks like at an office.

The demo offers its own import folder (`imports/` in the demo's data folder) besides the configured
ones; this puts one list there (CP932 and Japanese headers, as Japanese Excel saves it) for cards that
are not in the demo cabinet, so the receipt can be tried with F5 (typed IDs) on the simulator.
"""

from __future__ import annotations

from pathlib import Path

from drivers.damm import with_check_digit

DEMO_DELIVERY = "納品一覧_デモ.csv"
FIRST, COUNT = 5001, 6  # management IDs 80000500x: outside the demo cabinet's 1–120


def demo_delivery_ids() -> list[str]:
    return [with_check_digit(f"8{n:08d}") for n in range(FIRST, FIRST + COUNT)]


def ensure_demo_delivery(folder: Path) -> Path:
    """The demo's delivery list in `folder` (written once; left as it is afterwards)."""
    path = folder / DEMO_DELIVERY
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        lines = "".join(f"{mid},個人番号カード,\r\n" for mid in demo_delivery_ids())
        path.write_bytes(("管理ID,種別,備考\r\n" + lines).encode("cp932"))
    return path
